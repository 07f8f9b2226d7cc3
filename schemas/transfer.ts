import { z } from 'zod';
import { DirectionSchema } from './competition.js';
import { AgentBackendSchema } from './episode.js';

export const ComputeUnitSchema = z.enum(['cpu-seconds', 'slot-seconds']);

/** A skill as a transfer result names it. */
const UsedSkillSchema = z.object({ id: z.string(), tier: z.string(), title: z.string(), status: z.string(), uses: z.number().int() });

/** One episode of the transfer benchmark: one held-out competition, one arm, one seed. */
export const ArmRunSchema = z.object({
  seed: z.number().int(),
  workflowId: z.string(),
  finalScore: z.number().nullable(),
  /** Compute until the graded score first reached the target; null when it never did. */
  computeToTarget: z.number().nullable(),
  computeSeconds: z.number(),
  /** What the compute figures count: the runner's CPU seconds (CPU hosts) or slot seconds (GPU hosts; results before units). */
  computeUnit: ComputeUnitSchema.default('slot-seconds'),
  steps: z.number().int(),
  /** Refinement steps until the final incumbent (best by CV) was found, counting it; null without one. */
  stepsToBest: z.number().int().nullable().default(null),
  /** Share of steps that improved the incumbent. */
  keepRate: z.number(),
  /** Best graded score so far after each step, against cumulative compute. */
  curve: z.array(z.object({ compute: z.number(), best: z.number() })),
  skillsUsed: z.array(z.string()),
  /** LLM tokens the run spent, all roles (0 for the offline agent and results from before the ledger). */
  promptTokens: z.number().int().nonnegative().default(0),
  completionTokens: z.number().int().nonnegative().default(0),
  /** Tokens spent until the graded score first reached the target (planner and steps up to then); null when it never did. */
  tokensToTarget: z.number().int().nonnegative().nullable().default(null),
  /** The model that answered (absent offline). */
  model: z.string().optional(),
});
export type ArmRun = z.infer<typeof ArmRunSchema>;

export const ARMS = ['cold', 'warm', 'cold2x'] as const;
export const ArmSchema = z.enum(ARMS);
export type Arm = z.infer<typeof ArmSchema>;

/**
 * An arm's LLM cost per target reached, as the HASTE paper reports tokens per medal: all tokens its runs
 * spent over the runs that reached the target (null when none did).
 */
export const ArmTokensSchema = z.object({
  promptTokens: z.number().int().nonnegative(),
  completionTokens: z.number().int().nonnegative(),
  reached: z.number().int().nonnegative(),
  perTarget: z.number().nonnegative().nullable(),
});
export type ArmTokens = z.infer<typeof ArmTokensSchema>;

export const MeanSemSchema = z.object({ mean: z.number().nullable(), sem: z.number().nullable(), n: z.number().int() });
export type MeanSem = z.infer<typeof MeanSemSchema>;

export const HeldoutResultSchema = z.object({
  competition: z.string(),
  metric: z.string(),
  direction: DirectionSchema,
  /** The competition's target score, or the cold run's best score when it sets none. */
  target: z.number(),
  targetSource: z.enum(['competition', 'cold-best']),
  arms: z.object({ cold: z.array(ArmRunSchema), warm: z.array(ArmRunSchema), cold2x: z.array(ArmRunSchema) }),
  /** cold compute-to-target / warm compute-to-target, per seed, then mean ± SEM. */
  ratio: MeanSemSchema,
  /** What this competition's warm runs learned from (a rotation's fold; the whole train list otherwise). */
  train: z.array(z.string()).default([]),
  /** The skills its warm runs used, with their status at the end of learning. */
  skills: z.array(UsedSkillSchema).default([]),
  /** Seed noise of the final score: 2 × the SEM of the cold and warm means combined (null with one seed). */
  noise: z.number().nullable().default(null),
  /** Warm's mean final score worse than cold's by more than the seed noise (with one seed: worse at all). */
  negativeTransfer: z.boolean().default(false),
});
export type HeldoutResult = z.infer<typeof HeldoutResultSchema>;

export const TransferResultSchema = z.object({
  createdAt: z.string(),
  train: z.array(z.string()),
  heldout: z.array(z.string()),
  seeds: z.array(z.number().int()),
  budgetSeconds: z.number(),
  /** A rotation's name and its declared folds, as printed before anything ran. */
  rotation: z.string().optional(),
  split: z.array(z.object({ heldout: z.string(), train: z.array(z.string()) })).optional(),
  computeUnit: ComputeUnitSchema.default('slot-seconds'),
  /** The agent every episode ran with (results from before the option: offline). */
  agent: AgentBackendSchema.default('offline'),
  skills: z.array(UsedSkillSchema),
  competitions: z.array(HeldoutResultSchema),
  total: z.object({
    ratio: MeanSemSchema,
    /** Runs per arm that reached the target at all (a ratio needs both cold and warm to reach it). */
    reached: z.object({ cold: z.number().int(), warm: z.number().int(), cold2x: z.number().int() }),
    warmNotWorse: z.number().int(),
    comparisons: z.number().int(),
    /** Pairs where warm reached the target with less compute than cold with twice the budget (or where only warm reached it). */
    warmBeatsCold2x: z.number().int().default(0),
    /** Competitions with negative transfer. */
    negative: z.number().int().default(0),
    /** Refinement steps until the best and keep rate per arm, mean ± SEM over runs. */
    stepsToBest: z.object({ cold: MeanSemSchema, warm: MeanSemSchema, cold2x: MeanSemSchema }).optional(),
    keepRate: z.object({ cold: MeanSemSchema, warm: MeanSemSchema, cold2x: MeanSemSchema }).optional(),
    /** LLM tokens per arm and per target reached (absent in results from before the ledger). */
    tokens: z.object({ cold: ArmTokensSchema, warm: ArmTokensSchema, cold2x: ArmTokensSchema }).optional(),
  }),
});
export type TransferResult = z.infer<typeof TransferResultSchema>;

/** Mean and standard error of the mean; nulls (never reached the target) are left out and counted in n only when present. */
export function meanSem(values: (number | null)[]): MeanSem {
  const xs = values.filter((v): v is number => v !== null && Number.isFinite(v));
  if (xs.length === 0) return { mean: null, sem: null, n: 0 };
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  if (xs.length === 1) return { mean, sem: null, n: 1 };
  const variance = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (xs.length - 1);
  return { mean, sem: Math.sqrt(variance / xs.length), n: xs.length };
}

/** An arm's tokens per target reached from its runs. */
export function armTokens(runs: ArmRun[]): ArmTokens {
  const promptTokens = runs.reduce((s, r) => s + r.promptTokens, 0);
  const completionTokens = runs.reduce((s, r) => s + r.completionTokens, 0);
  const reached = runs.filter((r) => r.computeToTarget !== null).length;
  return { promptTokens, completionTokens, reached, perTarget: reached ? (promptTokens + completionTokens) / reached : null };
}
