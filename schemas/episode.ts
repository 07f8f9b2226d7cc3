import { z } from 'zod';
import { CandidateSchema, type Candidate } from './training.js';
import type { CompetitionSpec, Direction } from './competition.js';
import type { TieredSkills } from './skill.js';
import type { RoleUsage, TokenLedger } from './ledger.js';
import type { PipelineFragment } from './pipeline.js';
import type { TechniqueDelta } from './learning.js';
import type { Profile } from './profile.js';
import type { RunRef, SkillsRef } from './references.js';

export const AgentBackendSchema = z.enum(['offline', 'llm']);
export type AgentBackend = z.infer<typeof AgentBackendSchema>;

const positiveSeconds = z.number().positive('must be a positive number of seconds');
const positiveSteps = z.number().int('must be a whole number').positive('must be at least 1');

/** Budget overrides; whatever is left out comes from competition.yaml. */
export const BudgetSchema = z.strictObject({
  computeSeconds: positiveSeconds.optional(),
  maxSteps: positiveSteps.optional(),
});

export const TrainingOptionsSchema = z.strictObject({
  folds: z.number().int().min(2).max(10).default(5),
  /** Checkpoint every N epochs; a crashed attempt recomputes at most this many. */
  checkpointEvery: z.number().int().positive().default(1),
  /** A GPU worker silent this long is presumed dead and the attempt retried elsewhere. */
  heartbeatTimeoutSeconds: z.number().positive().default(30),
  maxAttempts: z.number().int().positive().default(5),
});

/**
 * competitionEpisode's input: plain JSON so ops can start it from `temporal workflow start --input`.
 * Every field but `competition` has a default.
 */
export const EpisodeInputSchema = z.strictObject({
  competition: z.string().min(1, 'a built-in competition id or a competition folder'),
  budget: BudgetSchema.default({}),
  agent: AgentBackendSchema.default('offline'),
  /**
   * How the offline engineer works: `staged` (the five stages on pipeline specs, from the data profile) or
   * `portfolio` (flat templates in the plan's order, then local search: what portfolio lessons order).
   */
  engineer: z.enum(['staged', 'portfolio']).default('staged'),
  skills: z.boolean().default(true),
  seed: z.number().int().nonnegative().default(0),
  /** Credit the skills used and distil this episode into the library when it ends (false: leave the library as it is). */
  learn: z.boolean().default(true),
  /** Also retrieve candidate and deprecated skills, so that this episode validates them. */
  validateSkills: z.boolean().default(false),
  /** End the episode once the cross-validated score reaches the competition's target (false: spend the whole budget). */
  stopAtTarget: z.boolean().default(true),
  runTag: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, . _ - only')
    .default('default'),
  /** Candidates tried first, before the agent's own proposals (e.g. to replay a known recipe). */
  initialCandidates: z.array(CandidateSchema).default([]),
  /** Fixes the debugger may try per failed step before the engineer moves on (0: no debugging). */
  debugAttempts: z.number().int().min(0).max(5).default(2),
  training: TrainingOptionsSchema.default(TrainingOptionsSchema.parse({})),
});
export type EpisodeInput = z.input<typeof EpisodeInputSchema>;
export type EpisodeConfig = z.output<typeof EpisodeInputSchema>;

export const EXTEND_BUDGET_SCHEMA = BudgetSchema.refine((b) => b.computeSeconds !== undefined || b.maxSteps !== undefined, 'give computeSeconds and/or maxSteps to add');
export type BudgetExtension = z.infer<typeof EXTEND_BUDGET_SCHEMA>;

/** The engineer's stages after profiling (the HASTE paper's specialist process). */
export type EngineerStage = 'screening' | 'refining' | 'ensembling' | 'ablating';

/** A step that trains a pipeline without one technique of an earlier step, to measure what it changed. */
export interface Ablation {
  /** A stable technique name (TechniqueDeltaSchema.technique), e.g. `target:log1p`. */
  technique: string;
  /** The step with the technique. */
  of: number;
  /** The fragment that applies the technique (absent for whole-step techniques such as ensembles). */
  recipe?: PipelineFragment;
}

/** `training` is the phase of episodes whose engineer has no stages (no profile); staged ones show the stage. */
export type Phase = 'loading' | 'profiling' | 'planning' | 'training' | EngineerStage | 'paused' | 'grading' | 'completed';
export type StopReason = 'budget' | 'max-steps' | 'target-reached' | 'stopped' | 'no-candidates';

/** One refinement step, as the ledger and the UI see it. */
export interface StepRecord {
  step: number;
  candidate: Candidate;
  rationale: string;
  status: 'ok' | 'failed' | 'cancelled';
  error?: string;
  cvScore?: number;
  /** The step's submission graded against hidden answers: for the ledger only, never shown to agents. */
  gradedScore?: number;
  improved: boolean;
  computeSeconds: number;
  cpuSeconds: number;
  gpuSeconds: number;
  peakRssMb: number;
  attempts: number;
  resumedFromEpoch: number;
  /** Why training stopped before its last epoch or fold (the step's deadline); absent when it ran to the end. */
  stoppedEarly?: string;
  submission?: string;
  /** The skills that shaped this step: global ones through the plan, domain and task ones given to the engineer (always set by the episode; optional for records written before skills existed). */
  skillIds?: string[];
  /** LLM tokens (prompt + completion) the proposal of this step cost: 0 offline; absent in records from before it was kept. The episode's figure is EpisodeSummary.tokens. */
  tokens?: number;
  /** What the engineer's or debugger's call cost, its fallback and skills in context (LLM backend). */
  usage?: RoleUsage;
  /** Set on a debugger's fix: the step whose failure it fixes. */
  debugOf?: number;
  /** The engineer's stage (episodes with a data profile). */
  stage?: EngineerStage;
  /** The step this one refined or ablated. */
  parent?: number;
  /** Stage 5: which technique this step leaves out, and of which step. */
  ablation?: Ablation;
  /** An ensemble's members (earlier steps), and whether the blend beat the best member (the runner's `ensemble.kept`). */
  artifactSteps?: number[];
  ensembleKept?: boolean;
}

/** What an agent may see of a past step: never graded scores, only what training on train.csv told. */
export interface StepView {
  step: number;
  candidate: Candidate;
  status: 'ok' | 'failed' | 'cancelled';
  cvScore?: number;
  error?: string;
  computeSeconds: number;
  stage?: EngineerStage;
  /** The step this one refined (a lineage leads back to one screened prototype). */
  parent?: number;
  ablation?: Ablation;
  /** Ensemble steps: the members' step numbers, and whether the blend beat the best member. */
  artifactSteps?: number[];
  ensembleKept?: boolean;
}

export interface BestSolution {
  step: number;
  candidate: Candidate;
  cvScore: number;
  submission: string;
}

/** Everything the episode carries across continue-as-new. */
export interface EpisodeState {
  phase: Phase;
  competition: CompetitionSpec | null;
  budget: { computeSeconds: number; maxSteps: number };
  computeSeconds: number;
  steps: StepRecord[];
  best: BestSolution | null;
  paused: boolean;
  stopRequested: string | null;
  stopReason: StopReason | null;
  /** The stop reason in words when the number alone does not say it (e.g. the next step's estimated cost). */
  stopDetail?: string;
  plan: { portfolio: Candidate[]; notes: string; usage?: RoleUsage } | null;
  /** LLM tokens by role (absent: no model was asked). */
  tokens?: TokenLedger;
  /** What the distiller added to the library as candidate skills. */
  distilled?: { skillIds: string[]; titles: string[]; rationale: string; usage?: RoleUsage };
  /** The skills retrieved once for the episode, carried so a continued run proposes with the same ones (episodes before 'skills-by-reference'). */
  skills?: TieredSkills;
  /** The same, by reference: ids per tier and the artifact with the records (episodes from 'skills-by-reference' on). */
  skillsRef?: SkillsRef;
  /** The run (plan, profile, steps) the engineer's activity has stored (episodes from 'run-by-reference' on): later proposals get only the steps after it inline. */
  runRef?: RunRef;
  /** Stage 1: the data profile (episodes from the 'profile' patch on). */
  profile?: Profile;
  /** Stage 5: what each technique of the final pipeline changed, measured on the same folds. */
  learnings?: TechniqueDelta[];
  continuedAsNew: number;
}

export interface EpisodeSummary {
  workflowId: string;
  competitionId: string;
  metric: string;
  direction: Direction;
  bestCvScore: number | null;
  finalScore: number | null;
  baselineScore: number | null;
  targetScore: number | null;
  steps: number;
  computeSeconds: number;
  computeToTarget: number | null;
  stopReason: StopReason;
  stopDetail: string | null;
  bestCandidate: Candidate | null;
  ledger: StepRecord[];
  trajectory: string | null;
  continuedAsNew: number;
  tokens?: TokenLedger;
  planNotes?: string;
  distilled?: EpisodeState['distilled'];
  /** What each technique changed (empty for episodes without stages). */
  learnings?: TechniqueDelta[];
}

/** What the `status` query answers and every update returns. */
export interface EpisodeStatus {
  phase: Phase;
  competitionId: string | null;
  metric: string | null;
  direction: Direction | null;
  bestScore: number | null;
  bestCandidate: Candidate | null;
  steps: number;
  maxSteps: number;
  computeSeconds: number;
  budgetComputeSeconds: number;
  paused: boolean;
  stopReason: StopReason | null;
  stopDetail: string | null;
  currentStep: { step: number; candidate: Candidate } | null;
  lastStep: StepRecord | null;
  /** LLM tokens so far (prompt + completion). */
  tokens?: number;
}
