import { existsSync, readFileSync } from 'node:fs';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { startEpisode } from '../../client/episodes.js';
import type { EpisodeSummary } from '../../schemas/episode.js';
import { BestScoreKey, CompetitionIdKey, PhaseKey } from '../../schemas/search-attributes.js';
import { withSuiteWorkers, waitUntil } from '../helpers/workers.js';

describe('competitionEpisode on a real Temporal dev server', () => {
  const suite = withSuiteWorkers();
  let summary: EpisodeSummary;
  let workflowId: string;

  it('completes on a real competition with a graded score better than the naive baseline', async () => {
    const { handle } = await startEpisode(suite.config, suite.client, { competition: 'breast-cancer', budget: { maxSteps: 3 }, runTag: `episode-${Date.now()}` });
    workflowId = handle.workflowId;
    summary = await handle.result();

    expect(summary.competitionId).toBe('breast-cancer');
    expect(summary.steps).toBeGreaterThanOrEqual(1);
    expect(summary.baselineScore).not.toBeNull();
    expect(summary.finalScore!).toBeGreaterThan(summary.baselineScore! + 0.2); // ROC AUC: the prior scores 0.5
    for (const step of summary.ledger) {
      expect(step.status).toBe('ok');
      expect(step.computeSeconds).toBeGreaterThan(0);
      expect(step.cpuSeconds).toBeGreaterThan(0);
      expect(step.peakRssMb).toBeGreaterThan(10);
      expect(step.gradedScore).toBeTypeOf('number');
    }
    expect(summary.computeSeconds).toBeCloseTo(
      summary.ledger.reduce((s, l) => s + l.computeSeconds, 0),
      6,
    );
    expect(['max-steps', 'target-reached']).toContain(summary.stopReason);
    expect(existsSync(summary.trajectory!)).toBe(true);
    expect(JSON.parse(readFileSync(summary.trajectory!, 'utf8')).state.steps).toHaveLength(summary.steps);
  });

  it('keeps search attributes current and findable with a visibility query', async () => {
    const description = await suite.client.workflow.getHandle(workflowId).describe();
    expect(description.typedSearchAttributes.get(CompetitionIdKey)).toBe('breast-cancer');
    expect(description.typedSearchAttributes.get(PhaseKey)).toBe('completed');
    expect(description.typedSearchAttributes.get(BestScoreKey)).toBeCloseTo(summary.bestCvScore!, 9);
    const found = await waitUntil(
      async () => {
        for await (const w of suite.client.workflow.list({ query: `CompetitionId = "breast-cancer" AND Phase = "completed"` })) {
          if (w.workflowId === workflowId) return true;
        }
        return false;
      },
      30_000,
      'visibility to index the episode',
    );
    expect(found).toBe(true);
  });

  it('replays its recorded history without nondeterminism', async () => {
    const history = await suite.client.workflow.getHandle(workflowId).fetchHistory();
    await expect(Worker.runReplayHistory({ workflowBundle: { codePath: process.env.HASTE_WORKFLOW_BUNDLE! } }, history, workflowId)).resolves.toBeUndefined();
  });

  it('a new episode takes the patched branches: its history records their markers (old histories replay without them)', async () => {
    const history = await suite.client.workflow.getHandle(workflowId).fetchHistory();
    const patches = history
      .events!.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch')
      .map((e) =>
        Object.values(e.markerRecordedEventAttributes!.details ?? {})
          .flatMap((p) => p.payloads ?? [])
          .map((p) => Buffer.from(p.data ?? []).toString('utf8'))
          .join(' '),
      );
    for (const id of ['budgets-hold', 'profile'])
      expect(
        patches.some((p) => p.includes(id)),
        id,
      ).toBe(true);
  });

  it('a repeated start attaches to the running episode instead of creating a twin', async () => {
    const runTag = `twin-${Date.now()}`;
    const first = await startEpisode(suite.config, suite.client, { competition: 'breast-cancer', budget: { maxSteps: 1 }, runTag });
    const second = await startEpisode(suite.config, suite.client, { competition: 'breast-cancer', budget: { maxSteps: 1 }, runTag });
    expect(first.started).toBe(true);
    expect(second.started).toBe(false);
    expect(second.handle.firstExecutionRunId).toBe(first.handle.firstExecutionRunId);
    await first.handle.result();
    let runs = 0;
    for await (const w of suite.client.workflow.list({ query: `WorkflowId = "${first.handle.workflowId}"` })) runs += w.workflowId ? 1 : 0;
    expect(runs).toBe(1);
  });

  it('bad solution code fails its step at once with the reason; the episode goes on', async () => {
    const { handle } = await startEpisode(suite.config, suite.client, {
      competition: 'wine',
      budget: { maxSteps: 2 },
      stopAtTarget: false,
      runTag: `bad-solution-${Date.now()}`,
      initialCandidates: [
        { template: 'random_forest', params: { bogus_param: 1 } },
        { template: 'logistic_regression', params: {} },
      ],
    });
    const summary = await handle.result();
    expect(summary.ledger.map((s) => s.status)).toEqual(['failed', 'ok']);
    expect(summary.ledger[0]!.error).toMatch(/bogus_param/);
    const history = await handle.fetchHistory();
    const trainAttempts = history.events!.filter((e) => e.activityTaskStartedEventAttributes && e.activityTaskStartedEventAttributes.attempt! > 1);
    expect(trainAttempts).toEqual([]); // non-retryable: no second attempt
    expect(summary.bestCandidate?.template).toBe('logistic_regression');
  });
});
