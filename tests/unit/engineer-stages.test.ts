import { describe, expect, it } from 'vitest';
import { techniqueDeltas, techniquesOf } from '../../schemas/ablation.js';
import { proposeOffline } from '../../agents/offline/engineer.js';
import { planOffline } from '../../agents/offline/planner.js';
import { prototypes } from '../../agents/offline/prototypes.js';
import { type ModelSpec, PipelineSpecSchema } from '../../schemas/pipeline.js';
import { candidateKey } from '../../schemas/training.js';
import { grow, nextStage, stepsLeft } from '../../agents/offline/stages.js';
import type { Proposal, ProposeContext } from '../../agents/types.js';
import type { StepView } from '../../schemas/episode.js';
import { TechniqueDeltaSchema } from '../../schemas/learning.js';
import type { Profile } from '../../schemas/profile.js';
import type { RetrievedSkill } from '../../schemas/skill.js';
import { toyCompetition } from '../helpers/competition.js';

const competition = toyCompetition({
  taskType: 'regression',
  metric: 'rmsle',
  direction: 'minimize',
  budget: { computeSeconds: 1000, maxSteps: 12 },
  traits: { rows: 1000, features: 4, numericFeatures: 2, categoricalFeatures: 2 },
});

const tabular: Profile = {
  version: 1,
  taskType: 'regression',
  metric: 'rmsle',
  rows: 1000,
  testRows: 300,
  columns: [
    { name: 'a', kind: 'numeric', missingShare: 0.1, cardinality: 900 },
    { name: 'b', kind: 'numeric', missingShare: 0, cardinality: 50 },
    { name: 'shop', kind: 'categorical', missingShare: 0, cardinality: 150 },
    { name: 'day', kind: 'datetime', missingShare: 0, cardinality: 300 },
  ],
  counts: { numeric: 2, categorical: 1, text: 0, symbols: 0, datetime: 1 },
  maxCardinality: 150,
  missingShare: 0.025,
  target: { min: 0, max: 5000, skew: 3.2 },
};

function specOf(c: { params: unknown }): ModelSpec {
  return c.params as ModelSpec;
}

async function context(history: StepView[], extra: Partial<ProposeContext> = {}, profile: Profile = tabular, comp = competition): Promise<ProposeContext> {
  const plan = await planOffline({ competition: comp, seed: 5, skills: [], profile });
  return { competition: comp, plan, history, seed: 5, step: history.length, remainingComputeSeconds: 900, initialCandidates: [], profile, ...extra };
}

/** Plays an episode of `steps` steps where the score (lower is better) is a fixed function of the spec. */
async function play(steps: number, score: (spec: ModelSpec | null) => number, extra: Partial<ProposeContext> = {}): Promise<{ history: StepView[]; proposals: Proposal[] }> {
  const history: StepView[] = [];
  const proposals: Proposal[] = [];
  for (let i = 0; i < steps; i++) {
    const proposal = await proposeOffline(await context(history, { remainingSteps: steps - i, ...extra }));
    if (!proposal) break;
    proposals.push(proposal);
    const params = proposal.candidate.params;
    const view: StepView = { step: i, candidate: proposal.candidate, status: 'ok', computeSeconds: 10, cvScore: 'ensemble' in params ? 0.3 : score(specOf(proposal.candidate)) };
    if (proposal.stage) view.stage = proposal.stage;
    if (proposal.parent !== undefined) view.parent = proposal.parent;
    if (proposal.ablation) view.ablation = proposal.ablation;
    if (proposal.artifactSteps) view.artifactSteps = proposal.artifactSteps;
    history.push(view);
  }
  return { history, proposals };
}

/** A booster with log1p is best; each feature step and early stopping help a little. */
function toyScore(spec: ModelSpec | null): number {
  if (!spec) return 1;
  const base = spec.model.template === 'lightgbm' ? 0.5 : spec.model.template === 'extra_trees' ? 0.6 : 0.8;
  const lr = 'params' in spec.model ? Number(spec.model.params.learning_rate ?? 0.1) : 0.1;
  return (
    base -
    (spec.target === 'log1p' ? 0.1 : 0) -
    0.01 * spec.features.length -
    ('early_stopping' in spec.model && spec.model.early_stopping ? 0.02 : 0) +
    Math.abs(Math.log(lr / 0.05)) * 0.01
  );
}

describe('stage 2: prototypes from the profile', () => {
  it('tabular RMSLE with a skewed positive target, a wide categorical and dates: booster (log1p, target encoding, dates, early stopping), linear, extra trees', () => {
    const [booster, linear, forest] = prototypes(tabular);
    for (const spec of [booster, linear, forest]) expect(PipelineSpecSchema.safeParse(spec).success).toBe(true);
    expect(booster!.target).toBe('log1p');
    expect(booster!.model).toMatchObject({ template: 'lightgbm', early_stopping: {} });
    expect(booster!.features.map((s) => s.kind)).toEqual(expect.arrayContaining(['target_encoding', 'datetime', 'impute']));
    expect(linear!.model.template).toBe('ridge');
    expect(linear!.features.map((s) => s.kind)).toEqual(expect.arrayContaining(['one_hot', 'scale']));
    expect(forest!.model.template).toBe('extra_trees');
    // Without RMSLE, or with a negative target, no log1p; a narrow category gets no target encoding.
    expect(prototypes({ ...tabular, metric: 'rmse' })[0]!.target).toBe('none');
    expect(prototypes({ ...tabular, target: { min: -3, max: 5, skew: 3 } })[0]!.target).toBe('none');
    expect(prototypes({ ...tabular, maxCardinality: 8 })[0]!.features.map((s) => s.kind)).not.toContain('target_encoding');
  });

  it('text, symbol sequences, images and series each get their own prototypes', () => {
    const base = { ...tabular, taskType: 'binary' as const, metric: 'accuracy', target: { classes: 2, minorityShare: 0.4 }, maxCardinality: 0 };
    const text = prototypes({ ...base, counts: { numeric: 0, categorical: 0, text: 1, symbols: 0, datetime: 0 } });
    expect(text.map((s) => [s.model.template, s.features.find((f) => f.kind === 'tfidf')])).toEqual([
      ['logistic_regression', expect.objectContaining({ analyzer: 'word' })],
      ['logistic_regression', expect.objectContaining({ analyzer: 'char_wb' })],
      ['lightgbm', expect.objectContaining({ analyzer: 'word' })],
    ]);
    const symbols = prototypes({ ...base, counts: { numeric: 0, categorical: 0, text: 0, symbols: 1, datetime: 0 } });
    expect(symbols.map((s) => `${s.features.map((f) => f.kind).join('+')}:${s.model.template}`)).toEqual([
      'positional:lightgbm',
      'kmer:lightgbm',
      'positional:logistic_regression',
    ]);
    const image = prototypes({ ...base, counts: { numeric: 0, categorical: 0, text: 0, symbols: 0, datetime: 0 }, image: { height: 8, width: 8, channels: 3 } });
    expect(image.every((s) => s.features[0]?.kind === 'pixels')).toBe(true);
    // Cheap first; the booster subsamples the many pixel columns.
    expect(image.map((s) => s.model.template)).toEqual(['extra_trees', 'logistic_regression', 'lightgbm']);
    expect(image[2]!.model).toMatchObject({ params: { colsample: 0.3, num_leaves: 15, epochs: 4 } });
    const series = prototypes({
      ...tabular,
      taskType: 'forecasting',
      metric: 'mae',
      columns: [],
      counts: { numeric: 0, categorical: 0, text: 0, symbols: 0, datetime: 0 },
      series: { count: 20, minLength: 500, meanLength: 500, maxLength: 500, frequency: 'D', season: 7, horizon: 28 },
    });
    expect(series.map((s) => s.model.template)).toEqual(['seasonal_naive', 'theta', 'lightgbm', 'ets']);
    // The naive baseline first: the last value, whatever the season.
    expect(series[0]!.model).toMatchObject({ season_length: 1 });
    expect(series[1]!.model).toMatchObject({ season_length: 7 });
    expect(series[2]!.features.find((f) => f.kind === 'lags')).toEqual({ kind: 'lags', lags: [1, 2, 3, 7, 8, 14] });
    for (const spec of [...text, ...symbols, ...image, ...series]) expect(PipelineSpecSchema.safeParse(spec).success).toBe(true);
  });
});

describe('stage selection', () => {
  const ok = (step: number, stage: StepView['stage'], extra: Partial<StepView> = {}): StepView => ({
    step,
    candidate: { template: 'pipeline', params: { version: 1, model: { template: 'ridge', params: { alpha: step } } } },
    status: 'ok',
    cvScore: 1,
    computeSeconds: 1,
    stage,
    ...extra,
  });

  it('screens all prototypes first, even with a budget of three steps, and then stops', () => {
    expect(nextStage([], 3, 3, 0)?.stage).toBe('screening');
    expect(nextStage([ok(0, 'screening'), ok(1, 'screening')], 1, 3, 0)?.stage).toBe('screening');
    expect(nextStage([ok(0, 'screening'), ok(1, 'screening'), ok(2, 'screening')], 0, 3, 4)).toBeNull();
  });

  it('one step left after screening refines; two: refine then ensemble; ablation only when budget remains', () => {
    const screened = [ok(0, 'screening'), ok(1, 'screening'), ok(2, 'screening')];
    expect(nextStage(screened, 1, 3, 4)?.stage).toBe('refining');
    expect(nextStage(screened, 2, 3, 4)).toMatchObject({ stage: 'refining', ablationQuota: 0 });
    expect(nextStage([...screened, ok(3, 'refining')], 1, 3, 4)?.stage).toBe('ensembling');
    // 9 steps after screening: at least 5 refine, 1 ensembles, up to 3 ablate.
    expect(nextStage(screened, 9, 3, 4)).toMatchObject({ stage: 'refining', refineQuota: 5, ablationQuota: 3 });
    const refined = [...screened, ...[3, 4, 5, 6, 7].map((i) => ok(i, 'refining'))];
    expect(nextStage(refined, 4, 3, 4)?.stage).toBe('ensembling');
    expect(nextStage([...refined, ok(8, 'ensembling')], 3, 3, 4)?.stage).toBe('ablating');
    // Fewer techniques than room: the rest refines.
    expect(nextStage(screened, 9, 3, 1)).toMatchObject({ refineQuota: 7, ablationQuota: 1 });
  });

  it('grows an early-stopped booster: twice the epochs to the space top, then twice the rounds per epoch; nothing without early stopping', () => {
    const spec = (params: Record<string, number>, early = true): ModelSpec => ({
      version: 1,
      target: 'none',
      features: [],
      model: { template: 'lightgbm', params, ...(early ? { early_stopping: { validation_fraction: 0.15, patience: 2 } } : {}) },
    });
    const params = (s: ModelSpec | null) => (s?.model as { params: Record<string, number> } | undefined)?.params;
    expect(params(grow(spec({ epochs: 8, iters_per_epoch: 25 })))).toMatchObject({ epochs: 16, iters_per_epoch: 25 });
    expect(params(grow(spec({ epochs: 12, iters_per_epoch: 25 })))).toMatchObject({ epochs: 16 });
    expect(params(grow(spec({ epochs: 16, iters_per_epoch: 25 })))).toMatchObject({ epochs: 16, iters_per_epoch: 50 });
    expect(grow(spec({ epochs: 16, iters_per_epoch: 100 }))).toBeNull();
    expect(grow(spec({ epochs: 8, iters_per_epoch: 25 }, false))).toBeNull();
  });

  it('plans by compute as well as steps: no more steps than the compute left buys at the mean cost so far', () => {
    const history = [ok(0, 'screening'), ok(1, 'screening')].map((s) => ({ ...s, computeSeconds: 30 }));
    expect(stepsLeft({ competition, history, remainingSteps: 10, remainingComputeSeconds: 95 })).toBe(3);
    expect(stepsLeft({ competition, history: [], remainingSteps: 10, remainingComputeSeconds: 95 })).toBe(10);
  });
});

describe('the staged engineer over an episode', () => {
  it('three steps: the three prototypes, nothing else', async () => {
    const { proposals } = await play(3, toyScore);
    expect(proposals.map((p) => p.stage)).toEqual(['screening', 'screening', 'screening']);
    expect(new Set(proposals.map((p) => specOf(p.candidate).model.template))).toEqual(new Set(['lightgbm', 'ridge', 'extra_trees']));
  });

  it('twelve steps: screening, refining (winner 3 : runner-up 1), one ensemble of the top 3, then ablations of the best pipeline', async () => {
    const { history, proposals } = await play(12, toyScore);
    const stages = proposals.map((p) => p.stage);
    expect(stages.slice(0, 3)).toEqual(['screening', 'screening', 'screening']);
    expect(stages.filter((s) => s === 'refining').length).toBeGreaterThanOrEqual(5);
    expect(stages.filter((s) => s === 'ensembling')).toHaveLength(1);
    expect(stages.at(-1)).toBe('ablating');
    expect(stages.indexOf('ensembling')).toBeLessThan(stages.indexOf('ablating'));
    // Every candidate is new and a valid pipeline spec.
    expect(new Set(history.map((h) => candidateKey(h.candidate))).size).toBe(history.length);
    for (const h of history) expect(PipelineSpecSchema.safeParse(h.candidate.params).success).toBe(true);
    // Refinements descend from the winner's lineage (lightgbm, step 0) three times out of four; the runner-up's turn comes second.
    const refinements = history.filter((h) => h.stage === 'refining');
    const rootOf = (s: StepView): number => (s.parent === undefined ? s.step : rootOf(history[s.parent]!));
    const roots = refinements.map(rootOf);
    expect(roots.slice(0, 4).filter((r) => r === 0)).toHaveLength(3);
    expect(roots[1]).toBe(2); // extra trees: the runner-up
    // The winner, a booster screened cheap with early stopping, is first grown: twice the epochs.
    const first = specOf(refinements[0]!.candidate).model as { params: Record<string, number> };
    expect(first.params.epochs).toBe(2 * (specOf(history[0]!.candidate).model as { params: Record<string, number> }).params.epochs!);
    expect(proposals.find((p) => p.stage === 'refining')!.rationale).toMatch(/more rounds/);
    // The ensemble's members: the best pipeline of each lineage (three prototypes: three lineages), best first.
    const ensemble = proposals.find((p) => p.stage === 'ensembling')!;
    const singles = history.filter((h) => h.stage === 'screening' || h.stage === 'refining').sort((a, b) => a.cvScore! - b.cvScore!);
    const heads = [0, 1, 2].map((root) => singles.find((s) => rootOf(s) === root)!).sort((a, b) => a.cvScore! - b.cvScore!);
    expect(ensemble.artifactSteps).toEqual(heads.map((s) => s.step));
    expect(ensemble.artifactSteps![0]).toBe(singles[0]!.step);
    expect(ensemble.candidate.params).toEqual({ version: 1, ensemble: { members: ensemble.artifactSteps, method: 'nnls' } });
    // Ablations are the best single pipeline without one technique each.
    const best = singles[0]!;
    const variants = new Map(techniquesOf(specOf(best.candidate)).map((t) => [candidateKey(t.without), t.technique]));
    for (const a of proposals.filter((p) => p.stage === 'ablating')) {
      expect(a.ablation?.of).toBe(best.step);
      expect(variants.get(candidateKey(a.candidate))).toBe(a.ablation?.technique);
    }
  });

  it('does not spend an ablation on imputing data without gaps', async () => {
    const profile: Profile = { ...tabular, metric: 'rmse', missingShare: 0, columns: tabular.columns.map((c) => ({ ...c, missingShare: 0 })) };
    const [booster, linear, forest] = prototypes(profile);
    expect(linear!.features[0]!.kind).toBe('impute'); // test.csv may still have gaps: the linear prototype imputes
    const view = (step: number, spec: ModelSpec, cvScore: number, stage: StepView['stage'], parent?: number): StepView => ({
      step,
      candidate: { template: 'pipeline', params: spec as never },
      status: 'ok',
      cvScore,
      computeSeconds: 1,
      stage,
      ...(parent === undefined ? {} : { parent }),
    });
    const history: StepView[] = [
      view(0, booster!, 0.8, 'screening'),
      view(1, linear!, 0.25, 'screening'),
      view(2, forest!, 0.8, 'screening'),
      view(3, { ...linear!, model: { template: 'ridge', params: { alpha: 10 } } }, 0.5, 'refining', 1),
      view(4, { ...linear!, model: { template: 'ridge', params: { alpha: 0.1 } } }, 0.5, 'refining', 1),
      {
        ...view(5, linear!, 0.25, 'ensembling'),
        candidate: { template: 'pipeline', params: { version: 1, ensemble: { members: [1, 0, 2], method: 'nnls' } } },
        artifactSteps: [1, 0, 2],
      },
    ];
    const proposal = await proposeOffline(await context(history, { remainingSteps: 1 }, profile, { ...competition, metric: 'rmse' }));
    expect(proposal).toMatchObject({ stage: 'ablating', ablation: { of: 1, technique: 'feature:one_hot' } });
  });

  it('after 2 non-improvements of a lineage the change is structural; it always starts from the incumbent (a regression is reverted)', async () => {
    // Nothing after screening improves: every refinement is worse than the prototype it came from.
    const flat = (spec: ModelSpec | null) =>
      spec &&
      spec.model.template === 'lightgbm' &&
      'params' in spec.model &&
      spec.model.params.iters_per_epoch === 25 &&
      Object.keys(spec.model.params).length === 3 &&
      spec.features.length === 5
        ? 0.4
        : 0.9;
    const { history, proposals } = await play(8, flat, { remainingSteps: 30 });
    const winner = proposals.map((p, i) => ({ p, h: history[i]! })).filter(({ p }) => p.stage === 'refining' && p.parent === 0);
    expect(winner.length).toBeGreaterThanOrEqual(3);
    expect(winner.every(({ p }) => p.parent === 0)).toBe(true);
    expect(winner[0]!.p.rationale).toMatch(/more rounds/);
    expect(winner[1]!.p.rationale).toMatch(/parameter move/);
    expect(winner[2]!.p.rationale).toMatch(/structural change after 2 non-improvements/);
    // A structural change alters the target, the feature steps or the model's template.
    const base = specOf(history[0]!.candidate);
    const moved = specOf(winner[2]!.h.candidate);
    expect(moved.target !== base.target || moved.features.length !== base.features.length || moved.model.template !== base.model.template).toBe(true);
  });

  it('skills with a pipeline fragment shape the first prototype and are credited on the step', async () => {
    const skill: RetrievedSkill = {
      id: 'skill-freq',
      tier: 'domain',
      kind: 'technique',
      title: 'frequency-encode categories',
      body: '',
      score: 1,
      recipe: { preprocessing: [], params: {}, pipeline: { features: [{ kind: 'frequency' }] } },
    } as RetrievedSkill;
    const misfit = { ...skill, id: 'skill-lags', recipe: { preprocessing: [], params: {}, pipeline: { features: [{ kind: 'lags' as const, lags: [1] }] } } } as RetrievedSkill;
    const first = await proposeOffline(await context([], { skills: { domain: [skill, misfit], task: [] } }));
    expect(first?.skillIds).toEqual(['skill-freq']);
    expect(specOf(first!.candidate).features.map((f) => f.kind)).toContain('frequency');
    const second = await proposeOffline(
      await context([{ step: 0, candidate: first!.candidate, status: 'ok', cvScore: 0.5, computeSeconds: 1, stage: 'screening' }], { skills: { domain: [skill], task: [] } }),
    );
    expect(second?.skillIds ?? []).toEqual([]);
  });

  it('without a profile the engineer is today’s (portfolio, then local search)', async () => {
    const proposal = await proposeOffline({ ...(await context([])), profile: undefined, plan: await planOffline({ competition, seed: 5, skills: [] }) });
    expect(proposal?.candidate.template).not.toBe('pipeline');
    expect(proposal?.stage).toBeUndefined();
  });
});

describe('stage 5: technique deltas from the ledger', () => {
  it('each ablation against its pipeline, the ensemble against its best member, in the metric’s better direction', async () => {
    const { history } = await play(12, toyScore);
    const deltas = techniqueDeltas(history, 'minimize');
    for (const d of deltas) expect(TechniqueDeltaSchema.safeParse(d).success).toBe(true);
    const techniques = deltas.map((d) => d.technique);
    expect(techniques).toContain('ensemble:nnls');
    expect(techniques.some((t) => t === 'target:log1p' || t === 'early_stopping' || t.startsWith('feature:'))).toBe(true);
    for (const d of deltas.filter((x) => x.technique !== 'ensemble:nnls')) {
      // In the toy score every technique lowers the loss: positive deltas, with a recipe that applies it.
      expect(d.delta).toBeGreaterThan(0);
      expect(d.recipe).toBeDefined();
      expect(d.delta).toBeCloseTo(d.withoutScore - d.withScore);
    }
    const log1p = deltas.find((d) => d.technique === 'target:log1p');
    if (log1p) expect(log1p.recipe).toEqual({ target: 'log1p' });
  });

  it('a maximised metric: a technique that lowered the score has a negative delta', () => {
    const spec: ModelSpec = { version: 1, target: 'none', features: [{ kind: 'frequency' }], model: { template: 'ridge', params: {} } };
    const without = techniquesOf(spec)[0]!;
    const history: StepView[] = [
      { step: 0, candidate: { template: 'pipeline', params: spec as never }, status: 'ok', cvScore: 0.8, computeSeconds: 2, stage: 'screening' },
      {
        step: 1,
        candidate: without.without,
        status: 'ok',
        cvScore: 0.85,
        computeSeconds: 3,
        stage: 'ablating',
        ablation: { technique: without.technique, of: 0, recipe: without.recipe },
      },
    ];
    expect(techniqueDeltas(history, 'maximize')).toEqual([
      expect.objectContaining({ technique: 'feature:frequency', delta: expect.closeTo(-0.05, 6), steps: [0, 1], computeSeconds: 5, recipe: { features: [{ kind: 'frequency' }] } }),
    ]);
  });
});

describe('skills from the library before pipeline fragments', () => {
  it("a recipe's model takes the place of the prototype of its family and goes first, task skills before domain ones", async () => {
    const skill = (id: string, tier: 'task' | 'domain', template: string, params: Record<string, unknown>) =>
      ({ id, tier, kind: 'recipe', title: id, body: '', score: 1, recipe: { template, preprocessing: [], params } }) as unknown as RetrievedSkill;
    const skills = {
      task: [skill('t-ridge', 'task', 'ridge', { alpha: 3 })],
      domain: [skill('d-hgb', 'domain', 'hist_gradient_boosting', { learning_rate: 0.05 }), skill('d-lag', 'domain', 'lag_gbm', {})],
    };
    const { proposals } = await play(4, toyScore, { skills });
    expect(proposals.slice(0, 3).map((p) => [specOf(p.candidate).model.template, p.skillIds])).toEqual([
      ['ridge', ['t-ridge']],
      ['hist_gradient_boosting', ['d-hgb']],
      ['extra_trees', []],
    ]);
    expect(specOf(proposals[0]!.candidate).model).toEqual({ template: 'ridge', params: { alpha: 3 } });
    expect(specOf(proposals[1]!.candidate).model).toMatchObject({ params: { learning_rate: 0.05 }, early_stopping: {} });
    // The features stay the prototype's: the linear model still gets one-hot and scaling.
    expect(specOf(proposals[0]!.candidate).features.map((f) => f.kind)).toEqual(expect.arrayContaining(['one_hot', 'scale']));
  });
});
