import { readFileSync } from 'node:fs';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { startEpisode } from '../../client/episodes.js';
import type { EpisodeSummary } from '../../schemas/episode.js';
import { TechniqueDeltaSchema } from '../../schemas/learning.js';
import { ProfileSchema } from '../../schemas/profile.js';
import { withSuiteWorkers } from '../helpers/workers.js';

/** The Phase values an episode's history upserted, in order (payloads are JSON). */
function phasesOf(history: Awaited<ReturnType<ReturnType<ReturnType<typeof withSuiteWorkers>['client']['workflow']['getHandle']>['fetchHistory']>>): string[] {
  const phases: string[] = [];
  for (const e of history.events ?? []) {
    const payload = e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields?.Phase;
    if (!payload?.data) continue;
    const value = JSON.parse(Buffer.from(payload.data).toString('utf8')) as string;
    if (phases.at(-1) !== value) phases.push(value);
  }
  return phases;
}

describe('the engineer in stages on a real Temporal dev server', () => {
  const suite = withSuiteWorkers();

  it('profiles, screens, refines, ensembles and ablates; the ledger, Phase and trajectory show it', async () => {
    const { handle } = await startEpisode(suite.config, suite.client, {
      competition: 'titanic',
      budget: { maxSteps: 10, computeSeconds: 5000 },
      stopAtTarget: false,
      learn: false,
      runTag: `stages-${Date.now()}`,
    });
    const summary: EpisodeSummary = await handle.result();

    const stages = summary.ledger.map((s) => s.stage);
    expect(stages.slice(0, 3)).toEqual(['screening', 'screening', 'screening']);
    expect(stages).toContain('refining');
    expect(stages.filter((s) => s === 'ensembling')).toHaveLength(1);
    expect(stages).toContain('ablating');
    for (const step of summary.ledger) {
      expect(step.candidate.template).toBe('pipeline');
      expect(step.status, `step ${step.step}: ${step.error ?? ''}`).toBe('ok');
    }
    const ensemble = summary.ledger.find((s) => s.stage === 'ensembling')!;
    expect(ensemble.artifactSteps!.length).toBeGreaterThanOrEqual(2);
    expect(ensemble.ensembleKept).toBeTypeOf('boolean');

    expect(summary.learnings!.length).toBeGreaterThanOrEqual(2);
    for (const d of summary.learnings!) expect(TechniqueDeltaSchema.safeParse(d).success).toBe(true);
    expect(summary.learnings!.map((d) => d.technique)).toContain('ensemble:nnls');

    const trajectory = JSON.parse(readFileSync(summary.trajectory!, 'utf8')) as { state: { profile: unknown; learnings: unknown[] } };
    const profile = ProfileSchema.parse(trajectory.state.profile);
    expect(profile.rows).toBeGreaterThan(100);
    expect(profile.target.classes).toBe(2);
    expect(profile.counts.categorical).toBeGreaterThan(0);
    expect(trajectory.state.learnings).toEqual(summary.learnings);

    const history = await handle.fetchHistory();
    const phases = phasesOf(history);
    expect(phases).toEqual(expect.arrayContaining(['profiling', 'planning', 'screening', 'refining', 'ensembling', 'ablating', 'completed']));
    expect(phases.indexOf('profiling')).toBeLessThan(phases.indexOf('screening'));
    await expect(Worker.runReplayHistory({ workflowBundle: { codePath: process.env.HASTE_WORKFLOW_BUNDLE! } }, history, handle.workflowId)).resolves.toBeUndefined();

    for (const s of summary.ledger)
      console.log(`step ${s.step} ${s.stage} cv ${s.cvScore?.toFixed(4)} graded ${s.gradedScore?.toFixed(4)} ${s.computeSeconds.toFixed(1)} s — ${s.rationale}`);
    for (const d of summary.learnings!) console.log(`learning ${d.technique}: delta ${d.delta.toFixed(4)} (steps ${d.steps.join(' vs ')})`);
    console.log(`final graded ${summary.finalScore}, best cv ${summary.bestCvScore}, compute ${summary.computeSeconds.toFixed(1)} s`);
  }, 900_000);
});
