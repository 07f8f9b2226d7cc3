import { writeFileSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import type { Command } from 'commander';
import { z } from 'zod';
import { runTransferBenchmark } from '../../bench/transfer.js';
import { startDevServer, stopDevServer } from '../../infra/dev-server.js';
import { ephemeralConfig } from '../../infra/ephemeral.js';
import { startInProcessWorkers } from '../../workers/in-process.js';
import { parseFlag, positiveInt, positiveNumber } from '../options.js';

const competitionList = z.string().transform((s) => s.split(',').map((c) => c.trim()).filter(Boolean)).pipe(z.array(z.string()).min(1, 'name at least one competition'));

export function registerBench(program: Command): void {
  const bench = program.command('bench').description('benchmarks that print figures');
  bench
    .command('transfer')
    .description('learn skills on --train, then run each --heldout competition cold, warm and cold with 2× budget')
    .requiredOption('--train <ids>', 'comma-separated competitions (ids or folders) to learn from, in order')
    .requiredOption('--heldout <ids>', 'comma-separated competitions never learned from')
    .option('--seeds <n>', 'seeds per held-out competition and arm', '3')
    .option('--budget-seconds <n>', 'compute budget per episode (cold2x gets twice this)', '60')
    .option('--train-budget-seconds <n>', 'compute budget per learning episode (default: --budget-seconds)')
    .option('--train-steps <n>', 'step cap per learning episode, e.g. the portfolio size so every candidate is measured once (default: none)')
    .option('--json', 'print the result as one JSON object on stdout')
    .option('--out <file>', 'also write the JSON result here (for `haste report transfer`)')
    .action(async (flags: { train: string; heldout: string; seeds: string; budgetSeconds: string; trainBudgetSeconds?: string; trainSteps?: string; json?: boolean; out?: string }) => {
      const options = {
        train: parseFlag('--train', competitionList, flags.train),
        heldout: parseFlag('--heldout', competitionList, flags.heldout),
        seeds: parseFlag('--seeds', positiveInt, flags.seeds),
        budgetSeconds: parseFlag('--budget-seconds', positiveNumber, flags.budgetSeconds),
        trainBudgetSeconds: flags.trainBudgetSeconds === undefined ? undefined : parseFlag('--train-budget-seconds', positiveNumber, flags.trainBudgetSeconds),
        trainSteps: flags.trainSteps === undefined ? undefined : parseFlag('--train-steps', positiveInt, flags.trainSteps),
        log: (line: string) => process.stderr.write(`${line}\n`),
      };
      // Its own server, home and skill library: the benchmark starts from no skills at all.
      const config = await ephemeralConfig('transfer');
      options.log(`transfer benchmark in ${config.home}`);
      await startDevServer(config);
      const workers = await startInProcessWorkers(config);
      const client = new Client({ connection: await Connection.connect({ address: config.temporalAddress }), namespace: config.namespace });
      try {
        const result = await runTransferBenchmark(config, client, options);
        if (flags.out) writeFileSync(flags.out, JSON.stringify(result, null, 2));
        if (flags.json) console.log(JSON.stringify(result));
        else {
          for (const c of result.competitions) {
            const ctt = (arm: 'cold' | 'warm' | 'cold2x') => c.arms[arm].map((r) => r.computeToTarget?.toFixed(1) ?? 'n/r').join('/');
            const fin = (arm: 'cold' | 'warm' | 'cold2x') => c.arms[arm].map((r) => r.finalScore?.toFixed(4) ?? '-').join('/');
            console.log(`${c.competition}: target ${c.target.toPrecision(4)}; compute-to-target cold ${ctt('cold')} warm ${ctt('warm')} cold2x ${ctt('cold2x')}; final cold ${fin('cold')} warm ${fin('warm')} cold2x ${fin('cold2x')}; ratio ${c.ratio.mean?.toFixed(2) ?? '-'} ± ${c.ratio.sem?.toFixed(2) ?? '-'}`);
          }
          console.log(`total cold/warm compute-to-target ${result.total.ratio.mean?.toFixed(2) ?? '-'} ± ${result.total.ratio.sem?.toFixed(2) ?? '-'} (n=${result.total.ratio.n}); reached the target: cold ${result.total.reached.cold}, warm ${result.total.reached.warm}, cold2x ${result.total.reached.cold2x} of ${result.total.comparisons}; warm final ≥ cold in ${result.total.warmNotWorse}/${result.total.comparisons}`);
        }
      } finally {
        await workers.stop();
        await client.connection.close();
        await stopDevServer(config);
      }
    });
}
