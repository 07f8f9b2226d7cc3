/**
 * Records the workflow histories that CI replays (tests/unit/replay-histories.test.ts), so a change to
 * `workflows/` that would break episodes already running on the server fails the build instead.
 *
 *   npx tsx tests/histories/record.ts [--out tests/histories/<release>]
 *
 * Run it on the release being deployed, before changing workflow code: it starts a throwaway dev
 * server and both workers in-process, runs one scenario per workflow path (a plain episode with skills
 * and its distillation child, a failed step, pause / extend / resume / stop, a sweep), and writes each
 * closed workflow's history as JSON, with index.json naming each one's workflow id (replay needs it).
 * It prints each history's event count and size.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { startEpisode } from '../../client/episodes.js';
import { PROJECT_ROOT, type HasteConfig } from '../../infra/config.js';
import { startDevServer, stopDevServer } from '../../infra/dev-server.js';
import { ephemeralConfig } from '../../infra/ephemeral.js';
import { findTemporalCli } from '../../infra/temporal-cli.js';
import { TASK_QUEUES } from '../../schemas/task-queues.js';
import { startInProcessWorkers } from '../../workers/in-process.js';
import { extendBudgetUpdate, pauseUpdate, resumeUpdate, stopUpdate } from '../../workflows/episode.js';

const outIndex = process.argv.indexOf('--out');
const outDir = path.resolve(outIndex > 0 ? process.argv[outIndex + 1]! : path.join(PROJECT_ROOT, 'tests', 'histories', 'current'));

/** Writes a closed workflow's history in the `temporal workflow show --output json` format that the SDK's historyFromJSON reads. */
const index: Record<string, string> = {};

function save(config: HasteConfig, name: string, workflowId: string): void {
  index[name] = workflowId;
  const json = execFileSync(
    findTemporalCli(config),
    ['workflow', 'show', '--workflow-id', workflowId, '--address', config.temporalAddress, '--namespace', config.namespace, '--output', 'json'],
    { maxBuffer: 256 << 20 },
  ).toString();
  writeFileSync(path.join(outDir, `${name}.json`), json);
  const events = (JSON.parse(json) as { events: unknown[] }).events.length;
  console.log(`${name}: ${events} events, ${json.length} bytes`);
}

/** The distillation child an episode started, once it has closed. */
async function childOf(client: Client, handle: WorkflowHandle): Promise<string | null> {
  const history = await handle.fetchHistory();
  const started = history.events?.find((e) => e.childWorkflowExecutionStartedEventAttributes)?.childWorkflowExecutionStartedEventAttributes;
  return started?.workflowExecution?.workflowId ?? null;
}

async function main(): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  const config = await ephemeralConfig('record');
  await startDevServer(config);
  const workers = await startInProcessWorkers(config);
  const client = new Client({ connection: await Connection.connect({ address: config.temporalAddress }), namespace: config.namespace });
  const tag = `record-${Date.now()}`;
  try {
    const plain = await startEpisode(config, client, { competition: 'breast-cancer', budget: { maxSteps: 3 }, runTag: `${tag}-plain` });
    await plain.handle.result();
    save(config, 'episode-with-skills', plain.handle.workflowId);
    const child = await childOf(client, plain.handle);
    if (child) {
      await client.workflow.getHandle(child).result();
      save(config, 'distill', child);
    }

    const failed = await startEpisode(config, client, {
      competition: 'wine',
      budget: { maxSteps: 2 },
      stopAtTarget: false,
      skills: false,
      runTag: `${tag}-failed`,
      initialCandidates: [
        { template: 'random_forest', params: { bogus_param: 1 } },
        { template: 'logistic_regression', params: {} },
      ],
    });
    await failed.handle.result();
    save(config, 'episode-failed-step', failed.handle.workflowId);

    const controlled = await startEpisode(config, client, {
      competition: 'wine',
      budget: { maxSteps: 1 },
      stopAtTarget: false,
      skills: false,
      runTag: `${tag}-controls`,
      initialCandidates: [
        { template: 'logistic_regression', params: { C: 0.1 } },
        { template: 'logistic_regression', params: { C: 1 } },
        { template: 'knn', params: { n_neighbors: 15 } },
      ],
    });
    await controlled.handle.executeUpdate(pauseUpdate);
    await sleep(3000);
    await controlled.handle.executeUpdate(extendBudgetUpdate, { args: [{ maxSteps: 2 }] });
    await controlled.handle.executeUpdate(resumeUpdate);
    await sleep(1500);
    await controlled.handle.executeUpdate(stopUpdate, { args: [{ reason: 'recorded stop' }] });
    await controlled.handle.result();
    save(config, 'episode-controls', controlled.handle.workflowId);

    const sweepId = `haste-sweep-${tag}`;
    const sweep = await client.workflow.start('sweep', {
      taskQueue: TASK_QUEUES.orchestrator,
      workflowId: sweepId,
      args: [{ competitions: ['wine', 'diabetes'], concurrency: 1, episode: { budget: { maxSteps: 1 }, skills: false } }],
    });
    await sweep.result();
    save(config, 'sweep', sweepId);
    writeFileSync(path.join(outDir, 'index.json'), `${JSON.stringify(index, null, 2)}\n`);
  } finally {
    await workers.stop();
    await client.connection.close();
    await stopDevServer(config);
  }
}

await main();
