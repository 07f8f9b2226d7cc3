import { z } from 'zod';
import { DirectionSchema } from './competition.js';

/** One episode of the transfer benchmark: one held-out competition, one arm, one seed. */
export const ArmRunSchema = z.object({
  seed: z.number().int(),
  workflowId: z.string(),
  finalScore: z.number().nullable(),
  /** Compute until the graded score first reached the target; null when it never did. */
  computeToTarget: z.number().nullable(),
  computeSeconds: z.number(),
  steps: z.number().int(),
  /** Share of steps that improved the incumbent. */
  keepRate: z.number(),
  /** Best graded score so far after each step, against cumulative compute. */
  curve: z.array(z.object({ compute: z.number(), best: z.number() })),
  skillsUsed: z.array(z.string()),
});
export type ArmRun = z.infer<typeof ArmRunSchema>;

export const ARMS = ['cold', 'warm', 'cold2x'] as const;
export const ArmSchema = z.enum(ARMS);
export type Arm = z.infer<typeof ArmSchema>;

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
});
export type HeldoutResult = z.infer<typeof HeldoutResultSchema>;

export const TransferResultSchema = z.object({
  createdAt: z.string(),
  train: z.array(z.string()),
  heldout: z.array(z.string()),
  seeds: z.array(z.number().int()),
  budgetSeconds: z.number(),
  skills: z.array(z.object({ id: z.string(), tier: z.string(), title: z.string(), status: z.string(), uses: z.number().int() })),
  competitions: z.array(HeldoutResultSchema),
  total: z.object({
    ratio: MeanSemSchema,
    /** Runs per arm that reached the target at all (a ratio needs both cold and warm to reach it). */
    reached: z.object({ cold: z.number().int(), warm: z.number().int(), cold2x: z.number().int() }),
    warmNotWorse: z.number().int(), comparisons: z.number().int() }),
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
