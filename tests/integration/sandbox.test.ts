import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTrainingActivities, stepWorkdir } from '../../activities/training.js';
import { startEpisode } from '../../client/episodes.js';
import type { HasteConfig } from '../../infra/config.js';
import { resolveCompetitionDir } from '../../infra/competitions.js';
import { SlotPool } from '../../infra/gpu-slots.js';
import { storeSolutionCode } from '../../infra/solution-code.js';
import type { SandboxLimits } from '../../infra/sandbox.js';
import type { TrainRequest, TrainResult } from '../../schemas/training.js';
import { processesMentioning } from '../helpers/progress.js';
import { startWorkers, suiteConfig, testClient, type InProcessWorkers } from '../helpers/workers.js';

/** Small limits so every escape is stopped within seconds. */
const LIMITS: SandboxLimits = { memoryMb: 1536, cpuSeconds: 10, maxProcesses: 64, wallSeconds: 25 };

/** A solution.py whose make_model first tries an escape; a working model follows so only the escape can fail the step. */
function solution(escape: string): string {
  return `
import os, socket, sys, time
from sklearn.linear_model import LogisticRegression

def escape():
${escape
  .trim()
  .split('\n')
  .map((l) => `    ${l}`)
  .join('\n')}

def make_model(task_type, seed):
    escape()
    return LogisticRegression(max_iter=500)
`;
}

describe('the sandboxed runner contains escapes (bubblewrap + rlimits)', () => {
  let config: HasteConfig;
  let competitionDir: string;
  let artifactsDir: string;
  let activities: ReturnType<typeof createTrainingActivities>;
  let step = 0;

  beforeAll(async () => {
    config = suiteConfig();
    competitionDir = await resolveCompetitionDir(config, 'breast-cancer');
    artifactsDir = mkdtempSync(path.join(os.tmpdir(), 'haste-sandbox-'));
    activities = createTrainingActivities({
      python: config.python,
      artifactsDir,
      slots: SlotPool.forDevices([], 1),
      sandbox: { mode: 'bwrap', limits: LIMITS },
      heartbeatEveryMs: 500,
    });
  });

  /** Trains solution code, inline or (`{ code_sha256 }`) by reference to the artifact store. */
  const train = (code: string | { code_sha256: string }) => {
    const request: TrainRequest = {
      workflowId: 'sandbox-test',
      step: step++,
      competitionDir,
      candidate: { template: 'custom', params: typeof code === 'string' ? { code } : code },
      seed: 0,
      folds: 2,
      checkpointEvery: 1,
    };
    return new MockActivityEnvironment({ heartbeatTimeoutMs: 60_000 }).run(activities.trainCandidate, request) as Promise<TrainResult>;
  };

  /** The step fails non-retryably with a message that matches `why`, and no process of it survives. */
  async function expectContained(code: string, why: RegExp): Promise<void> {
    const thisStep = step;
    const err = await train(code).then(
      () => null,
      (e: unknown) => e as Error & { nonRetryable?: boolean; type?: string },
    );
    expect(err, 'the escape should fail the step').not.toBeNull();
    expect(err!.message).toMatch(why);
    expect(err!.nonRetryable).toBe(true);
    expect(processesMentioning(path.join(artifactsDir, 'sandbox-test', 'jobs', `step-${String(thisStep).padStart(3, '0')}`))).toEqual([]);
  }

  it('a plain solution trains, and its submission is collected out of the workdir', async () => {
    const result = await train(solution('pass'));
    expect(result.cvScore).toBeGreaterThan(0.9);
    expect(result.submission).not.toContain(stepWorkdir(artifactsDir, 'sandbox-test', 0));
    expect(readFileSync(result.submission, 'utf8').split('\n')[0]).toBe('id,target');
  });

  it('a solution.py by reference (as the LLM engineer proposes it) trains from the artifact store; a missing one fails the step, named', async () => {
    const result = await train({ code_sha256: storeSolutionCode(artifactsDir, solution('pass')) });
    expect(result.cvScore).toBeGreaterThan(0.9);
    const err = await train({ code_sha256: '0'.repeat(64) }).then(
      () => null,
      (e: unknown) => e as Error & { nonRetryable?: boolean; type?: string },
    );
    expect(err?.message).toMatch(/custom: solution code 0{64} is not in the artifact store/);
    expect(err?.nonRetryable).toBe(true);
    expect(err?.type).toBe('SolutionError');
  });

  /** The steps the native-library templates trained as, for the ensemble test to read. */
  const nativeSteps: number[] = [];
  it('templates that load native libraries (LightGBM; XGBoost with its bundled OpenMP) train inside it', async () => {
    for (const template of ['lightgbm', 'xgboost']) {
      nativeSteps.push(step);
      const request: TrainRequest = {
        workflowId: 'sandbox-test',
        step: step++,
        competitionDir,
        candidate: { template, params: { epochs: 2, iters_per_epoch: 10 } },
        seed: 0,
        folds: 2,
        checkpointEvery: 1,
      };
      const result = (await new MockActivityEnvironment({ heartbeatTimeoutMs: 60_000 }).run(activities.trainCandidate, request)) as TrainResult;
      expect(result.cvScore, template).toBeGreaterThan(0.9);
    }
  });

  it("a pipeline ensemble reads earlier steps' out-of-fold predictions, read-only", async () => {
    // The lightgbm and xgboost steps ran above with the same seed and folds.
    const ensemble: TrainRequest = {
      workflowId: 'sandbox-test',
      step: step++,
      competitionDir,
      candidate: { template: 'pipeline', params: { version: 1, ensemble: { members: nativeSteps } } },
      seed: 0,
      folds: 2,
      checkpointEvery: 1,
      artifactSteps: nativeSteps,
    };
    const result = (await new MockActivityEnvironment({ heartbeatTimeoutMs: 60_000 }).run(activities.trainCandidate, ensemble)) as TrainResult;
    expect(result.cvScore).toBeGreaterThan(0.9);
    const report = JSON.parse(readFileSync(path.join(stepWorkdir(artifactsDir, 'sandbox-test', ensemble.step), 'artifact.json'), 'utf8'));
    expect(report.ensemble.memberScores).toHaveProperty(String(nativeSteps[0]));
    // The earlier step's workdir is visible at its host path but not writable.
    const earlier = stepWorkdir(artifactsDir, 'sandbox-test', nativeSteps[0]!);
    const code = solution(`open(${JSON.stringify(path.join(earlier, 'oof.npy'))}, 'ab').write(b'x')`);
    const write: TrainRequest = { ...ensemble, step: step++, candidate: { template: 'custom', params: { code } } };
    const err = await new MockActivityEnvironment({ heartbeatTimeoutMs: 60_000 }).run(activities.trainCandidate, write).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toMatch(/Read-only file system|Permission denied/);
  });

  it('no network: connecting to the Temporal port on 127.0.0.1 is refused', async () => {
    const port = config.temporalAddress.split(':')[1];
    await expectContained(solution(`socket.create_connection(("127.0.0.1", ${port}), timeout=3)`), /ConnectionRefusedError|Network is unreachable/);
  });

  it('no answers: answers.csv is not in the competition view, nor reachable through the host path', async () => {
    await expectContained(solution(`print(sorted(os.listdir("/competition")), file=sys.stderr)\nopen("/competition/answers.csv").read()`), /FileNotFoundError.*answers\.csv/);
    await expectContained(solution(`open(${JSON.stringify(path.join(competitionDir, 'answers.csv'))}).read()`), /FileNotFoundError/);
  });

  it('no view of ../, the project or HASTE_HOME', async () => {
    await expectContained(
      solution(
        `assert "HASTE_HOME" not in os.environ and "TEMPORAL_ADDRESS" not in os.environ, "env leaked"\nentries = os.listdir(os.path.join(os.getcwd(), ".."))\nraise RuntimeError(f"parent holds {entries}")`,
      ),
      /parent holds \['step-\d+'\]/,
    );
    await expectContained(solution(`os.listdir(${JSON.stringify(config.home)})`), /FileNotFoundError/);
    await expectContained(solution(`open(${JSON.stringify(path.join(process.cwd(), 'package.json'))}).read()`), /FileNotFoundError/);
  });

  it('writes outside the workdir fail (read-only root, read-only data)', async () => {
    await expectContained(solution(`open("/competition/train.csv", "a").write("x")`), /Read-only file system|PermissionError/);
    await expectContained(solution(`open("/tmp/x", "w").write("x")`), /Read-only file system|FileNotFoundError|PermissionError/);
    expect(existsSync('/tmp/x')).toBe(false);
  });

  it('a fork bomb hits the process limit', async () => {
    await expectContained(solution(`while True:\n    if os.fork() == 0:\n        time.sleep(60)\n        os._exit(0)`), /BlockingIOError|Resource temporarily unavailable/);
  });

  it('allocating past the memory limit fails with MemoryError', async () => {
    await expectContained(solution(`blocks = [bytearray(256 * 2**20) for _ in range(64)]`), /MemoryError|SIGKILL|SIGSEGV/);
  });

  it('a solution that never ends is killed at the wall timeout', async () => {
    await expectContained(solution(`time.sleep(3600)`), /wall timeout of 25 s/);
  }, 90_000);

  it('burning CPU hits the CPU-time limit', async () => {
    await expectContained(solution(`while True:\n    pass`), /CPU-time limit|SIGKILL/);
  }, 90_000);

  it('after all that, the same activities still train a plain solution', async () => {
    const result = await train(solution('pass'));
    expect(result.cvScore).toBeGreaterThan(0.9);
  });
});

describe('an escape in a real episode fails its step, and the worker goes on', () => {
  let config: HasteConfig;
  let client: Client;
  let workers: InProcessWorkers;

  beforeAll(async () => {
    config = suiteConfig();
    client = await testClient(config);
    workers = await startWorkers(config);
  });
  afterAll(async () => {
    await workers?.stop();
    await client?.connection.close();
  });

  it('reading the answers fails step 0 with the reason; step 1 trains', async () => {
    const leak = path.join(await resolveCompetitionDir(config, 'breast-cancer'), 'answers.csv');
    const { handle } = await startEpisode(config, client, {
      competition: 'breast-cancer',
      budget: { maxSteps: 2 },
      runTag: `sandbox-${Date.now()}`,
      initialCandidates: [
        { template: 'custom', params: { code: solution(`open(${JSON.stringify(leak)}).read()`) } },
        { template: 'logistic_regression', params: { C: 1 } },
      ],
    });
    const summary = await handle.result();
    expect(summary.ledger.map((s) => s.status)).toEqual(['failed', 'ok']);
    expect(summary.ledger[0]!.error).toMatch(/FileNotFoundError/);
    expect(summary.finalScore).toBeGreaterThan(0.9);
  });
});
