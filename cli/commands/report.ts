import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { priceTableFromEnv } from '../../infra/prices.js';
import { renderTransferReport } from '../../report/transfer-html.js';
import { describeIssues } from '../../schemas/issues.js';
import { TransferResultSchema } from '../../schemas/transfer.js';
import { UsageError } from '../errors.js';

export function registerReport(program: Command): void {
  const report = program.command('report').description('reports from benchmark results');
  report
    .command('transfer <result>')
    .description('one self-contained HTML page from `haste bench transfer --json` output (with HASTE_LLM_PRICES set, LLM tokens also in money)')
    .requiredOption('-o, --output <file>', 'the HTML file to write')
    .action((resultFile: string, flags: { output: string }) => {
      // With HASTE_LLM_PRICES the page also turns each arm's tokens into money.
      const prices = priceTableFromEnv();
      let raw: unknown;
      try {
        raw = JSON.parse(readFileSync(resultFile, 'utf8'));
      } catch (err) {
        throw new UsageError(`${resultFile}: not readable JSON (${(err as Error).message})`);
      }
      const parsed = TransferResultSchema.safeParse(raw);
      if (!parsed.success) throw new UsageError(`${resultFile} is not a transfer result: ${describeIssues(parsed.error)}`);
      writeFileSync(flags.output, renderTransferReport(parsed.data, prices));
      console.log(`wrote ${flags.output}`);
    });
}
