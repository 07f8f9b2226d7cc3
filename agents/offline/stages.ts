import { isBetter, type Direction } from '../../schemas/competition.js';
import { type FeatureStep, type PipelineFragment, type ModelSpec } from '../../schemas/pipeline.js';
import type { Profile } from '../../schemas/profile.js';
import { type Candidate, candidateKey } from '../../schemas/training.js';
import type { RetrievedSkill } from '../../schemas/skill.js';
import type { EngineerStage, Proposal, ProposeContext } from '../types.js';
import type { StepView } from '../../schemas/episode.js';
import { bestSingle, isEnsembleSpec, isModelSpec, techniquesOf } from '../../schemas/ablation.js';
import { familyOf } from './families.js';
import { HIGH_CARDINALITY, prototypes } from './prototypes.js';
import { candidateFromRecipe } from './skill-guided.js';
import { seededRandom } from './random.js';
import { perturbParam, spaceUnderPrior } from './search-space.js';
import { TEMPLATE_SPACES } from '../../schemas/templates.js';

/** Refinement alternates winner : runner-up about 3 : 1; the runner-up's first turn is the second refinement. */
const RUNNER_UP_EVERY = 4;
const RUNNER_UP_TURN = 1;
/** Non-improving refinements of a lineage after which the next change is structural. */
const PATIENCE = 2;
const TRIES = 48;
const ENSEMBLE_SIZE = 3;
/** Rounds per epoch a grown booster may reach once its epochs are at the search space's top. */
const MAX_ITERS_PER_EPOCH = 100;

type Scored = StepView & { cvScore: number };
const scored = (s: StepView): s is Scored => s.status === 'ok' && typeof s.cvScore === 'number';

function pipeline(spec: ModelSpec): Candidate {
  return { template: 'pipeline', params: spec as unknown as Record<string, unknown> };
}

/**
 * Steps left to plan with: what the step budget allows, and no more than the compute left buys at the
 * mean cost of the steps so far (a step that has started always runs, so at least one).
 */
export function stepsLeft(ctx: Pick<ProposeContext, 'remainingSteps' | 'competition' | 'history' | 'remainingComputeSeconds'>): number {
  const bySteps = ctx.remainingSteps ?? ctx.competition.budget.maxSteps - ctx.history.length;
  const spent = ctx.history.reduce((sum, s) => sum + s.computeSeconds, 0);
  if (ctx.history.length === 0 || spent <= 0) return bySteps;
  const affordable = Math.floor(ctx.remainingComputeSeconds / (spent / ctx.history.length));
  return Math.min(bySteps, Math.max(1, affordable));
}

export interface StagePlan {
  stage: EngineerStage;
  /** Refinement steps the rest of the budget gives, ablations it leaves room for. */
  refineQuota: number;
  ablationQuota: number;
}

/**
 * Which stage the next step belongs to, from the history and the steps left: the prototypes first
 * (all of them even on a tiny budget: with 3 steps, the three prototypes); then at least half of what
 * is left refines; one step ensembles once two pipelines have scores; ablation gets what remains, up
 * to one step per technique of the best pipeline. Recomputed every step, so an extended budget or a
 * failed step re-plans the rest.
 */
export function nextStage(history: StepView[], left: number, prototypeCount: number, pendingTechniques: number): StagePlan | null {
  const screened = history.filter((s) => s.stage === 'screening').length;
  if (screened < prototypeCount) return { stage: 'screening', refineQuota: 0, ablationQuota: 0 };
  if (left <= 0) return null;
  const after = history.filter((s) => s.stage && s.stage !== 'screening');
  const refined = after.filter((s) => s.stage === 'refining').length;
  const ensembled = after.some((s) => s.stage === 'ensembling');
  const ablated = after.filter((s) => s.stage === 'ablating').length;
  const total = left + after.length;
  const singles = new Set(history.filter((s) => scored(s) && !s.ablation && !isEnsembleSpec(s.candidate.params)).map((s) => candidateKey(s.candidate))).size;
  const ensembleQuota = total >= 2 && (ensembled || singles >= 2) ? 1 : 0;
  const refineMin = total >= 2 ? Math.ceil(total / 2) : total;
  const ablationQuota = Math.min(ablated + pendingTechniques, Math.max(0, total - ensembleQuota - refineMin));
  const refineQuota = total - ensembleQuota - ablationQuota;
  if (refined < refineQuota) return { stage: 'refining', refineQuota, ablationQuota };
  if (ensembleQuota && !ensembled) return { stage: 'ensembling', refineQuota, ablationQuota };
  if (ablated < ablationQuota && pendingTechniques > 0) return { stage: 'ablating', refineQuota, ablationQuota };
  return { stage: 'refining', refineQuota, ablationQuota };
}

// ---- skills: fragments applied to prototypes and refinements -----------------------------------

/** Can this feature step find its columns in data of this profile? */
export function stepFits(step: FeatureStep, p: Profile): boolean {
  const c = p.counts;
  switch (step.kind) {
    case 'lags':
    case 'rolling':
    case 'calendar':
    case 'series_id':
      return p.taskType === 'forecasting';
    case 'pixels':
      return p.image !== undefined;
    case 'tfidf':
    case 'text_stats':
      return c.text > 0;
    case 'positional':
    case 'kmer':
      return c.symbols > 0;
    case 'datetime':
      return c.datetime > 0;
    case 'one_hot':
    case 'ordinal':
    case 'frequency':
    case 'target_encoding':
      return c.categorical > 0;
    default:
      return p.taskType !== 'forecasting';
  }
}

/** A fragment applied to a spec: its target, its feature steps (replacing a step of the same kind), its model. */
export function applyFragment(spec: ModelSpec, f: PipelineFragment): ModelSpec {
  let features = spec.features;
  for (const step of f.features ?? []) {
    const at = features.findIndex((s) => s.kind === step.kind);
    features = at === -1 ? [...features, step] : features.map((s, i) => (i === at ? step : s));
  }
  return { ...spec, target: f.target ?? spec.target, features, model: f.model ?? spec.model };
}

function fragmentFits(f: PipelineFragment, p: Profile): boolean {
  if (f.target && f.target !== 'none' && p.taskType !== 'regression' && p.taskType !== 'forecasting') return false;
  if (f.target === 'log1p' && (p.target.min ?? -1) < 0) return false;
  const statistical = f.model && !('params' in f.model);
  if (f.model && (p.taskType === 'forecasting') !== (statistical || ('forecast' in f.model && !!f.model.forecast))) return false;
  return (f.features ?? []).every((s) => stepFits(s, p));
}

/** Active domain and task skills whose recipe carries a pipeline fragment that fits the data, best first. */
export function fragmentSkills(ctx: Pick<ProposeContext, 'skills'>, p: Profile): { id: string; fragment: PipelineFragment }[] {
  const all: RetrievedSkill[] = [...(ctx.skills?.task ?? []), ...(ctx.skills?.domain ?? [])];
  return all.flatMap((s) => (s.recipe.pipeline && fragmentFits(s.recipe.pipeline, p) ? [{ id: s.id, fragment: s.recipe.pipeline }] : []));
}

const INCREMENTAL = new Set(['lightgbm', 'xgboost', 'hist_gradient_boosting', 'mlp', 'cnn']);
const OTHER = new Set(['random_forest', 'extra_trees', 'logistic_regression', 'ridge', 'knn']);

/**
 * Skills whose recipe names a model template (the library before pipeline fragments): each takes the
 * place of the prototype of its family (boosting, linear, forest), with that model and params, and
 * goes first (task skills before domain ones), so the skills stay the engineer's prior.
 */
export function screeningOrder(protos: ModelSpec[], ctx: Pick<ProposeContext, 'skills'>): { spec: ModelSpec; skillIds: string[] }[] {
  const slots = protos.map((spec) => ({ spec, skillIds: [] as string[], claimed: false }));
  const first: typeof slots = [];
  for (const skill of [...(ctx.skills?.task ?? []), ...(ctx.skills?.domain ?? [])]) {
    if (skill.recipe.pipeline) continue;
    const candidate = candidateFromRecipe(skill.recipe);
    if (!candidate || !(INCREMENTAL.has(candidate.template) || OTHER.has(candidate.template))) continue;
    const slot = slots.find((x) => !x.claimed && 'params' in x.spec.model && familyOf(x.spec.model.template) === familyOf(candidate.template));
    if (!slot) continue;
    const early =
      'early_stopping' in slot.spec.model && slot.spec.model.early_stopping && INCREMENTAL.has(candidate.template) ? { early_stopping: slot.spec.model.early_stopping } : {};
    slot.spec = { ...slot.spec, model: { template: candidate.template, params: candidate.params, ...early } as ModelSpec['model'] };
    slot.skillIds.push(skill.id);
    slot.claimed = true;
    first.push(slot);
  }
  return [...first, ...slots.filter((x) => !x.claimed)].map(({ spec, skillIds }) => ({ spec, skillIds }));
}

// ---- refinement moves ---------------------------------------------------------------------------

const BOOSTER_SWAP: Record<string, string[]> = {
  lightgbm: ['xgboost', 'hist_gradient_boosting'],
  xgboost: ['lightgbm'],
  hist_gradient_boosting: ['lightgbm'],
  extra_trees: ['random_forest'],
  random_forest: ['extra_trees'],
};
const STATISTICAL = ['theta', 'ets', 'seasonal_naive', 'drift'] as const;

/** A parameter move: one or two of the model's parameters (or of a TF-IDF step) moved a short way. */
function parameterMove(spec: ModelSpec, rand: () => number, ctx: ProposeContext): ModelSpec {
  const model = spec.model;
  if (!('params' in model)) {
    const others = STATISTICAL.filter((t) => t !== model.template);
    return { ...spec, model: { ...model, template: others[Math.floor(rand() * others.length)]! } };
  }
  const tfidfAt = spec.features.findIndex((s) => s.kind === 'tfidf');
  if (tfidfAt !== -1 && rand() < 0.3) {
    const step = spec.features[tfidfAt] as Extract<FeatureStep, { kind: 'tfidf' }>;
    const upper = Math.max(1, Math.min(5, step.ngram_range[1] + (rand() < 0.5 ? -1 : 1)));
    const moved = { ...step, ngram_range: [Math.min(step.ngram_range[0], upper), upper] as [number, number], min_df: rand() < 0.5 ? 1 : 2 };
    return { ...spec, features: spec.features.map((s, i) => (i === tfidfAt ? moved : s)) };
  }
  const space = spaceUnderPrior(model.template, ctx.plan.prior);
  if (!space) return spec;
  const names = Object.keys(space.params);
  const params = { ...model.params };
  const changes = 1 + Math.floor(rand() * Math.min(2, names.length));
  for (let i = 0; i < changes; i++) {
    const name = names[Math.floor(rand() * names.length)]!;
    params[name] = perturbParam(space.params[name]!, params[name], rand);
  }
  return { ...spec, model: { ...model, params } } as ModelSpec;
}

/** Feature steps worth adding to a spec for this profile (those it lacks). */
function additions(spec: ModelSpec, p: Profile): FeatureStep[] {
  const has = new Set(spec.features.map((s) => s.kind));
  const c = p.counts;
  const linear = spec.model.template === 'logistic_regression' || spec.model.template === 'ridge';
  const out: FeatureStep[] = [];
  if (p.taskType === 'forecasting') {
    if ('params' in spec.model) {
      if (!has.has('rolling')) out.push({ kind: 'rolling', windows: [7], stats: ['mean', 'std'] });
      if (!has.has('calendar')) out.push({ kind: 'calendar', parts: ['month', 'dayofweek', 'dayofyear'] });
    }
    return out;
  }
  if (c.numeric > 0 && !has.has('impute')) out.push({ kind: 'impute', strategy: 'median', indicators: true });
  if (c.categorical > 0) {
    if (!has.has('frequency')) out.push({ kind: 'frequency' });
    if (!has.has('target_encoding'))
      out.push({ kind: 'target_encoding', min_categories: Math.min(HIGH_CARDINALITY, Math.max(2, p.maxCardinality - 1)), smoothing: 10, inner_folds: 5 });
    if (linear && !has.has('one_hot')) out.push({ kind: 'one_hot', max_categories: HIGH_CARDINALITY });
  }
  if (c.text > 0 && !has.has('text_stats')) out.push({ kind: 'text_stats' });
  if (c.symbols > 0) {
    if (!has.has('kmer')) out.push({ kind: 'kmer', k: [2, 3] });
    if (!has.has('positional')) out.push({ kind: 'positional' });
  }
  return out;
}

/**
 * A structural move, for a lineage stuck for PATIENCE refinements: add or remove a feature step,
 * switch the target transform, or swap the model for a sibling of its family.
 */
function structuralMove(spec: ModelSpec, rand: () => number, p: Profile): ModelSpec[] {
  const moves: ModelSpec[] = [];
  for (const step of additions(spec, p)) moves.push({ ...spec, features: [...spec.features, step] });
  for (const t of techniquesOf(spec)) if (t.technique.startsWith('feature:') && isModelSpec(t.without.params)) moves.push(t.without.params);
  if (p.taskType === 'regression') {
    if (spec.target === 'none' && (p.target.min ?? -1) >= 0) moves.push({ ...spec, target: 'log1p' });
    moves.push({ ...spec, target: spec.target === 'standardize' ? 'none' : 'standardize' });
  }
  for (const template of BOOSTER_SWAP[spec.model.template] ?? []) {
    const { template: _old, ...rest } = spec.model as { template: string; params?: Record<string, unknown> };
    // Parameter names differ between families: the sibling starts from its defaults (and early stopping where it can).
    moves.push({ ...spec, model: { ...rest, template, params: 'epochs' in (rest.params ?? {}) ? { epochs: rest.params!.epochs } : {} } as ModelSpec['model'] });
  }
  // Shuffled by the seeded stream, so the caller's first untried move is a fair pick.
  for (let i = moves.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [moves[i], moves[j]] = [moves[j]!, moves[i]!];
  }
  return moves;
}

/** The lineage of a step: the screened prototype its refinements lead back to. */
function rootOf(step: StepView, history: StepView[]): number {
  let current = step;
  for (let guard = 0; current.parent !== undefined && guard < history.length; guard++) {
    const parent = history.find((s) => s.step === current.parent);
    if (!parent) break;
    current = parent;
  }
  return current.step;
}

function rankSingles(history: StepView[], direction: Direction): Scored[] {
  return history
    .filter((s): s is Scored => scored(s) && !s.ablation && isModelSpec(s.candidate.params) && s.candidate.template === 'pipeline')
    .sort((a, b) => (isBetter(a.cvScore, b.cvScore, direction) ? -1 : isBetter(b.cvScore, a.cvScore, direction) ? 1 : a.step - b.step));
}

// ---- the staged engineer ------------------------------------------------------------------------

/**
 * The offline engineer in the specialist's stages, on pipeline specs (the profile came first):
 * screen three very different prototypes cheaply, refine the winner and the runner-up (3 : 1; a
 * structural change after 2 non-improvements; always from the lineage's incumbent, so a regression is
 * reverted), ensemble the top 3 by out-of-fold score, then train the best pipeline without each of its
 * techniques. Skills whose recipe carries a pipeline fragment shape the first prototype and the first
 * refinement of the winner.
 */
export function proposeStaged(ctx: ProposeContext & { profile: Profile }): Proposal | null {
  const p = ctx.profile;
  const direction = ctx.competition.direction;
  const tried = new Set(ctx.history.map((s) => candidateKey(s.candidate)));
  const rand = seededRandom(ctx.seed, ctx.step);
  const skills = fragmentSkills(ctx, p);
  const protos = screeningOrder(prototypes(p), ctx);
  if (skills.length) {
    protos[0] = { spec: skills.reduce((spec, s) => applyFragment(spec, s.fragment), protos[0]!.spec), skillIds: [...protos[0]!.skillIds, ...skills.map((s) => s.id)] };
  }

  const best = bestSingle(ctx.history, direction);
  const pending =
    best && isModelSpec(best.candidate.params)
      ? // Imputing data without gaps changes nothing: not worth a step to measure.
        techniquesOf(best.candidate.params).filter((t) => !tried.has(candidateKey(t.without)) && !(t.technique === 'feature:impute' && p.missingShare === 0))
      : [];
  const plan = nextStage(ctx.history, stepsLeft(ctx), protos.length, pending.length);
  if (!plan) return null;

  if (plan.stage === 'screening') {
    const index = ctx.history.filter((s) => s.stage === 'screening').length;
    const { spec, skillIds } = protos[index]!;
    return { candidate: pipeline(spec), rationale: `screening prototype ${index + 1}/${protos.length}: ${describe(spec)}`, tokens: 0, stage: 'screening', skillIds };
  }

  if (plan.stage === 'ensembling') {
    // The top by out-of-fold score, the best of each lineage first: refinements of one model are
    // near-duplicates that add little to a blend; other lineages' bests are what it can use.
    const ranked = rankSingles(ctx.history, direction);
    const seen = new Set<string>();
    const distinct = ranked.filter((s) => !seen.has(candidateKey(s.candidate)) && seen.add(candidateKey(s.candidate)));
    const lineages = new Set<number>();
    const heads = distinct.filter((s) => !lineages.has(rootOf(s, ctx.history)) && lineages.add(rootOf(s, ctx.history)));
    const members = [...heads, ...distinct.filter((s) => !heads.includes(s))].slice(0, ENSEMBLE_SIZE).map((s) => s.step);
    const candidate: Candidate = { template: 'pipeline', params: { version: 1, ensemble: { members, method: 'nnls' } } };
    return {
      candidate,
      rationale: `ensemble of the top ${members.length} by out-of-fold score, one per lineage first (steps ${members.join(', ')}), kept only if it beats the best`,
      tokens: 0,
      stage: 'ensembling',
      artifactSteps: members,
    };
  }

  if (plan.stage === 'ablating' && best) {
    const t = pending[0]!;
    return {
      candidate: t.without,
      rationale: `ablation: step ${best.step} without ${t.technique}, same folds`,
      tokens: 0,
      stage: 'ablating',
      parent: best.step,
      ablation: { technique: t.technique, of: best.step, recipe: t.recipe },
    };
  }

  return refine(ctx, p, tried, rand, skills);
}

function refine(ctx: ProposeContext, p: Profile, tried: Set<string>, rand: () => number, skills: { id: string; fragment: PipelineFragment }[]): Proposal | null {
  const ranked = rankSingles(ctx.history, ctx.competition.direction);
  if (ranked.length === 0) return null;
  const roots = [...new Set(ranked.map((s) => rootOf(s, ctx.history)))];
  const refinements = ctx.history.filter((s) => s.stage === 'refining').length;
  const root = roots.length > 1 && refinements % RUNNER_UP_EVERY === RUNNER_UP_TURN ? roots[1]! : roots[0]!;
  const incumbent = ranked.find((s) => rootOf(s, ctx.history) === root)!;
  const spec = incumbent.candidate.params as unknown as ModelSpec;
  const stuck = ctx.history.filter((s) => s.stage === 'refining' && s.step > incumbent.step && rootOf(s, ctx.history) === root).length;
  const role = root === roots[0] ? 'winner' : 'runner-up';
  const from = `${role} lineage, from its incumbent step ${incumbent.step} (cv ${incumbent.cvScore.toFixed(4)})`;

  const fresh = (s: ModelSpec) => !tried.has(candidateKey(pipeline(s)));
  if (role === 'winner') {
    const unapplied = skills.filter((s) => fresh(applyFragment(spec, s.fragment)));
    if (unapplied.length) {
      const applied = unapplied.reduce((acc, s) => applyFragment(acc, s.fragment), spec);
      if (fresh(applied))
        return {
          candidate: pipeline(applied),
          rationale: `refining, ${from}: apply skills ${unapplied.map((s) => s.id).join(', ')}`,
          tokens: 0,
          stage: 'refining',
          parent: incumbent.step,
          skillIds: unapplied.map((s) => s.id),
        };
    }
  }
  const grown = stuck === 0 ? grow(spec) : null;
  if (grown && fresh(grown))
    return { candidate: pipeline(grown), rationale: `refining, ${from}: more rounds (early stopping bounds them)`, tokens: 0, stage: 'refining', parent: incumbent.step };
  const structural = stuck >= PATIENCE;
  const tries: [string, () => ModelSpec[]][] = [
    ['parameter move', () => Array.from({ length: TRIES }, () => parameterMove(spec, rand, ctx))],
    ['structural change', () => structuralMove(spec, rand, p)],
  ];
  if (structural) tries.reverse();
  for (const [kind, make] of tries) {
    const next = make().find(fresh);
    if (next) {
      const why = kind === 'structural change' && structural ? ` after ${stuck} non-improvements` : '';
      // A parameter move searches inside the ranges the template's skills gave (plan.prior): credited to them, as before stages.
      const owners =
        kind === 'parameter move' && 'params' in next.model
          ? [...(ctx.skills?.task ?? []), ...(ctx.skills?.domain ?? [])].filter((s) => s.recipe.template === next.model.template).map((s) => s.id)
          : [];
      return { candidate: pipeline(next), rationale: `refining, ${from}: ${kind}${why}`, tokens: 0, stage: 'refining', parent: incumbent.step, skillIds: owners };
    }
  }
  return null;
}

/**
 * A booster screened cheap, grown: twice the epochs (up to its search space's top, then twice the rounds per
 * epoch). With early stopping the extra rounds cost only while the inner validation still improves, so this is
 * the first move from each new incumbent of a booster lineage (world-fertility: 200 screening rounds left
 * LightGBM at 0.29 where the tuned reference's early-stopped 1,000 reached 0.20).
 */
export function grow(spec: ModelSpec): ModelSpec | null {
  const model = spec.model;
  if (!('params' in model) || !('early_stopping' in model) || !model.early_stopping) return null;
  const epochs = TEMPLATE_SPACES[model.template]?.params.epochs;
  const params = model.params as Record<string, unknown>;
  if (!epochs || epochs.kind !== 'int' || typeof params.epochs !== 'number') return null;
  if (params.epochs < epochs.max) return { ...spec, model: { ...model, params: { ...params, epochs: Math.min(epochs.max, params.epochs * 2) } } } as ModelSpec;
  const iters = typeof params.iters_per_epoch === 'number' ? params.iters_per_epoch : null;
  if (iters === null || iters >= MAX_ITERS_PER_EPOCH) return null;
  return { ...spec, model: { ...model, params: { ...params, iters_per_epoch: Math.min(MAX_ITERS_PER_EPOCH, iters * 2) } } } as ModelSpec;
}

function describe(spec: ModelSpec): string {
  const features = spec.features.map((s) => s.kind).join('+') || 'raw columns';
  return `${spec.target === 'none' ? '' : `${spec.target} target, `}${features} → ${spec.model.template}${'early_stopping' in spec.model && spec.model.early_stopping ? ' (early stopping)' : ''}`;
}
