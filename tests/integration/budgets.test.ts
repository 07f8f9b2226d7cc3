import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { stepJobFile } from '../../activities/training.js';
import { startEpisode } from '../../client/episodes.js';
import { withSuiteWorkers } from '../helpers/workers.js';

/** Budgets that hold, on a real dev server with real training. */
describe('compute budgets', () => {
  const suite = withSuiteWorkers();

  it('a step that would run for minutes stops at its deadline; the episode overshoots its budget by at most 10 %', async () => {
    const budget = 40;
    const { handle } = await startEpisode(suite.config, suite.client, {
      competition: 'kr-vs-kp',
      budget: { computeSeconds: budget, maxSteps: 5 },
      stopAtTarget: false,
      runTag: `deadline-${Date.now()}`,
      // ~1000 epochs of 10 trees on 5 folds: several minutes unbounded.
      initialCandidates: [{ template: 'random_forest', params: { epochs: 1000, trees_per_epoch: 10 } }],
    });
    const summary = await handle.result();
    const step = summary.ledger[0]!;
    expect(step.status).toBe('ok');
    expect(step.stoppedEarly).toMatch(/^deadline/);
    expect(summary.stopReason).toBe('budget');
    expect(summary.ledger).toHaveLength(1);
    // The runner was told when to stop: the whole budget (nothing spent yet) after the attempt started, as a Unix time.
    const job = JSON.parse(readFileSync(stepJobFile(suite.config.artifactsDir, handle.workflowId, 0, 1), 'utf8'));
    const events = (await handle.fetchHistory()).events!;
    const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'trainCandidate')!;
    const started = events.find((e) => String(e.activityTaskStartedEventAttributes?.scheduledEventId) === String(scheduled.eventId))!;
    const startedAt = Number(started.eventTime!.seconds) + started.eventTime!.nanos! / 1e9;
    expect(job.deadline - startedAt).toBeGreaterThan(budget - 5);
    expect(job.deadline - startedAt).toBeLessThanOrEqual(budget + 1);
    console.log(`deadline episode: ${summary.computeSeconds.toFixed(2)} s of a ${budget} s budget (${((summary.computeSeconds / budget - 1) * 100).toFixed(1)} % over)`);
    expect(summary.computeSeconds).toBeLessThanOrEqual(budget * 1.1);
    expect(summary.finalScore!).toBeGreaterThan(summary.baselineScore!);
  });

  it('a step whose estimated cost exceeds what is left is not started, and the stop reason says so', async () => {
    const { handle } = await startEpisode(suite.config, suite.client, {
      competition: 'kr-vs-kp',
      budget: { computeSeconds: 60, maxSteps: 5 },
      stopAtTarget: false,
      runTag: `estimate-${Date.now()}`,
      initialCandidates: [
        { template: 'hist_gradient_boosting', params: { epochs: 2, iters_per_epoch: 10 } },
        // 50 times the work of the first step: far beyond what is left.
        { template: 'hist_gradient_boosting', params: { epochs: 100, iters_per_epoch: 10 } },
      ],
    });
    const summary = await handle.result();
    expect(summary.ledger).toHaveLength(1);
    expect(summary.stopReason).toBe('budget');
    expect(summary.stopDetail).toMatch(/^the next step \(hist_gradient_boosting\) would cost about [\d.]+ s, [\d.]+ s of the budget is left$/);
    expect(summary.computeSeconds).toBeLessThan(60);
  });
});
