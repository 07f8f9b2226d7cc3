import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { stepJobFile, stepWorkdir } from '../../activities/training.js';
import { startEpisode } from '../../client/episodes.js';
import { PhaseKey } from '../../schemas/search-attributes.js';
import { extendBudgetUpdate, pauseUpdate, resumeUpdate, statusQuery, stopUpdate } from '../../workflows/episode.js';
import { lastEpochOfAttempt, processesMentioning, readProgress } from '../helpers/progress.js';
import { withSuiteWorkers, waitUntil } from '../helpers/workers.js';

const FAST = [
  { template: 'logistic_regression', params: { C: 0.1 } },
  { template: 'logistic_regression', params: { C: 1 } },
  { template: 'knn', params: { n_neighbors: 15 } },
];

describe('episode controls', () => {
  const suite = withSuiteWorkers();
  /** The update's own message (the client wraps it in "Workflow Update failed"). */
  const rejection = (p: Promise<unknown>) =>
    p.then(
      () => 'accepted',
      (err: Error) => (err.cause instanceof Error ? err.cause.message : err.message),
    );

  it('pause holds the episode, extendBudget raises its limits, resume lets it finish', async () => {
    const { handle } = await startEpisode(suite.config, suite.client, {
      competition: 'wine',
      budget: { maxSteps: 1 },
      stopAtTarget: false,
      runTag: `controls-${Date.now()}`,
      initialCandidates: FAST,
    });
    const paused = await handle.executeUpdate(pauseUpdate);
    expect(paused.paused).toBe(true);
    // The episode holds once the work in flight (profiling, or at most one step) has finished: how
    // long that takes depends on the machine's load, so the test waits for it rather than a fixed time.
    await waitUntil(async () => (await handle.describe()).typedSearchAttributes.get(PhaseKey) === 'paused', 180_000, "the Phase search attribute 'paused'");
    const held = await handle.query(statusQuery);
    expect(held.steps).toBeLessThanOrEqual(1); // at most the step that was already in flight
    await sleep(3000);
    expect((await handle.query(statusQuery)).steps).toBe(held.steps);
    expect((await handle.describe()).typedSearchAttributes.get(PhaseKey)).toBe('paused');

    const extended = await handle.executeUpdate(extendBudgetUpdate, { args: [{ maxSteps: 2 }] });
    expect(extended.maxSteps).toBe(3);

    await handle.executeUpdate(resumeUpdate);
    const summary = await handle.result();
    expect(summary.steps).toBe(3);
    expect(summary.stopReason).toBe('max-steps');
  });

  it('rejects invalid update input with a clear error, leaving the episode untouched', async () => {
    const { handle } = await startEpisode(suite.config, suite.client, { competition: 'wine', budget: { maxSteps: 1 }, runTag: `invalid-${Date.now()}`, initialCandidates: FAST });
    await handle.executeUpdate(pauseUpdate);
    expect(await rejection(handle.executeUpdate(extendBudgetUpdate, { args: [{ maxSteps: -2 }] }))).toMatch(/maxSteps: must be at least 1/);
    expect(await rejection(handle.executeUpdate(extendBudgetUpdate, { args: [{}] }))).toMatch(/computeSeconds and\/or maxSteps/);
    expect(await rejection(handle.executeUpdate(extendBudgetUpdate, { args: [{ computeSeconds: 'lots' as unknown as number }] }))).toMatch(/computeSeconds/);
    expect((await handle.query(statusQuery)).maxSteps).toBe(1);
    // Rejected updates never reach history.
    const history = await handle.fetchHistory();
    const accepted = history.events!.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes).length;
    expect(accepted).toBe(1);
    await handle.executeUpdate(stopUpdate, { args: [{ reason: 'test over' }] });
    await handle.result();
    expect(await rejection(handle.executeUpdate(pauseUpdate))).toMatch(/completed|not found|no longer/i);
  });

  it('stop cancels the step in flight, kills its runner and grades the best so far', async () => {
    const { handle } = await startEpisode(suite.config, suite.client, {
      competition: 'kr-vs-kp',
      budget: { maxSteps: 5 },
      runTag: `stop-${Date.now()}`,
      initialCandidates: [
        { template: 'logistic_regression', params: { C: 1 } },
        { template: 'random_forest', params: { epochs: 12, trees_per_epoch: 80 } },
      ],
    });
    const workdir = stepWorkdir(suite.config.artifactsDir, handle.workflowId, 1);
    await waitUntil(() => lastEpochOfAttempt(readProgress(workdir), 1) >= 1, 120_000, 'step 1 to be training');
    const stopped = await handle.executeUpdate(stopUpdate, { args: [{ reason: 'enough' }] });
    expect(stopped.phase).not.toBe('completed');
    const summary = await handle.result();
    expect(summary.stopReason).toBe('stopped');
    expect(summary.ledger.map((s) => s.status)).toEqual(['ok', 'cancelled']);
    expect(summary.bestCandidate?.template).toBe('logistic_regression');
    expect(summary.finalScore).not.toBeNull();
    await waitUntil(() => processesMentioning(stepJobFile(suite.config.artifactsDir, handle.workflowId, 1, 1)).length === 0, 10_000, 'the runner to be killed');
  });
});
