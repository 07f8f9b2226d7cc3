import { z } from 'zod';
import { CompetitionSpecSchema, type Direction } from '../schemas/competition.js';
import { incumbentsByCv } from '../schemas/incumbent.js';
import { TechniqueDeltaSchema } from '../schemas/learning.js';
import { ProfileSchema } from '../schemas/profile.js';
import { CandidateSchema } from '../schemas/training.js';
import { computeUnitOf, stepCompute } from './compute.js';

/** The part of a recorded trajectory (activities/trajectory.ts) that distillation reads. */
export const TrajectorySchema = z.object({
  workflowId: z.string(),
  runId: z.string(),
  finalScore: z.number().nullable(),
  baselineScore: z.number().nullable().default(null),
  state: z.object({
    competition: CompetitionSpecSchema,
    steps: z.array(
      z.object({
        step: z.number().int(),
        candidate: CandidateSchema,
        status: z.enum(['ok', 'failed', 'cancelled']),
        cvScore: z.number().optional(),
        gradedScore: z.number().optional(),
        improved: z.boolean(),
        computeSeconds: z.number(),
        cpuSeconds: z.number().optional(),
        gpuSeconds: z.number().optional(),
        skillIds: z.array(z.string()).optional(),
      }),
    ),
    /** The engineer's stage 1 data profile and stage 5 technique deltas (absent in older trajectories). */
    profile: ProfileSchema.nullish(),
    learnings: z.array(TechniqueDeltaSchema).nullish(),
  }),
});
export type Trajectory = z.infer<typeof TrajectorySchema>;

/** a − b, signed so that positive always means "better" under the metric's direction. */
export function improvement(a: number, b: number, direction: Direction): number {
  return direction === 'maximize' ? a - b : b - a;
}

/** The step the agent would submit (best cross-validated score) and the compute spent until it, in the run's unit. */
export function incumbent(t: Trajectory): { step: Trajectory['state']['steps'][number]; computeSeconds: number } | null {
  let best: Trajectory['state']['steps'][number] | null = null;
  let spent = 0;
  let spentAtBest = 0;
  const unit = computeUnitOf(t.state.steps);
  for (const { step, changed } of incumbentsByCv(t.state.steps, t.state.competition.direction)) {
    spent += stepCompute(step, unit);
    if (changed) {
      best = step;
      spentAtBest = spent;
    }
  }
  return best ? { step: best, computeSeconds: spentAtBest } : null;
}
