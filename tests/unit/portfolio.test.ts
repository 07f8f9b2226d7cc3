import { describe, expect, it } from 'vitest';
import { portfolioOutcome } from '../../activities/credit.js';
import { offlineAgent } from '../../agents/index.js';
import { neutralPrior } from '../../agents/offline/search-space.js';
import { distill } from '../../distill/apply.js';
import { computeToNearBest, learnOrder, orderSaving, profileOf, type Profile } from '../../distill/portfolio.js';
import { DEFAULT_POLICY, review } from '../../distill/rules.js';
import type { Trajectory } from '../../distill/trajectory.js';
import type { CompetitionSpec } from '../../schemas/competition.js';
import type { Candidate } from '../../schemas/training.js';
import type { RetrievedSkill } from '../../schemas/skill.js';
import { tempSkillStores } from '../helpers/skills.js';

const c = (template: string, params: Record<string, unknown> = {}): Candidate => ({ template, params });
const step = (candidate: Candidate, cvScore: number | undefined, computeSeconds: number) => ({
  candidate,
  status: cvScore === undefined ? ('failed' as const) : ('ok' as const),
  cvScore,
  computeSeconds,
});

describe('run profiles', () => {
  it('measures each candidate as the share of the run’s gain over the baseline it missed, in the metric’s direction', () => {
    const p = profileOf([step(c('ridge'), 60, 3), step(c('hist_gradient_boosting'), 50, 8), step(c('knn'), undefined, 2)], 80, 'minimize')!;
    expect(p['hist_gradient_boosting:[]']).toMatchObject({ regret: 0, computeSeconds: 8 });
    expect(p['ridge:[]']!.regret).toBeCloseTo(10 / 30, 3);
    expect(p['knn:[]']!.regret).toBeNull();
    expect(profileOf([step(c('ridge'), 60, 3)], null, 'minimize')).toBeNull(); // no baseline: nothing to measure against
    expect(profileOf([step(c('ridge'), 90, 3)], 80, 'minimize')).toBeNull(); // nothing beat the baseline
  });
});

// Three runs: the cheap linear model is near-best on two, only boosting on the third.
const runs: Profile[] = [
  profileOf([step(c('hist_gradient_boosting'), 0.9, 8), step(c('logistic_regression'), 0.9, 3), step(c('knn'), 0.7, 3)], 0.5, 'maximize')!,
  profileOf([step(c('hist_gradient_boosting'), 0.8, 8), step(c('logistic_regression'), 0.8, 3), step(c('knn'), 0.7, 3)], 0.5, 'maximize')!,
  profileOf([step(c('hist_gradient_boosting'), 0.95, 9), step(c('logistic_regression'), 0.7, 3), step(c('random_forest'), 0.95, 1)], 0.5, 'maximize')!,
];

describe('learned portfolio order', () => {
  it('picks the candidate with the most near-best runs per second first, and only candidates measured on two runs or more', () => {
    const order = learnOrder(runs, 0.02);
    // logistic: 2 runs / 3 s beats boosting: 3 runs / 8.3 s; then boosting covers the third run. The
    // forest is cheapest on that run but was measured only there.
    expect(order).toEqual([c('logistic_regression'), c('hist_gradient_boosting')]);
    expect(learnOrder([runs[0]!], 0.02)).toEqual([]);
  });

  it('replays an order on a run: compute until its first near-best candidate, undefined when that needs an unmeasured one', () => {
    expect(computeToNearBest([c('logistic_regression'), c('hist_gradient_boosting')], runs[2]!, 0.02)).toBe(12);
    expect(computeToNearBest([c('hist_gradient_boosting')], runs[0]!, 0.02)).toBe(8);
    expect(computeToNearBest([c('mlp'), c('hist_gradient_boosting')], runs[0]!, 0.02)).toBeUndefined();
    const base = [c('hist_gradient_boosting'), c('logistic_regression'), c('knn')];
    expect(orderSaving([c('logistic_regression')], base, runs[0]!, 0.02)).toBeCloseTo(5 / 8, 9);
    expect(orderSaving([c('logistic_regression')], base, runs[2]!, 0.02)).toBeCloseTo((9 - 12) / 9, 9);
  });
});

function spec(id: string, rows: number): CompetitionSpec {
  return {
    id,
    title: id,
    domain: 'tabular',
    taskType: 'binary',
    dir: `/data/${id}`,
    metric: 'accuracy',
    direction: 'maximize',
    budget: { computeSeconds: 60, maxSteps: 9 },
    traits: { rows, features: 8, numericFeatures: 8, categoricalFeatures: 0 },
  };
}

/** A cold tabular episode (neutral order) in which logistic regression scored `linear` and the rest as given. */
function episode(id: string, run: string, linear: number): Trajectory {
  const scores: [Candidate, number, number][] = [
    [c('hist_gradient_boosting'), 0.85, 8],
    [c('logistic_regression'), linear, 3],
    [c('random_forest'), 0.84, 9],
  ];
  return {
    workflowId: `haste-episode-${id}-t`,
    runId: run,
    finalScore: 0.86,
    baselineScore: 0.5,
    state: {
      competition: spec(id, 1000),
      steps: scores.map(([candidate, cvScore, computeSeconds], i) => ({ step: i, candidate, status: 'ok', cvScore, improved: i === 0, computeSeconds })),
    },
  };
}

const openStore = tempSkillStores('portfolio');

describe('the portfolio lesson', () => {
  it('is promoted from two competitions, re-learned as a new version with more runs, and unchanged by re-running distillation', async () => {
    const store = await openStore();
    await distill(store, [episode('a', 'r1', 0.86)], { rowsOf: () => 1000 });
    expect((await store.list({ tier: ['domain'] })).filter((s) => s.recipe.portfolio)).toHaveLength(0);
    await distill(store, [episode('b', 'r2', 0.855)], { rowsOf: () => 1000 });
    const [lesson] = (await store.list({ tier: ['domain'] })).filter((s) => s.recipe.portfolio);
    // Promoted (version 1), then judged: two competitions are too few for leave-one-out (version 2).
    expect(lesson).toMatchObject({ status: 'candidate', title: 'tabular: learned portfolio order', version: 2 });
    expect(lesson!.statusReason).toBe('not validated: leave-one-competition-out over 2 run(s): mean compute-to-near-best saving 0.0%, 0 win(s), 0 loss(es)');
    expect(lesson!.recipe.portfolio).toEqual([c('logistic_regression')]);
    expect(lesson!.evidence.map((e) => e.competition)).toEqual(['a', 'b']);

    const before = await store.list({});
    expect((await distill(store, [episode('a', 'r1', 0.86), episode('b', 'r2', 0.855)], { rowsOf: () => 1000 })).audit).toEqual([]);
    expect(await store.list({})).toEqual(before);

    // A third competition where the linear model falls short: boosting joins the order, and with three
    // competitions leave-one-out can judge it: learned from two, it saved compute on two of the three.
    await distill(store, [episode('c', 'r3', 0.7)], { rowsOf: () => 1000 });
    const [relearned] = (await store.list({ tier: ['domain'] })).filter((s) => s.recipe.portfolio);
    expect(relearned!.id).toBe(lesson!.id);
    expect(relearned!.recipe.portfolio).toEqual([c('logistic_regression'), c('hist_gradient_boosting')]);
    expect(relearned).toMatchObject({ status: 'active', version: 4 });
    expect(relearned!.statusReason).toMatch(/^leave-one-competition-out over 3 run\(s\): mean compute-to-near-best saving 32\.6%, 2 win\(s\), 1 loss\(es\)$/);
  });

  it('stays a candidate when leave-one-out says its order would not have saved compute', async () => {
    const store = await openStore();
    await distill(store, [episode('a', 'r1', 0.86), episode('c', 'r3', 0.7), episode('e', 'r5', 0.7)], { rowsOf: () => 1000 });
    const [lesson] = (await store.list({ tier: ['domain'] })).filter((s) => s.recipe.portfolio);
    expect(lesson).toMatchObject({ status: 'candidate' });
    expect(lesson!.statusReason).toMatch(/^not validated: leave-one-competition-out over 3 run\(s\): mean compute-to-near-best saving -\d+\.\d%, 0 win\(s\), 2 loss\(es\)$/);
    expect(review([lesson!, ...(await store.list({ tier: ['task'] }))], DEFAULT_POLICY).write).toEqual([]);
  });

  it('reorders the neutral portfolio and names itself on the candidates it moved forward, and only those', async () => {
    const competition = spec('held-out', 1000);
    const lesson: RetrievedSkill = {
      id: 'order',
      tier: 'domain',
      kind: 'technique',
      title: 'order',
      body: 'order',
      score: 1,
      recipe: { preprocessing: [], params: {}, portfolio: [c('logistic_regression'), c('ridge'), c('hist_gradient_boosting')] },
    };
    const plan = await offlineAgent.plan({ competition, seed: 0, skills: [], tiered: { global: [], domain: [lesson], task: [] } });
    const neutral = neutralPrior('tabular', 'binary').candidates;
    expect(plan.portfolio.slice(0, 2)).toEqual([c('logistic_regression'), c('hist_gradient_boosting')]); // ridge cannot do binary
    expect(plan.portfolio.slice(2)).toEqual(neutral.filter((n) => n.template !== 'logistic_regression' && n.template !== 'hist_gradient_boosting'));
    expect(plan.shapedBy).toEqual({ 'logistic_regression:[]': ['order'] });
  });

  it('is credited with the compute its order saved on an episode, replayed on that episode’s measurements', async () => {
    const store = await openStore();
    await distill(store, [episode('a', 'r1', 0.86), episode('b', 'r2', 0.855)], { rowsOf: () => 1000 });
    const [lesson] = (await store.list({ tier: ['domain'] })).filter((s) => s.recipe.portfolio);
    // A warm episode on competition d that followed the lesson: logistic first, then the rest.
    const steps = [step(c('logistic_regression'), 0.86, 3), step(c('hist_gradient_boosting'), 0.85, 8), step(c('random_forest'), 0.84, 9)].map((s) => ({
      ...s,
      skillIds: [] as string[],
    }));
    const input = {
      workflowId: 'haste-episode-d-t',
      runId: 'r4',
      competitionId: 'd',
      domain: 'tabular',
      taskType: 'binary' as const,
      direction: 'maximize' as const,
      steps,
      baselineScore: 0.5,
    };
    const outcome = portfolioOutcome(lesson!, input)!;
    expect(outcome).toEqual({ delta: Number(((11 - 3) / 11).toFixed(4)), won: true }); // neutral: boosting (8 s, short of near-best), then logistic (3 s)
    // Where the order cannot be replayed (a candidate in its prefix never ran), there is no outcome.
    expect(portfolioOutcome(lesson!, { ...input, steps: steps.slice(1) })).toBeUndefined();
  });
});
