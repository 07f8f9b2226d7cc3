import type { CompetitionSpec } from '../schemas/competition.js';
export type { Ablation, EngineerStage, StepView } from '../schemas/episode.js';
import type { Ablation, EngineerStage, StepView } from '../schemas/episode.js';
import type { Prior } from '../schemas/prior.js';
import type { Profile } from '../schemas/profile.js';
import type { Candidate } from '../schemas/training.js';
import type { RetrievedSkill, TieredSkills, SkillTier } from '../schemas/skill.js';
import type { RoleUsage } from '../schemas/ledger.js';
export type { AgentRole, LlmExchange, RoleUsage } from '../schemas/ledger.js';

export interface Plan {
  /** Candidates to try first, best bet first. */
  portfolio: Candidate[];
  notes: string;
  /** Which skills put each portfolio candidate where it is (keyed by candidateKey). */
  shapedBy?: Record<string, string[]>;
  /** The prior the plan was made under; the engineer searches its ranges. Absent = neutral. */
  prior?: Prior;
  /** Share of the step budget for screening the portfolio before local search (LLM planner; absent: all of it). */
  screenShare?: number;
  /** Global skills the planner had in context (credited on every step, like shapedBy). */
  skillIds?: string[];
  usage?: RoleUsage;
}

export interface PlanContext {
  competition: CompetitionSpec;
  /** The episode's budget (its input overrides competition.yaml's); absent: the competition's own. */
  budget?: { computeSeconds: number; maxSteps: number };
  seed: number;
  /** Skill summaries loaded for the orchestrator level (global tier). */
  skills: string[];
  /** All retrieved skills, for agents that use recipes as their prior. */
  tiered?: TieredSkills;
  /** Beliefs to start from (candidate order, ranges); absent = the neutral prior (cold start). */
  prior?: Prior;
  /** The data profile (stage 1); absent in episodes started before profiling existed. */
  profile?: Profile;
}

export interface ProposeContext {
  competition: CompetitionSpec;
  plan: Plan;
  history: StepView[];
  seed: number;
  step: number;
  remainingComputeSeconds: number;
  /** The episode's step budget (absent in histories from before it was passed: the competition's). */
  maxSteps?: number;
  /** Steps the budget still allows (absent: the competition's maxSteps less the history). */
  remainingSteps?: number;
  /** The data profile; with it the offline engineer works in stages on pipeline specs. */
  profile?: Profile;
  /** Tried first, in order, before the agent's own ideas. */
  initialCandidates: Candidate[];
  /** Skills for the domain specialist and the competition engineer, best first (absent: none retrieved). */
  skills?: { domain: RetrievedSkill[]; task: RetrievedSkill[] };
}

export interface Proposal {
  candidate: Candidate;
  rationale: string;
  /** LLM tokens spent on this proposal (0 offline). */
  tokens: number;
  /** The skills that shaped this proposal (credit assignment). */
  skillIds?: string[];
  usage?: RoleUsage;
  stage?: EngineerStage;
  parent?: number;
  ablation?: Ablation;
  /** Earlier steps whose out-of-fold predictions the candidate reads (a pipeline ensemble). */
  artifactSteps?: number[];
}

export interface DebugContext {
  competition: CompetitionSpec;
  plan: Plan;
  history: StepView[];
  /** The failed step to fix (its candidate and the SolutionError reason). */
  failed: StepView;
  /** 1 for the first fix of this failure, 2 for a fix of that fix, ... */
  attempt: number;
  /** A failed `custom` step's solution.py, read from the artifact store by the activity (never in workflow history). */
  failedCode?: string;
  seed: number;
  step: number;
}

/** A learning as the distiller states it; it enters the library as a `candidate` skill. */
export interface Learning {
  tier: SkillTier;
  title: string;
  /** The condition ("when X"). */
  when: string;
  /** What to do ("do Y") and why, from the measured results. */
  body: string;
  /** The template the learning recommends, when it names one. */
  template?: string;
}

export interface DistillContext {
  competition: CompetitionSpec;
  /** The episode's measured steps (cross-validated on train only). */
  history: StepView[];
  seed: number;
}

export interface Distillation {
  learnings: Learning[];
  rationale: string;
  usage?: RoleUsage;
}

/** The four roles; the offline and LLM backends both implement them. */
export interface Agent {
  /** Planner (orchestrator level): profile and global skills → the plan. */
  plan(ctx: PlanContext): Promise<Plan>;
  /** Engineer: the next candidate to train, or null when the agent has nothing left worth trying. */
  propose(ctx: ProposeContext): Promise<Proposal | null>;
  /** Debugger: a fixed version of a failed candidate, or null to let the engineer move on. */
  debug(ctx: DebugContext): Promise<Proposal | null>;
  /** Distiller: 2–5 learnings from the episode's measured results (none offline: distill/ learns by rules). */
  distill(ctx: DistillContext): Promise<Distillation>;
}
