import { z } from 'zod';
import { CompetitionSpecSchema, isBetter, type Direction } from '../schemas/competition.js';
import { CandidateSchema } from '../schemas/training.js';

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
        skillIds: z.array(z.string()).optional(),
      }),
    ),
  }),
});
export type Trajectory = z.infer<typeof TrajectorySchema>;

/** a − b, signed so that positive always means "better" under the metric's direction. */
export function improvement(a: number, b: number, direction: Direction): number {
  return direction === 'maximize' ? a - b : b - a;
}

/** The step the agent would submit (best cross-validated score) and the compute spent until it. */
export function incumbent(t: Trajectory): { step: Trajectory['state']['steps'][number]; computeSeconds: number } | null {
  let best: Trajectory['state']['steps'][number] | null = null;
  let spent = 0;
  let spentAtBest = 0;
  for (const s of t.state.steps) {
    spent += s.computeSeconds;
    if (s.status === 'ok' && s.cvScore !== undefined && (!best || isBetter(s.cvScore, best.cvScore!, t.state.competition.direction))) {
      best = s;
      spentAtBest = spent;
    }
  }
  return best ? { step: best, computeSeconds: spentAtBest } : null;
}
