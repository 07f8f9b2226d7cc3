import type { Direction } from './competition.js';
import type { StepView } from './episode.js';
import { bestByCv } from './incumbent.js';
import type { TechniqueDelta } from './learning.js';
import type { FeatureStep, ModelSpec, PipelineFragment, PipelineSpec } from './pipeline.js';
import { candidateKey, type Candidate } from './training.js';

/** One technique of a pipeline and the same pipeline without it (stage 5 trains the latter). */
export interface TechniqueVariant {
  technique: string;
  recipe: PipelineFragment;
  without: Candidate;
}

/** Steps that carry whatever the data says to a model on their own: without them a text or symbol pipeline would see nothing. */
const SOLE_SOURCES = new Set<FeatureStep['kind']>(['tfidf', 'text_stats', 'positional', 'kmer']);

export function isModelSpec(params: unknown): params is ModelSpec {
  return typeof params === 'object' && params !== null && 'model' in params && (params as { version?: unknown }).version === 1;
}

export function isEnsembleSpec(params: unknown): params is Extract<PipelineSpec, { ensemble: unknown }> {
  return typeof params === 'object' && params !== null && 'ensemble' in params;
}

function pipeline(spec: ModelSpec): Candidate {
  return { template: 'pipeline', params: spec as unknown as Record<string, unknown> };
}

/**
 * The techniques of a pipeline that stage 5 can measure, each with the pipeline without it: the target
 * transform, early stopping, then every feature step but those the model cannot do without (lags of a
 * global forecaster; the only feature step of a text or symbol pipeline).
 */
export function techniquesOf(spec: ModelSpec): TechniqueVariant[] {
  const out: TechniqueVariant[] = [];
  if (spec.target !== 'none') out.push({ technique: `target:${spec.target}`, recipe: { target: spec.target }, without: pipeline({ ...spec, target: 'none' }) });
  if ('early_stopping' in spec.model && spec.model.early_stopping) {
    const { early_stopping: _dropped, ...model } = spec.model;
    out.push({ technique: 'early_stopping', recipe: { model: spec.model }, without: pipeline({ ...spec, model }) });
  }
  spec.features.forEach((step, i) => {
    const rest = spec.features.filter((_, j) => j !== i);
    if (step.kind === 'lags' || (SOLE_SOURCES.has(step.kind) && !rest.some((s) => SOLE_SOURCES.has(s.kind)))) return;
    out.push({ technique: `feature:${step.kind}`, recipe: { features: [step] }, without: pipeline({ ...spec, features: rest }) });
  });
  return out;
}

type Scored = StepView & { cvScore: number };
const scored = (s: StepView): s is Scored => s.status === 'ok' && typeof s.cvScore === 'number';

function delta(direction: Direction, withScore: number, withoutScore: number): number {
  return direction === 'maximize' ? withScore - withoutScore : withoutScore - withScore;
}

/** The best step that trained one model pipeline (not a blend, not an ablation), or null. */
export function bestSingle(history: StepView[], direction: Direction): Scored | null {
  return bestByCv(
    history.filter((s): s is Scored => scored(s) && !s.ablation && isModelSpec(s.candidate.params) && s.candidate.template === 'pipeline'),
    direction,
  );
}

/**
 * What each technique changed (TechniqueDelta records), from the ledger alone: every pipeline that
 * stage 5 ablated (and the final best single) against each variant without one of its techniques that
 * was trained on the same folds, plus each ensemble against its best member. Deterministic, so the
 * workflow can compute it.
 */
export function techniqueDeltas(history: StepView[], direction: Direction): TechniqueDelta[] {
  const byKey = new Map<string, Scored>();
  for (const s of history) if (scored(s) && !byKey.has(candidateKey(s.candidate))) byKey.set(candidateKey(s.candidate), s);
  const targets = new Set(history.flatMap((s) => (s.ablation ? [s.ablation.of] : [])));
  const best = bestSingle(history, direction);
  if (best) targets.add(best.step);
  /** One measured difference: the step with the technique against the step without it. */
  const compared = (what: Pick<TechniqueDelta, 'technique' | 'recipe'>, withStep: Scored, without: Scored): TechniqueDelta => ({
    ...what,
    with: withStep.candidate,
    without: without.candidate,
    withScore: withStep.cvScore,
    withoutScore: without.cvScore,
    delta: delta(direction, withStep.cvScore, without.cvScore),
    computeSeconds: withStep.computeSeconds + without.computeSeconds,
    steps: [withStep.step, without.step],
  });
  const out: TechniqueDelta[] = [];
  for (const stepNo of [...targets].sort((a, b) => a - b)) {
    const withStep = history.find((s) => s.step === stepNo);
    if (!withStep || !scored(withStep) || !isModelSpec(withStep.candidate.params)) continue;
    for (const t of techniquesOf(withStep.candidate.params)) {
      const without = byKey.get(candidateKey(t.without));
      if (!without) continue;
      out.push(compared({ technique: t.technique, recipe: t.recipe }, withStep, without));
    }
  }
  for (const e of history) {
    if (!scored(e) || !isEnsembleSpec(e.candidate.params)) continue;
    const members = (e.artifactSteps ?? []).map((n) => history.find((s) => s.step === n)).filter((s): s is Scored => !!s && scored(s));
    const top = bestByCv(members, direction);
    if (!top) continue;
    out.push(compared({ technique: `ensemble:${e.candidate.params.ensemble.method}` }, e, top));
  }
  return out;
}
