import type { CompetitionSpec } from '../schemas/competition.js';
import type { Prior } from '../schemas/prior.js';
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
}

export interface ProposeContext {
  competition: CompetitionSpec;
  plan: Plan;
  history: StepView[];
  seed: number;
  step: number;
  remainingComputeSeconds: number;
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
}

/** The planner and engineer roles; the offline and LLM backends both implement it. */
export interface Agent {
  plan(ctx: PlanContext): Promise<Plan>;
  /** The next candidate to train, or null when the agent has nothing left worth trying. */
  propose(ctx: ProposeContext): Promise<Proposal | null>;
}
