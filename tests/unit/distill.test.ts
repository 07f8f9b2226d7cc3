import { describe, expect, it } from 'vitest';
import { skillOutcomes } from '../../activities/credit.js';
import { distill } from '../../distill/apply.js';
import { DEFAULT_POLICY, resolveConflicts, review, settleProbe } from '../../distill/rules.js';
import type { Trajectory } from '../../distill/trajectory.js';
import type { CompetitionSpec } from '../../schemas/competition.js';
import { createSkill, type SkillRecord } from '../../schemas/skill.js';
import { applyOutcome } from '../../skill-store/store.js';
import { tempSkillStores } from '../helpers/skills.js';

function spec(id: string, domain: string, rows: number, taskType: CompetitionSpec['taskType'] = 'binary'): CompetitionSpec {
  return {
    id,
    title: id,
    domain,
    taskType,
    dir: `/data/${id}`,
    metric: 'accuracy',
    direction: 'maximize',
    budget: { computeSeconds: 60, maxSteps: 5 },
    traits: { rows, features: 8, numericFeatures: 8, categoricalFeatures: 0 },
  };
}

/** An episode in which `winner` was the best step. */
function trajectory(c: CompetitionSpec, winner: { template: string; params: Record<string, unknown> }, run: string, final = 0.9, baseline = 0.6): Trajectory {
  return {
    workflowId: `haste-episode-${c.id}-t`,
    runId: run,
    finalScore: final,
    baselineScore: baseline,
    state: {
      competition: c,
      steps: [
        { step: 0, candidate: { template: 'logistic_regression', params: {} }, status: 'ok', cvScore: 0.8, improved: true, computeSeconds: 3 },
        { step: 1, candidate: winner, status: 'ok', cvScore: 0.88, improved: true, computeSeconds: 5 },
      ],
    },
  };
}

const openStore = tempSkillStores('distill');

const rows = (c: string) => ({ a: 500, b: 800, c: 50_000, d: 80_000 })[c];
const HGB = (lr: number) => ({ template: 'hist_gradient_boosting', params: { learning_rate: lr, max_leaf_nodes: 31 } });

describe('distillation rules', () => {
  it('extracts task skills, promotes to the domain tier only after k competitions, and changes nothing when re-run', async () => {
    const store = await openStore();
    const first = await distill(store, [trajectory(spec('a', 'tabular', 500), HGB(0.05), 'r1')], { rowsOf: rows });
    expect(first.audit.map((a) => a.action)).toEqual(['created']);
    expect(await store.list({ tier: ['domain'] })).toHaveLength(0); // one competition is no evidence for a domain

    const second = await distill(store, [trajectory(spec('b', 'tabular', 800), HGB(0.1), 'r2')], { rowsOf: rows });
    expect(second.audit.map((a) => a.action)).toEqual(['created', 'promoted']);
    const [domain] = await store.list({ tier: ['domain'] });
    expect(domain).toMatchObject({ status: 'candidate', scope: { domain: 'tabular' }, recipe: { template: 'hist_gradient_boosting' } });
    expect(domain!.recipe.params.learning_rate).toMatchObject({ log: true });
    const range = domain!.recipe.params.learning_rate as { min: number; max: number };
    expect(range.min).toBeLessThanOrEqual(0.05);
    expect(range.max).toBeGreaterThanOrEqual(0.1);
    expect(domain!.evidence.map((e) => e.competition).sort()).toEqual(['a', 'b']);

    const before = await store.list({});
    const again = await distill(store, [trajectory(spec('a', 'tabular', 500), HGB(0.05), 'r1'), trajectory(spec('b', 'tabular', 800), HGB(0.1), 'r2')], { rowsOf: rows });
    expect(again.audit).toEqual([]);
    expect(await store.list({})).toEqual(before);
  });

  it('merges a later run of the same lesson into the stored skill (evidence added, version bumped)', async () => {
    const store = await openStore();
    await distill(store, [trajectory(spec('a', 'tabular', 500), HGB(0.05), 'r1')], { rowsOf: rows });
    const report = await distill(store, [trajectory(spec('a', 'tabular', 500), HGB(0.05), 'r9', 0.92)], { rowsOf: rows });
    expect(report.audit.map((a) => a.action)).toEqual(['merged']);
    const [task] = await store.list({ tier: ['task'] });
    expect(task!.evidence.map((e) => e.runId)).toEqual(['haste-episode-a-t/r1', 'haste-episode-a-t/r9']);
    expect(task!.version).toBe(2);
  });

  it('promotes a model family to the global tier once it won in two domains', async () => {
    const store = await openStore();
    await distill(
      store,
      [
        trajectory(spec('a', 'tabular', 500), HGB(0.05), 'r1'),
        trajectory(spec('b', 'tabular', 800), HGB(0.1), 'r2'),
        trajectory(spec('c', 'time-series', 5000, 'regression'), { template: 'lag_gbm', params: {} }, 'r3'),
        trajectory(spec('d', 'time-series', 8000, 'regression'), { template: 'lag_gbm', params: {} }, 'r4'),
      ],
      { rowsOf: rows },
    );
    const [global] = await store.list({ tier: ['global'] });
    expect(global).toMatchObject({ title: 'try boosting models first', recipe: { params: { family: 'boosting' } }, status: 'candidate' });
  });

  const domainSkill = (template: string, meanDelta: number, competitions: string[]): SkillRecord =>
    createSkill({
      tier: 'domain',
      scope: { domain: 'tabular' },
      kind: 'recipe',
      title: `start with ${template}`,
      body: template,
      recipe: { template, params: {} },
      conditions: { taskTypes: ['binary'] },
      status: 'active',
      stats: { uses: 3, wins: 2, losses: 1, meanDelta, recent: [] },
      evidence: competitions.map((c) => ({ competition: c, runId: `run-${c}`, metric: 'accuracy', deltaVsBaseline: 0.1, computeSeconds: 5 })),
    });

  it('narrows two conflicting active skills apart by the rows behind their evidence', () => {
    const small = domainSkill('random_forest', 0.02, ['a', 'b']);
    const large = domainSkill('hist_gradient_boosting', 0.03, ['c', 'd']);
    const change = resolveConflicts([small, large], rows);
    expect(change.audit.map((a) => a.action)).toEqual(['narrowed', 'narrowed']);
    const [s, l] = change.write;
    expect(s!.conditions.rows).toEqual({ max: Math.round(Math.sqrt(800 * 50_000)) });
    expect(l!.conditions.rows).toEqual({ min: Math.round(Math.sqrt(800 * 50_000)) });
    // Narrowed apart, they no longer conflict.
    expect(resolveConflicts(change.write, rows).write).toEqual([]);
  });

  it('when rows cannot separate them, the weaker goes back to candidate with the reason recorded', () => {
    const change = resolveConflicts([domainSkill('random_forest', 0.01, ['a', 'c']), domainSkill('hist_gradient_boosting', 0.03, ['b', 'd'])], rows);
    expect(change.write).toHaveLength(1);
    expect(change.write[0]).toMatchObject({ status: 'candidate', recipe: { template: 'random_forest' } });
    expect(change.write[0]!.statusReason).toMatch(/conflicts with .* not separable by rows; kept the one with the higher mean delta/);
  });

  it('with a competition to probe on, leaves a conflict rows cannot separate to a probe, whose worse candidate goes back to candidate', () => {
    const [weak, strong] = [domainSkill('random_forest', 0.01, ['a', 'c']), domainSkill('hist_gradient_boosting', 0.03, ['b', 'd'])];
    const target = { competition: 'a', dir: '/data/a', direction: 'maximize' as const };
    const change = resolveConflicts([weak, strong], rows, (competitions) => (competitions.includes('a') ? target : undefined));
    expect(change.write).toEqual([]);
    expect(change.probes).toEqual([
      {
        skills: [weak.id, strong.id],
        candidates: [
          { template: 'random_forest', params: {} },
          { template: 'hist_gradient_boosting', params: {} },
        ],
        target,
      },
    ]);
    const probe = change.probes![0]!;
    // The probe overrules the mean deltas: here the forest scored better.
    const settled = settleProbe(probe, [weak, strong], [0.91, 0.9]);
    expect(settled.write).toHaveLength(1);
    expect(settled.write[0]).toMatchObject({ id: strong.id, status: 'candidate' });
    expect(settled.write[0]!.statusReason).toBe(
      `conflicts with ${weak.id} (random_forest); probe on a: hist_gradient_boosting cv 0.9000 vs random_forest cv 0.9100; kept random_forest active`,
    );
    expect(settleProbe(probe, [weak, strong], [null, 0.5]).write[0]).toMatchObject({ id: weak.id }); // a failed run loses
    expect(settleProbe(probe, [weak, settled.write[0]!], [0.91, 0.9]).write).toEqual([]); // settled already
  });

  it('validates candidates on unseen competitions, and decays skills that stop paying: deprecated, then retired', () => {
    const use = (s: SkillRecord, competition: string, delta: number, key: string) => applyOutcome(s, { delta, won: delta > 0, competition, key });
    let candidate: SkillRecord = { ...domainSkill('hist_gradient_boosting', 0, ['a', 'b']), status: 'candidate', stats: { uses: 0, wins: 0, losses: 0, meanDelta: 0, recent: [] } };
    candidate = use(candidate, 'a', 0.05, 'k0'); // on its own evidence: does not validate
    expect(review([candidate], DEFAULT_POLICY).write).toEqual([]);
    candidate = use(candidate, 'e', 0.02, 'k1');
    const activated = review([candidate], DEFAULT_POLICY);
    expect(activated.audit[0]).toMatchObject({ action: 'activated' });
    expect(use(candidate, 'e', 0.02, 'k1')).toBe(candidate); // the same use reported again is not counted

    let active = activated.write[0]!;
    for (const [i, d] of [-0.01, -0.02, 0].entries()) active = use(active, 'f', d, `bad-${i}`);
    const deprecated = review([active], DEFAULT_POLICY);
    expect(deprecated.write[0]).toMatchObject({ status: 'deprecated' });
    expect(deprecated.write[0]!.statusReason).toMatch(/stopped paying: mean delta -0\.0100 over its last 3 uses/);
    let dep = deprecated.write[0]!;
    for (const [i, d] of [-0.03, -0.01, -0.02].entries()) dep = use(dep, 'g', d, `worse-${i}`);
    expect(review([dep], DEFAULT_POLICY).write[0]).toMatchObject({ status: 'retired' });
    expect(review(review([dep], DEFAULT_POLICY).write, DEFAULT_POLICY).write).toEqual([]); // retired is final
  });
});

describe('credit assignment', () => {
  it('credits each skill with its steps against the steps without it (or the baseline)', () => {
    const steps = [
      { status: 'ok' as const, cvScore: 0.8, skillIds: [] },
      { status: 'ok' as const, cvScore: 0.86, skillIds: ['s1'] },
      { status: 'ok' as const, cvScore: 0.78, skillIds: ['s2'] },
      { status: 'failed' as const, skillIds: ['s3'] },
    ];
    const outcomes = skillOutcomes(steps, 0.5, 'maximize');
    expect(outcomes.get('s1')!.delta).toBeCloseTo(0.06, 9);
    expect(outcomes.get('s1')!.won).toBe(true);
    expect(outcomes.get('s2')!.delta).toBeCloseTo(-0.08, 9);
    expect(outcomes.has('s3')).toBe(false);
    expect(skillOutcomes([{ status: 'ok', cvScore: 3, skillIds: ['s'] }], 5, 'minimize').get('s')).toEqual({ delta: 2, won: true });
  });
});
