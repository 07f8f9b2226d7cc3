import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { startEpisode } from '../../client/episodes.js';
import { loadCompetitionSpec } from '../../infra/competitions.js';
import type { EpisodeSummary } from '../../schemas/episode.js';
import type { Candidate } from '../../schemas/training.js';
import { withSuiteWorkers } from '../helpers/workers.js';

/**
 * Solution faults are never retried: the step fails at its first attempt with the reason, the ledger
 * and the agent see it, the episode goes on. Built from real data and parameters the templates accept.
 */
describe('solution faults on a real Temporal dev server', () => {
  const suite = withSuiteWorkers();

  /** Training attempts in the history, as (attempt number, failure type, non-retryable) per start. */
  async function trainingAttempts(handle: WorkflowHandle) {
    const events = (await handle.fetchHistory()).events!;
    const scheduled = new Set(events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'trainCandidate').map((e) => String(e.eventId)));
    const started = events.filter((e) => scheduled.has(String(e.activityTaskStartedEventAttributes?.scheduledEventId)));
    const failed = events.filter((e) => scheduled.has(String(e.activityTaskFailedEventAttributes?.scheduledEventId)));
    return {
      starts: started.map((e) => Number(e.activityTaskStartedEventAttributes!.attempt)),
      failures: failed.map((e) => e.activityTaskFailedEventAttributes!.failure!.applicationFailureInfo),
    };
  }

  async function runFaultyThenSound(competition: string, faulty: Candidate, sound: Candidate, tag: string) {
    const { handle } = await startEpisode(suite.config, suite.client, {
      competition,
      budget: { maxSteps: 2 },
      stopAtTarget: false,
      runTag: `${tag}-${Date.now()}`,
      initialCandidates: [faulty, sound],
      training: { folds: 3 },
    });
    const summary: EpisodeSummary = await handle.result();
    return { handle, summary };
  }

  function expectOneAttemptSolutionError(attempts: Awaited<ReturnType<typeof trainingAttempts>>) {
    // Two steps, each started exactly once: the failed one was never retried.
    expect(attempts.starts).toEqual([1, 1]);
    expect(attempts.failures).toHaveLength(1);
    expect(attempts.failures[0]).toMatchObject({ type: 'SolutionError', nonRetryable: true });
  }

  it('an empty TF-IDF vocabulary: one attempt, the reason in the ledger and in what the agent sees', async () => {
    // Titanic with its one-letter `embarked` codes declared as text: word tokens need two letters, so with
    // min_df=40 no term remains.
    const source = await loadCompetitionSpec(suite.config, 'titanic');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'haste-embarked-text-'));
    cpSync(source.dir, dir, { recursive: true });
    writeFileSync(path.join(dir, 'competition.yaml'), `${readFileSync(path.join(dir, 'competition.yaml'), 'utf8')}text_columns: [embarked]\n`);
    const { handle, summary } = await runFaultyThenSound(
      dir,
      { template: 'tfidf_logistic', params: { min_df: 40 } },
      { template: 'logistic_regression', params: {} },
      'empty-vocab',
    );
    expect(summary.ledger.map((s) => s.status)).toEqual(['failed', 'ok']);
    const failed = summary.ledger[0]!;
    expect(failed.error).toMatch(/empty vocabulary|no terms remain/);
    // Charged in slot seconds measured by the activity, CPU included (the workflow alone cannot see CPU).
    expect(failed.computeSeconds).toBeGreaterThan(0);
    expect(failed.cpuSeconds).toBeGreaterThan(0);
    expectOneAttemptSolutionError(await trainingAttempts(handle));
    // The trajectory keeps the error for the agent's history (StepView.error comes from the same record).
    const trajectory = JSON.parse(readFileSync(summary.trajectory!, 'utf8'));
    expect(trajectory.state.steps[0].error).toMatch(/empty vocabulary|no terms remain/);
  });

  it('a regression whose predictions leave the metric domain (NaN RMSLE): one attempt, the reason named', async () => {
    // RAND doctor visits (a skewed count, many zeros) scored by RMSLE, brought as a user's own folder.
    const source = await loadCompetitionSpec(suite.config, 'rand-doctor-visits');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'haste-rmsle-'));
    cpSync(source.dir, dir, { recursive: true });
    const yaml = readFileSync(path.join(dir, 'competition.yaml'), 'utf8');
    writeFileSync(
      path.join(dir, 'competition.yaml'),
      yaml
        .replace('id: rand-doctor-visits', 'id: visits-rmsle')
        .replace('name: rmse', 'name: rmsle')
        .replace(/^target_score:.*$/m, ''),
    );
    // A far too large step makes the MLP diverge: predictions below -1, where log1p (and RMSLE) is NaN.
    const { handle, summary } = await runFaultyThenSound(dir, { template: 'mlp', params: { learning_rate_init: 1.0, epochs: 3 } }, { template: 'ridge', params: {} }, 'rmsle-nan');
    expect(summary.ledger.map((s) => s.status)).toEqual(['failed', 'ok']);
    expect(summary.ledger[0]!.error).toMatch(/predictions are out of range.*rmsle is defined only for numbers in \[0, inf\)/);
    expectOneAttemptSolutionError(await trainingAttempts(handle));
  });
});
