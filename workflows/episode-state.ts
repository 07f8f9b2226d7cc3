import type { SearchAttributeUpdatePair } from '@temporalio/common';
import type { Proposal } from '../agents/types.js';
import { techniqueDeltas } from '../schemas/ablation.js';
import { isBetter, type CompetitionSpec } from '../schemas/competition.js';
import {
  EXTEND_BUDGET_SCHEMA,
  type BudgetExtension,
  type EpisodeConfig,
  type EpisodeState,
  type EpisodeStatus,
  type EpisodeSummary,
  type Phase,
  type StepRecord,
  type StepView,
  type StopReason,
} from '../schemas/episode.js';
import { computeToTarget } from '../schemas/incumbent.js';
import { describeIssues } from '../schemas/issues.js';
import { addUsage, emptyLedger, totalTokens, type RoleUsage } from '../schemas/ledger.js';
import { BestScoreKey, CompetitionIdKey, ComputeSecondsKey, DomainKey, PhaseKey, TokensKey } from '../schemas/search-attributes.js';
import { candidateKey, type Candidate, type TrainCharge, type TrainResult } from '../schemas/training.js';
import { estimateStepSeconds } from './step-cost.js';

/** The staged engineer's fields of a proposal that its step record carries. */
export type StagedFields = Pick<Proposal, 'stage' | 'parent' | 'ablation' | 'artifactSteps'>;

/** The step in flight, for the status query and the Temporal UI. */
export interface CurrentStep {
  step: number;
  candidate: Candidate;
  stage?: Proposal['stage'];
}

/** A step's record before training: what was asked for, nothing measured yet. */
export type StepBase = Omit<StepRecord, 'status' | 'computeSeconds'>;

/** Phases in which steps train: a pause shows as `paused` in them. */
const TRAINING_PHASES: readonly Phase[] = ['training', 'screening', 'refining', 'ensembling', 'ablating'];

function initialState(): EpisodeState {
  return {
    phase: 'loading',
    competition: null,
    budget: { computeSeconds: 0, maxSteps: 0 },
    computeSeconds: 0,
    steps: [],
    best: null,
    paused: false,
    stopRequested: null,
    stopReason: null,
    plan: null,
    continuedAsNew: 0,
  };
}

/** What agents see of a step. */
export function toView(s: StepRecord): StepView {
  const view: StepView = { step: s.step, candidate: s.candidate, status: s.status, cvScore: s.cvScore, error: s.error, computeSeconds: s.computeSeconds };
  // Stage fields only where set, so episodes without stages hand agents exactly what they did before.
  for (const key of ['stage', 'parent', 'ablation', 'artifactSteps', 'ensembleKept'] as const) if (s[key] !== undefined) Object.assign(view, { [key]: s[key] });
  return view;
}

/** The staged engineer's fields of a proposal, only those it set (the ledger of an unstaged episode stays as it was). */
export function stagedFields(p: Proposal): StagedFields {
  const out: StagedFields = {};
  if (p.stage) out.stage = p.stage;
  if (p.parent !== undefined) out.parent = p.parent;
  if (p.ablation) out.ablation = p.ablation;
  if (p.artifactSteps?.length) out.artifactSteps = p.artifactSteps;
  return out;
}

/**
 * One episode's state and the rules over it, with no Temporal calls: what the status query answers,
 * what the message handlers may change, what the budget allows and how a step enters the ledger.
 * The workflow owns the activities, the patches and the timing; `state` is exactly what
 * continue-as-new carries and what the trajectory records.
 */
export class Episode {
  readonly state: EpisodeState;
  /** Not carried: a continued run starts between steps. */
  currentStep: CurrentStep | null = null;

  constructor(
    private readonly input: EpisodeConfig,
    carried?: EpisodeState,
  ) {
    this.state = carried ?? initialState();
  }

  // ---- Setup

  /** The competition once loaded; the episode's budget is the input's, else the competition's. */
  load(competition: CompetitionSpec): void {
    this.state.competition = competition;
    this.state.budget = {
      computeSeconds: this.input.budget.computeSeconds ?? competition.budget.computeSeconds,
      maxSteps: this.input.budget.maxSteps ?? competition.budget.maxSteps,
    };
  }

  get competition(): CompetitionSpec {
    if (!this.state.competition) throw new Error('the episode has no competition loaded yet');
    return this.state.competition;
  }

  get plan(): NonNullable<EpisodeState['plan']> {
    if (!this.state.plan) throw new Error('the episode has no plan yet');
    return this.state.plan;
  }

  /** The profile, where the staged engineer is to use it. */
  get stagedProfile(): EpisodeState['profile'] {
    return this.input.engineer === 'staged' ? this.state.profile : undefined;
  }

  enter(phase: Phase): void {
    this.state.phase = phase;
  }

  // ---- Message handlers' logic

  /** Updates are refused once the episode grades or has completed. */
  assertRunning(): void {
    if (this.state.phase === 'completed' || this.state.phase === 'grading') throw new Error(`the episode is ${this.state.phase}; it no longer takes this update`);
  }

  validateExtension(extension: BudgetExtension): void {
    this.assertRunning();
    const parsed = EXTEND_BUDGET_SCHEMA.safeParse(extension);
    if (!parsed.success) throw new Error(`invalid extendBudget input: ${describeIssues(parsed.error)}`);
  }

  pause(): void {
    this.state.paused = true;
  }

  resume(): void {
    this.state.paused = false;
  }

  extend(extension: BudgetExtension): void {
    this.state.budget.computeSeconds += extension.computeSeconds ?? 0;
    this.state.budget.maxSteps += extension.maxSteps ?? 0;
  }

  requestStop(reason?: string): void {
    this.state.stopRequested = reason ?? 'stopped by request';
  }

  /** Between steps, a paused episode waits (a requested stop ends the wait). */
  get holding(): boolean {
    return this.state.paused && !this.state.stopRequested;
  }

  /** What ends that wait. */
  released(): boolean {
    return !this.state.paused || this.state.stopRequested !== null;
  }

  // ---- Status, for the query and the Temporal UI

  status(): EpisodeStatus {
    const state = this.state;
    return {
      phase: state.phase,
      competitionId: state.competition?.id ?? null,
      metric: state.competition?.metric ?? null,
      direction: state.competition?.direction ?? null,
      bestScore: state.best?.cvScore ?? null,
      bestCandidate: state.best?.candidate ?? null,
      steps: state.steps.length,
      maxSteps: state.budget.maxSteps,
      computeSeconds: state.computeSeconds,
      budgetComputeSeconds: state.budget.computeSeconds,
      paused: state.paused,
      stopReason: state.stopReason,
      stopDetail: state.stopDetail ?? null,
      currentStep: this.currentStep,
      lastStep: state.steps.at(-1) ?? null,
      ...(state.tokens ? { tokens: totalTokens(state.tokens) } : {}),
    };
  }

  searchAttributes(): SearchAttributeUpdatePair[] {
    const state = this.state;
    const c = state.competition;
    return [
      { key: PhaseKey, value: state.paused && TRAINING_PHASES.includes(state.phase) ? 'paused' : state.phase },
      { key: ComputeSecondsKey, value: Math.round(state.computeSeconds * 1000) / 1000 },
      ...(c
        ? [
            { key: CompetitionIdKey, value: c.id },
            { key: DomainKey, value: c.domain },
          ]
        : []),
      ...(state.best ? [{ key: BestScoreKey, value: state.best.cvScore }] : []),
      ...(state.tokens ? [{ key: TokensKey, value: totalTokens(state.tokens) }] : []),
    ];
  }

  /** `requested`: the competition as the caller named it, shown until it is loaded. */
  memo(requested: string): Record<string, unknown> {
    const c = this.state.competition;
    return { competition: c?.title ?? requested, metric: c?.metric ?? null, best: this.state.best, steps: this.state.steps.length };
  }

  details(requested: string): string {
    const { state, currentStep } = this;
    const c = state.competition;
    return [
      `**${c?.title ?? requested}** — phase ${state.phase}${state.paused ? ' (paused)' : ''}`,
      `steps ${state.steps.length}/${state.budget.maxSteps}, compute ${state.computeSeconds.toFixed(1)}/${state.budget.computeSeconds} s`,
      state.best ? `best ${c?.metric} ${state.best.cvScore.toFixed(5)} (step ${state.best.step}, ${state.best.candidate.template})` : 'no model yet',
      currentStep ? `training step ${currentStep.step}${currentStep.stage ? ` (${currentStep.stage})` : ''}: ${currentStep.candidate.template}` : '',
    ]
      .filter(Boolean)
      .join('\n\n');
  }

  // ---- Budget

  remainingComputeSeconds(): number {
    return this.state.budget.computeSeconds - this.state.computeSeconds;
  }

  remainingSteps(): number {
    return this.state.budget.maxSteps - this.state.steps.length;
  }

  /** Why no further step is started (a stop, the target, the step or compute budget), or null. */
  exhausted(): StopReason | null {
    const { state, input } = this;
    if (state.stopRequested) return 'stopped';
    const best = state.best;
    const competition = this.competition;
    if (best && input.stopAtTarget && competition.targetScore !== undefined && !isBetter(competition.targetScore, best.cvScore, competition.direction)) return 'target-reached';
    if (state.steps.length >= state.budget.maxSteps) return 'max-steps';
    if (state.computeSeconds >= state.budget.computeSeconds) return 'budget';
    return null;
  }

  /**
   * Once there is a model to submit, a step that cannot finish in what is left is not started: why
   * not, in words, or null when it may start (also while no step has a model). `byModel` is asked
   * only then (it is a patch check, whose marker must stay where it was): pipeline steps estimated
   * by their model, else by whatever pipeline step came last.
   */
  overrun(candidate: Candidate, byModel: () => boolean): string | null {
    if (!this.state.best) return null;
    const left = this.remainingComputeSeconds();
    const estimate = estimateStepSeconds(candidate, this.state.steps, byModel());
    if (estimate !== null && estimate > left) return `the next step (${candidate.template}) would cost about ${estimate.toFixed(1)} s, ${left.toFixed(1)} s of the budget is left`;
    return null;
  }

  finish(reason: StopReason, detail?: string): void {
    this.state.stopReason = reason;
    if (detail !== undefined) this.state.stopDetail = detail;
  }

  /** Counts a role's tokens into the episode's ledger (the Tokens search attribute shows the total). */
  addUsage(usage: RoleUsage): void {
    this.state.tokens = addUsage(this.state.tokens ?? emptyLedger(), usage);
  }

  // ---- Steps

  get nextStep(): number {
    return this.state.steps.length;
  }

  /** The steps as agents see them. */
  history(): StepView[] {
    return this.state.steps.map(toView);
  }

  /**
   * The run so far for the engineer and debugger: `inline` (plan, profile) and every step, or
   * (`byReference`) only the steps after the run the engineer's activity stored.
   */
  runSoFar<T extends object>(inline: T, byReference: boolean) {
    const history = this.history();
    if (!byReference) return { ...inline, history };
    return this.state.runRef ? { history: history.slice(this.state.runRef.steps), runRef: this.state.runRef } : { ...inline, history, runRef: null };
  }

  /**
   * The failed last step the debugger is to fix, at most input.debugAttempts times per failure (a
   * failed fix is fixed again); null when the engineer should move on instead.
   */
  debugTarget(): { failed: StepView; debugOf: number; attempt: number } | null {
    const { state, input } = this;
    const last = state.steps.at(-1);
    if (!last || last.status !== 'failed' || input.debugAttempts === 0) return null;
    // Requested candidates come before the agent's own ideas, fixes included.
    const tried = new Set(state.steps.map((s) => candidateKey(s.candidate)));
    if (input.initialCandidates.some((c) => !tried.has(candidateKey(c)))) return null;
    const debugOf = last.debugOf ?? last.step;
    const attempt = state.steps.filter((s) => s.debugOf === debugOf).length + 1;
    if (attempt > input.debugAttempts) return null;
    return { failed: toView(last), debugOf, attempt };
  }

  /** A step starts: its record before training, and the status shows it in flight. */
  startStep(step: number, proposal: Pick<Proposal, 'candidate' | 'rationale' | 'skillIds'>, staged: StagedFields): StepBase {
    const { candidate, rationale } = proposal;
    this.currentStep = { step, candidate, ...(staged.stage ? { stage: staged.stage } : {}) };
    return {
      step,
      candidate,
      rationale,
      improved: false,
      cpuSeconds: 0,
      gpuSeconds: 0,
      peakRssMb: 0,
      attempts: 0,
      resumedFromEpoch: 0,
      skillIds: proposal.skillIds ?? [],
      ...staged,
    };
  }

  endStep(): void {
    this.currentStep = null;
  }

  /** A trained step's record; a better CV score than the incumbent's makes it the incumbent. */
  trained(base: StepBase, result: TrainResult, gradedScore: StepRecord['gradedScore']): StepRecord {
    const { state } = this;
    const improved = !state.best || isBetter(result.cvScore, state.best.cvScore, this.competition.direction);
    if (improved) state.best = { step: base.step, candidate: base.candidate, cvScore: result.cvScore, submission: result.submission };
    return {
      ...base,
      status: 'ok',
      cvScore: result.cvScore,
      gradedScore,
      improved,
      computeSeconds: result.computeSeconds,
      cpuSeconds: result.cpuSeconds,
      gpuSeconds: result.gpuSeconds,
      peakRssMb: result.peakRssMb,
      attempts: result.attempts,
      resumedFromEpoch: result.resumedFromEpoch,
      ...(result.stopped ? { stoppedEarly: result.stopped } : {}),
      submission: result.submission,
      ...(result.ensembleKept !== undefined ? { ensembleKept: result.ensembleKept } : {}),
    };
  }

  /** A cancelled step (a stop): charged the time it ran. */
  cancelled(base: StepBase, spentSeconds: number): StepRecord {
    return { ...base, status: 'cancelled', computeSeconds: spentSeconds };
  }

  /** A failed step, charged what the activity measured over all attempts where it reported it, else the time it ran. */
  failed(base: StepBase, error: string, spentSeconds: number, charge: TrainCharge | null): StepRecord {
    return { ...base, status: 'failed', error, computeSeconds: charge?.computeSeconds ?? spentSeconds, cpuSeconds: charge?.cpuSeconds ?? 0 };
  }

  /** The step enters the ledger with what its role call cost (no prompts: those are in the artifact store), and its compute is spent. */
  record(record: StepRecord, proposal: Proposal, debugOf: number | undefined): void {
    this.state.steps.push({
      ...record,
      tokens: proposal.tokens,
      ...(proposal.usage ? { usage: proposal.usage } : {}),
      ...(debugOf !== undefined ? { debugOf } : {}),
    });
    this.state.computeSeconds += record.computeSeconds;
  }

  // ---- After the last step

  /** Stage 5's records, from the ledger alone (what the steps measured is already there). */
  learn(): void {
    if (this.state.profile) this.state.learnings = techniqueDeltas(this.history(), this.competition.direction);
  }

  /** What continue-as-new carries. */
  continued(): EpisodeState {
    return { ...this.state, continuedAsNew: this.state.continuedAsNew + 1 };
  }

  summary(workflowId: string, scores: { finalScore: number | null; baselineScore: number | null }, trajectory: string | null): EpisodeSummary {
    const { state } = this;
    const competition = this.competition;
    return {
      workflowId,
      competitionId: competition.id,
      metric: competition.metric,
      direction: competition.direction,
      bestCvScore: state.best?.cvScore ?? null,
      finalScore: scores.finalScore,
      baselineScore: scores.baselineScore,
      targetScore: competition.targetScore ?? null,
      steps: state.steps.length,
      computeSeconds: state.computeSeconds,
      computeToTarget: computeToTarget(state.steps, competition.targetScore, competition.direction),
      stopReason: state.stopReason ?? 'stopped',
      stopDetail: state.stopDetail ?? null,
      bestCandidate: state.best?.candidate ?? null,
      ledger: state.steps,
      trajectory,
      continuedAsNew: state.continuedAsNew,
      ...(state.tokens ? { tokens: state.tokens } : {}),
      ...(state.distilled ? { distilled: state.distilled } : {}),
      planNotes: this.plan.notes,
      ...(state.learnings ? { learnings: state.learnings } : {}),
    };
  }
}
