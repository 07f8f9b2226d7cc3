/**
 * Orchestration overhead: the same training step run directly (the Python runner as a child
 * process) vs through a whole competitionEpisode on a real Temporal dev server; then N concurrent
 * episodes (throughput, heartbeat timeouts). Prints figures; asserts nothing.
 *
 *   npm run bench:overhead -- [--repeats 3] [--concurrency 4,8] [--competition breast-cancer]
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { startEpisode } from '../client/episodes.js';
import { loadCompetitionSpec } from '../infra/competitions.js';
import { startDevServer, stopDevServer } from '../infra/dev-server.js';
import { ephemeralConfig } from '../infra/ephemeral.js';
import { runPythonJson } from '../infra/python.js';
import type { Candidate } from '../schemas/training.js';
import { startInProcessWorkers } from '../workers/in-process.js';

const { values: flags } = parseArgs({
  options: {
    repeats: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '4,8' },
    competition: { type: 'string', default: 'breast-cancer' },
  },
});
const repeats = Number(flags.repeats);
const concurrencyLevels = flags.concurrency.split(',').map(Number);
const candidate: Candidate = { template: 'hist_gradient_boosting', params: { epochs: 4 } };

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const seconds = (ms: number) => (ms / 1000).toFixed(2);

async function timeDirect(config: Awaited<ReturnType<typeof ephemeralConfig>>, competitionDir: string): Promise<number> {
  const workdir = mkdtempSync(path.join(os.tmpdir(), 'haste-bench-direct-'));
  const job = path.join(workdir, 'job.json');
  writeFileSync(
    job,
    JSON.stringify({ competitionDir, template: candidate.template, params: candidate.params, seed: 0, folds: 5, workdir, resumeFrom: null, checkpointEvery: 1, attempt: 1 }),
  );
  const started = performance.now();
  await runPythonJson(config.python, 'train', ['--job', job]);
  return performance.now() - started;
}

async function main() {
  // Two slots so concurrent episodes can overlap on this 2-core machine.
  const config = await ephemeralConfig('bench', { ...process.env, HASTE_GPU_SLOTS: '2' });
  await startDevServer(config);
  const workers = await startInProcessWorkers(config);
  const client = new Client({ connection: await Connection.connect({ address: config.temporalAddress }), namespace: config.namespace });
  try {
    const spec = await loadCompetitionSpec(config, flags.competition);
    console.log(`competition ${spec.id} (${spec.traits.rows} rows), candidate ${JSON.stringify(candidate)}, ${repeats} repeats\n`);

    const direct: number[] = [];
    const episode: number[] = [];
    const activity: number[] = [];
    for (let i = 0; i < repeats; i++) {
      direct.push(await timeDirect(config, spec.dir));
      const started = performance.now();
      const { handle } = await startEpisode(config, client, { competition: spec.id, budget: { maxSteps: 1 }, runTag: `overhead-${i}`, initialCandidates: [candidate] });
      const summary = await handle.result();
      episode.push(performance.now() - started);
      activity.push(summary.ledger[0]!.computeSeconds * 1000);
    }
    const d = median(direct);
    console.log('one training step, median of', repeats);
    console.log(`  direct runner process            ${seconds(d)} s`);
    console.log(`  train activity (slot wall)       ${seconds(median(activity))} s   ratio ${(median(activity) / d).toFixed(3)}`);
    console.log(`  whole episode (load→plan→train→grade×2→record)  ${seconds(median(episode))} s   ratio ${(median(episode) / d).toFixed(3)}`);

    for (const n of concurrencyLevels) {
      const started = performance.now();
      const handles = await Promise.all(
        Array.from({ length: n }, (_, i) =>
          startEpisode(config, client, {
            competition: spec.id,
            budget: { maxSteps: 2 },
            stopAtTarget: false,
            runTag: `concurrent-${n}-${i}`,
            initialCandidates: [candidate, { template: 'logistic_regression', params: { C: 1 } }],
          }),
        ),
      );
      const summaries = await Promise.all(handles.map((h) => h.handle.result()));
      const wall = performance.now() - started;
      let heartbeatTimeouts = 0;
      for (const h of handles) {
        const history = await h.handle.fetchHistory();
        heartbeatTimeouts += history.events!.filter((e) => e.activityTaskTimedOutEventAttributes?.failure?.timeoutFailureInfo?.timeoutType === 4).length;
      }
      const steps = summaries.reduce((s, x) => s + x.steps, 0);
      const compute = summaries.reduce((s, x) => s + x.computeSeconds, 0);
      console.log(`\n${n} concurrent episodes (2 steps each, 2 GPU slots)`);
      console.log(`  wall ${seconds(wall)} s, throughput ${(n / (wall / 60000)).toFixed(2)} episodes/min, ${(steps / (wall / 1000)).toFixed(2)} steps/s`);
      console.log(
        `  slot-seconds of training ${compute.toFixed(1)} (utilisation of 2 slots ${((compute / (wall / 1000) / 2) * 100).toFixed(0)}%), heartbeat timeouts ${heartbeatTimeouts}`,
      );
    }
  } finally {
    await workers.stop();
    await client.connection.close();
    await stopDevServer(config);
  }
}

await main();
