import { writeFileSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import type { Command } from 'commander';
import { z } from 'zod';
import { builtinSuite, describeSplit, rotationSplit } from '../../bench/rotation.js';
import { runRotationBenchmark, runTransferBenchmark } from '../../bench/transfer.js';
import type { TransferResult } from '../../schemas/transfer.js';
import { startDevServer } from '../../infra/dev-server.js';
import { startLlmServer, stopLlmServer } from '../../infra/llm-server.js';
import { AgentBackendSchema } from '../../schemas/episode.js';
import { discardEphemeral, ephemeralConfig } from '../../infra/ephemeral.js';
import { startInProcessWorkers } from '../../workers/in-process.js';
import { UsageError } from '../errors.js';
import { parseFlag, positiveInt, positiveNumber } from '../options.js';

const competitionList = z
  .string()
  .transform((s) =>
    s
      .split(',')
      .map((c) => c.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.string()).min(1, 'name at least one competition'));

export function registerBench(program: Command): void {
  const bench = program.command('bench').description('benchmarks that print figures');
  bench
    .command('transfer')
    .description(
      'learn skills, then run held-out competitions cold, warm and cold with 2× budget: on a rotation (leave-one-competition-out over the built-in suite) or on --train/--heldout',
    )
    .option('--rotation <all|domain>', 'leave-one-competition-out over the built-in suite (all) or one domain of it; the split is printed first')
    .option('--train <ids>', 'comma-separated competitions (ids or folders) to learn from, in order (without --rotation)')
    .option('--heldout <ids>', 'comma-separated competitions never learned from (without --rotation)')
    .option('--seeds <n>', 'seeds per held-out competition and arm', '3')
    .option('--budget-seconds <n>', 'compute budget per episode (cold2x gets twice this)', '60')
    .option('--train-budget-seconds <n>', 'compute budget per learning episode (default: --budget-seconds)')
    .option('--train-steps <n>', 'step cap per learning episode, e.g. the portfolio size so every candidate is measured once (default: none)')
    .option('--heldout-steps <n>', 'step cap per held-out episode (cold2x: twice it), with a budget large enough that load cannot cut a run short (default: none)')
    .option('--agent <backend>', 'offline | llm: the agent of every episode (llm: the local model unless OPENAI_BASE_URL is set)', 'offline')
    .option('--json', 'print the result as one JSON object on stdout (the split then goes to stderr)')
    .option('--out <file>', 'also write the JSON result here (for `haste report transfer`)')
    .action(
      async (flags: {
        rotation?: string;
        train?: string;
        heldout?: string;
        seeds: string;
        budgetSeconds: string;
        trainBudgetSeconds?: string;
        trainSteps?: string;
        heldoutSteps?: string;
        agent: string;
        json?: boolean;
        out?: string;
      }) => {
        if (flags.rotation !== undefined && (flags.train !== undefined || flags.heldout !== undefined))
          throw new UsageError('--rotation declares its own split: leave out --train and --heldout');
        if (flags.rotation === undefined && (flags.train === undefined || flags.heldout === undefined))
          throw new UsageError('name a split: --rotation all|<domain>, or both --train and --heldout');
        const common = {
          seeds: parseFlag('--seeds', positiveInt, flags.seeds),
          budgetSeconds: parseFlag('--budget-seconds', positiveNumber, flags.budgetSeconds),
          trainBudgetSeconds: flags.trainBudgetSeconds === undefined ? undefined : parseFlag('--train-budget-seconds', positiveNumber, flags.trainBudgetSeconds),
          trainSteps: flags.trainSteps === undefined ? undefined : parseFlag('--train-steps', positiveInt, flags.trainSteps),
          heldoutSteps: flags.heldoutSteps === undefined ? undefined : parseFlag('--heldout-steps', positiveInt, flags.heldoutSteps),
          agent: parseFlag('--agent', AgentBackendSchema, flags.agent),
          log: (line: string) => process.stderr.write(`${line}\n`),
        };
        const print = (line: string) => (flags.json ? process.stderr : process.stdout).write(`${line}\n`);
        // The split is computed from the rotation and the suite alone, and printed before anything runs.
        let split: ReturnType<typeof rotationSplit> | undefined;
        if (flags.rotation !== undefined) {
          try {
            split = rotationSplit(flags.rotation, builtinSuite());
          } catch (err) {
            throw new UsageError((err as Error).message);
          }
        }
        const train = split ? [] : parseFlag('--train', competitionList, flags.train!);
        const heldout = split ? [] : parseFlag('--heldout', competitionList, flags.heldout!);
        if (split) for (const line of describeSplit(split)) print(line);
        else print(`split: held out ${heldout.join(', ')}; learn on ${train.join(', ')}`);
        // Its own server, home and skill library: the benchmark starts from no skills at all.
        const config = await ephemeralConfig('transfer');
        common.log(`transfer benchmark in ${config.home}`);
        await startDevServer(config);
        // The benchmark's own HASTE_HOME has no local model yet: start one there (OPENAI_BASE_URL replaces it).
        if (common.agent === 'llm' && !config.llm.baseURL) common.log(`local LLM at ${(await startLlmServer(config, { log: common.log })).baseURL}`);
        const workers = await startInProcessWorkers(config);
        const client = new Client({ connection: await Connection.connect({ address: config.temporalAddress }), namespace: config.namespace });
        try {
          // runRotation prints the split again as it starts; here it has been printed already.
          const result: TransferResult = split
            ? await runRotationBenchmark(config, client, split, common, () => {})
            : await runTransferBenchmark(config, client, { ...common, train, heldout });
          if (flags.out) writeFileSync(flags.out, JSON.stringify(result, null, 2));
          if (flags.json) console.log(JSON.stringify(result));
          else {
            const unit = result.computeUnit === 'cpu-seconds' ? 'CPU s' : 'slot s';
            for (const c of result.competitions) {
              const ctt = (arm: 'cold' | 'warm' | 'cold2x') => c.arms[arm].map((r) => r.computeToTarget?.toFixed(1) ?? 'n/r').join('/');
              const fin = (arm: 'cold' | 'warm' | 'cold2x') => c.arms[arm].map((r) => r.finalScore?.toFixed(4) ?? '-').join('/');
              const stb = (arm: 'cold' | 'warm' | 'cold2x') => c.arms[arm].map((r) => r.stepsToBest ?? '-').join('/');
              const keep = (arm: 'cold' | 'warm' | 'cold2x') => c.arms[arm].map((r) => r.keepRate.toFixed(2)).join('/');
              const tok = (arm: 'cold' | 'warm' | 'cold2x') => c.arms[arm].map((r) => r.tokensToTarget ?? 'n/r').join('/');
              console.log(
                `${c.competition}: target ${c.target.toPrecision(4)} (${c.targetSource}); compute-to-target (${unit}) cold ${ctt('cold')} warm ${ctt('warm')} cold2x ${ctt('cold2x')}; final cold ${fin('cold')} warm ${fin('warm')} cold2x ${fin('cold2x')}; steps to best cold ${stb('cold')} warm ${stb('warm')}; keep rate cold ${keep('cold')} warm ${keep('warm')}; LLM tokens to target cold ${tok('cold')} warm ${tok('warm')}; ratio ${c.ratio.mean?.toFixed(2) ?? '-'} ± ${c.ratio.sem?.toFixed(2) ?? '-'}; skills used ${c.skills.map((s) => `${s.title} [${s.status}]`).join(', ') || 'none'}${c.negativeTransfer ? '; NEGATIVE TRANSFER' : ''}`,
              );
            }
            const t = result.total;
            const perTarget = (arm: 'cold' | 'warm' | 'cold2x') => {
              const k = t.tokens?.[arm];
              return k ? `${k.perTarget === null ? 'n/r' : Math.round(k.perTarget)} (${k.promptTokens}+${k.completionTokens} over ${k.reached} reached)` : '-';
            };
            console.log(
              `total (${unit}) cold/warm compute-to-target ${t.ratio.mean?.toFixed(2) ?? '-'} ± ${t.ratio.sem?.toFixed(2) ?? '-'} (n=${t.ratio.n}); reached the target: cold ${t.reached.cold}, warm ${t.reached.warm}, cold2x ${t.reached.cold2x} of ${t.comparisons}; warm final ≥ cold in ${t.warmNotWorse}/${t.comparisons}; warm beat cold 2× to the target in ${t.warmBeatsCold2x}/${t.comparisons}; steps to best cold ${t.stepsToBest?.cold.mean?.toFixed(1) ?? '-'} warm ${t.stepsToBest?.warm.mean?.toFixed(1) ?? '-'}; negative transfer on ${t.negative}/${result.competitions.length} competition(s)`,
            );
            // The paper's tokens per medal: all tokens an arm spent over the runs that reached the target (0 offline).
            console.log(`LLM tokens per target reached (${result.agent} agent): cold ${perTarget('cold')}; warm ${perTarget('warm')}; cold2x ${perTarget('cold2x')}`);
          }
        } finally {
          await workers.stop();
          await client.connection.close();
          if (common.agent === 'llm') await stopLlmServer(config);
          await discardEphemeral(config);
        }
      },
    );
}
