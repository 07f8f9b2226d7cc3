import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll } from 'vitest';
import { loadConfig, PROJECT_ROOT, type HasteConfig } from '../../infra/config.js';
import { configEnv } from '../../infra/ephemeral.js';
import { startInProcessWorkers, type InProcessWorkers } from '../../workers/in-process.js';

/** The suite's config: the server and home that global-setup started. */
export function suiteConfig(): HasteConfig {
  return loadConfig(process.env);
}

export async function testClient(config: HasteConfig): Promise<Client> {
  const connection = await Connection.connect({ address: config.temporalAddress });
  return new Client({ connection, namespace: config.namespace });
}

/** Both workers (or one) in the test process, as `haste demo` runs them. */
export const startWorkers = startInProcessWorkers;
export type { InProcessWorkers };

/** A worker as its own OS process (`haste worker <kind>`), so a test can SIGKILL it. */
export function spawnWorker(kind: 'orchestrator' | 'gpu', config: HasteConfig): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'cli', 'main.ts'), 'worker', kind], {
    cwd: PROJECT_ROOT,
    env: configEnv(config),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr?.on('data', (d: Buffer) => process.env.HASTE_TEST_VERBOSE && process.stderr.write(`[${kind}] ${d}`));
  return child;
}

export async function killAndWait(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  await exited;
}

export async function waitUntil<T>(probe: () => Promise<T | undefined | null | false> | T | undefined | null | false, timeoutMs = 120_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

/**
 * Waits for the distillations still running on the suite's server: an earlier file's episodes start them as they
 * end, and on a loaded machine they can still be queued when the next file's workers start, which then write
 * their skills into the shared library mid-test.
 */
export async function settleDistillations(client: Client): Promise<void> {
  for await (const w of client.workflow.list({ query: `WorkflowType = 'distillSkills' AND ExecutionStatus = 'Running'` })) {
    await client.workflow
      .getHandle(w.workflowId, w.runId)
      .result()
      .catch(() => undefined);
  }
}

export interface SuiteContext {
  config: HasteConfig;
  client: Client;
}

/** Registers hooks that connect a client and run both workers on the suite's server for one test file. */
export function withSuiteWorkers(overrides: Partial<HasteConfig> = {}): SuiteContext {
  const ctx = {} as SuiteContext;
  let workers: InProcessWorkers | undefined;
  beforeAll(async () => {
    ctx.config = { ...suiteConfig(), ...overrides };
    ctx.client = await testClient(ctx.config);
    workers = await startWorkers(ctx.config);
  });
  afterAll(async () => {
    await workers?.stop();
    await ctx.client?.connection.close();
  });
  return ctx;
}
