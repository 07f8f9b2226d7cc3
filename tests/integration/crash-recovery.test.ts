import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stepJobFile, stepWorkdir } from '../../activities/training.js';
import { startEpisode } from '../../client/episodes.js';
import type { HasteConfig } from '../../infra/config.js';
import { lastEpochOfAttempt, newestCheckpointOnDisk, newestLoggedCheckpoint, processesMentioning, readProgress } from '../helpers/progress.js';
import { killAndWait, spawnWorker, startWorkers, suiteConfig, testClient, waitUntil } from '../helpers/workers.js';

/** About 2 s an epoch on kr-vs-kp: long enough to kill mid-training, short enough for CI. */
const SLOW_FOREST = { template: 'random_forest', params: { epochs: 12, trees_per_epoch: 80 } };
const CHECKPOINT_EVERY = 2;

describe('crash recovery', () => {
  let config: HasteConfig;
  let client: Client;
  beforeAll(async () => {
    config = suiteConfig();
    client = await testClient(config);
  });
  afterAll(async () => {
    await client?.connection.close();
  });

  /** One step of SLOW_FOREST with a short heartbeat timeout, so a dead worker is noticed quickly. */
  const startSlowEpisode = async (tag: string) => {
    const { handle } = await startEpisode(config, client, {
      competition: 'kr-vs-kp',
      budget: { maxSteps: 1 },
      runTag: `${tag}-${Date.now()}`,
      initialCandidates: [SLOW_FOREST],
      training: { checkpointEvery: CHECKPOINT_EVERY, heartbeatTimeoutSeconds: 5 },
    });
    return { handle, workdir: stepWorkdir(config.artifactsDir, handle.workflowId, 0) };
  };

  it('a SIGKILLed GPU worker: the next worker resumes from the newest checkpoint, whatever the heartbeats carried', async () => {
    const orchestrator = await startWorkers(config, ['orchestrator']);
    let gpu = spawnWorker('gpu', config);
    try {
      const { handle, workdir } = await startSlowEpisode('crash-gpu');
      // Wait on a condition, not a clock: attempt 1 has written (and logged) its second checkpoint.
      await waitUntil(() => newestLoggedCheckpoint(readProgress(workdir), 1) >= 2 * CHECKPOINT_EVERY, 180_000, 'attempt 1 to record a checkpoint of epoch 4');
      await killAndWait(gpu, 'SIGKILL');
      const jobOfAttempt1 = stepJobFile(config.artifactsDir, handle.workflowId, 0, 1);
      // The runner dies with its worker (PR_SET_PDEATHSIG): nothing goes on computing unseen.
      await waitUntil(() => processesMentioning(jobOfAttempt1).length === 0, 10_000, 'the orphaned runner to die');
      const reachedBeforeCrash = lastEpochOfAttempt(readProgress(workdir), 1);
      // The heartbeat that reached the server may name an older one (heartbeats are throttled); the disk has the newest.
      const newestOnDisk = newestCheckpointOnDisk(workdir);
      expect(newestOnDisk).toBeGreaterThanOrEqual(newestLoggedCheckpoint(readProgress(workdir), 1));

      gpu = spawnWorker('gpu', config);
      const summary = await handle.result();
      const step = summary.ledger[0]!;
      expect(step.status).toBe('ok');
      expect(step.attempts).toBeGreaterThanOrEqual(2);
      // At most one checkpoint interval is recomputed: the retry starts from the newest checkpoint written.
      expect(step.resumedFromEpoch).toBe(newestOnDisk);
      expect(reachedBeforeCrash - step.resumedFromEpoch).toBeLessThanOrEqual(CHECKPOINT_EVERY);
      const start2 = readProgress(workdir).find((r) => r.attempt === step.attempts && r.event === 'start');
      expect(start2?.resumedFromEpoch).toBe(step.resumedFromEpoch);
      // The compute ledger counts both attempts.
      expect(step.computeSeconds).toBeGreaterThan(step.cpuSeconds * 0.5);
      expect(summary.finalScore!).toBeGreaterThan(summary.baselineScore!);
    } finally {
      await killAndWait(gpu, 'SIGTERM');
      await orchestrator.stop();
    }
  });

  it('a SIGKILLed orchestrator worker mid-activity: a new one replays the history and retries the activity after its heartbeat timeout', async () => {
    const gpu = await startWorkers(config, ['gpu']);
    let orchestrator = spawnWorker('orchestrator', config);
    try {
      const { handle } = await startEpisode(config, client, { competition: 'breast-cancer', budget: { maxSteps: 3 }, stopAtTarget: false, runTag: `crash-orch-${Date.now()}` });
      const gradingStarted = async () =>
        (await handle.describe()).raw.pendingActivities?.some((a) => a.activityType?.name === 'gradeSubmission' && a.attempt === 1 && a.lastStartedTime);
      // Grading runs Python for a second or more on the orchestrator: kill the worker inside it. A kill
      // that lands just after grading finished is no such kill: start a worker and wait for the next one.
      for (;;) {
        await waitUntil(gradingStarted, 120_000, 'a grading activity to start');
        await killAndWait(orchestrator, 'SIGKILL');
        orchestrator = spawnWorker('orchestrator', config);
        if (await gradingStarted()) break;
      }
      const killedAt = Date.now();
      const summary = await handle.result();
      expect(summary.ledger.map((s) => s.step)).toEqual([0, 1, 2]);
      expect(summary.stopReason).toBe('max-steps');
      expect(summary.ledger.every((s) => s.status === 'ok')).toBe(true);
      const history = await handle.fetchHistory();
      const gradingIds = new Set(history.events!.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'gradeSubmission').map((e) => String(e.eventId)));
      const retried = history.events!.filter(
        (e) => gradingIds.has(String(e.activityTaskStartedEventAttributes?.scheduledEventId)) && e.activityTaskStartedEventAttributes!.attempt! > 1,
      );
      expect(retried).toHaveLength(1);
      // The heartbeat timeout (30 s), not the 10-minute start-to-close, brought the retry.
      expect(Date.now() - killedAt).toBeLessThan(180_000);
    } finally {
      await killAndWait(orchestrator, 'SIGTERM');
      await gpu.stop();
    }
  });

  it('a SIGTERMed GPU worker drains gracefully: exit 0, its runner killed, the step retried elsewhere', async () => {
    const orchestrator = await startWorkers(config, ['orchestrator']);
    let gpu = spawnWorker('gpu', config);
    try {
      const { handle, workdir } = await startSlowEpisode('sigterm-gpu');
      await waitUntil(() => lastEpochOfAttempt(readProgress(workdir), 1) >= 2, 120_000, 'attempt 1 to train');
      const exited = new Promise<number | null>((resolve) => gpu.once('exit', (code) => resolve(code)));
      gpu.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(processesMentioning(stepJobFile(config.artifactsDir, handle.workflowId, 0, 1))).toEqual([]);
      gpu = spawnWorker('gpu', config);
      const summary = await handle.result();
      expect(summary.ledger[0]).toMatchObject({ status: 'ok' });
      expect(summary.ledger[0]!.attempts).toBeGreaterThanOrEqual(2);
    } finally {
      await killAndWait(gpu, 'SIGTERM');
      await orchestrator.stop();
    }
  });
});
