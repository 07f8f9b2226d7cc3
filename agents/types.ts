import type { CompetitionSpec } from '../schemas/competition.js';
export type { Ablation, EngineerStage } from '../schemas/episode.js';
import type { Ablation, EngineerStage } from '../schemas/episode.js';
import type { Prior } from '../schemas/prior.js';
import type { Profile } from '../schemas/profile.js';
import type { Candidate } from '../schemas/training.js';
import type { RetrievedSkill, TieredSkills } from '../skill-store/retriever.js';

export interface Plan {
  /** Candidates to try first, best bet first. */
  portfolio: Candidate[];
  notes: string;
  /** Which skills put each portfolio candidate where it is (keyed by candidateKey). */
  shapedBy?: Record<string, string[]>;
  /** The prior the plan was made under; the engineer searches its ranges. Absent = neutral. */
  prior?: Prior;
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

export interface PlanContext {
  competition: CompetitionSpec;
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
  stage?: EngineerStage;
  parent?: number;
  ablation?: Ablation;
  /** Earlier steps whose out-of-fold predictions the candidate reads (a pipeline ensemble). */
  artifactSteps?: number[];
}

/** The planner and engineer roles; the offline and LLM backends both implement it. */
export interface Agent {
  plan(ctx: PlanContext): Promise<Plan>;
  /** The next candidate to train, or null when the agent has nothing left worth trying. */
  propose(ctx: ProposeContext): Promise<Proposal | null>;
}
