import { z } from 'zod';

/** One proposal an agent makes: a solution template from the runner and its hyperparameters. */
export const CandidateSchema = z.object({
  template: z.string().min(1),
  params: z.record(z.string(), z.unknown()).default({}),
});
export type Candidate = z.infer<typeof CandidateSchema>;

/** A stable key for a candidate, so the engineer never trains the same thing twice. */
export function candidateKey(c: Candidate): string {
  const sorted = Object.keys(c.params)
    .sort()
    .map((k) => [k, c.params[k]]);
  return `${c.template}:${JSON.stringify(sorted)}`;
}

export const TrainRequestSchema = z.object({
  workflowId: z.string(),
  step: z.number().int().nonnegative(),
  competitionDir: z.string(),
  candidate: CandidateSchema,
  seed: z.number().int(),
  folds: z.number().int().min(2),
  checkpointEvery: z.number().int().positive(),
  /** Earlier steps of the same episode whose out-of-fold predictions this step reads (a pipeline `ensemble`). */
  artifactSteps: z.array(z.number().int().nonnegative()).optional(),
  /**
   * Compute (slot seconds) this step may still use, all attempts together: the runner gets it as a
   * deadline and stops in time, submitting what it has. Absent: no deadline (requests of old histories).
   */
  computeSecondsLimit: z.number().nonnegative().optional(),
});
export type TrainRequest = z.infer<typeof TrainRequestSchema>;

/** What the training activity heartbeats; a retried attempt resumes from `checkpoint`. */
export const TrainHeartbeatSchema = z.object({
  epoch: z.number().int(),
  epochs: z.number().int(),
  checkpoint: z.string().nullable(),
  checkpointEpoch: z.number().int(),
  /** Slot seconds spent by all attempts so far, this one included. */
  computeSeconds: z.number(),
  cpuSeconds: z.number(),
  attempt: z.number().int(),
});
export type TrainHeartbeat = z.infer<typeof TrainHeartbeatSchema>;

export const TrainResultSchema = z.object({
  cvScore: z.number(),
  cvStd: z.number(),
  epochs: z.number().int(),
  submission: z.string(),
  attempts: z.number().int(),
  resumedFromEpoch: z.number().int(),
  /** Slot-occupied seconds over all attempts: the compute the budget is charged. */
  computeSeconds: z.number(),
  wallSeconds: z.number(),
  cpuSeconds: z.number(),
  gpuSeconds: z.number(),
  peakRssMb: z.number(),
  device: z.string(),
  /** Why training stopped before its last epoch or fold (the deadline), or null when it ran to the end. */
  stopped: z.string().nullable().optional(),
  /** Ensemble steps: whether the blend beat its best member (artifact.json `ensemble.kept`); else absent. */
  ensembleKept: z.boolean().optional(),
});
export type TrainResult = z.infer<typeof TrainResultSchema>;

/**
 * Carried in the details of every training failure (and in the heartbeat a timeout leaves behind),
 * so a failed step is charged the same slot seconds a successful one would be.
 */
export const TrainChargeSchema = z.object({ computeSeconds: z.number().nonnegative(), cpuSeconds: z.number().nonnegative() });
export type TrainCharge = z.infer<typeof TrainChargeSchema>;

/** Lines the Python runner prints on stdout (runner/README.md). */
export const RunnerLineSchema = z.discriminatedUnion('event', [
  z.object({ event: z.literal('start'), epochs: z.number().int(), resumedFromEpoch: z.number().int() }),
  z.object({
    event: z.literal('progress'),
    epoch: z.number().int(),
    epochs: z.number().int(),
    valScore: z.number().nullable().optional(),
    checkpoint: z.string().nullable(),
    checkpointEpoch: z.number().int(),
    cpuSeconds: z.number(),
    peakRssMb: z.number(),
  }),
  z.object({
    event: z.literal('result'),
    cvScore: z.number(),
    cvStd: z.number(),
    epochs: z.number().int(),
    folds: z.number().int().optional(),
    stopped: z.string().nullable().optional(),
    submission: z.string(),
    cpuSeconds: z.number(),
    peakRssMb: z.number(),
  }),
  /** kind: solution | competition (exit 2, never retried) or infrastructure (exit 1). */
  z.object({ event: z.literal('error'), kind: z.string(), message: z.string(), cpuSeconds: z.number().optional() }),
]);
export type RunnerLine = z.infer<typeof RunnerLineSchema>;

export const GradeSchema = z.object({
  metric: z.string(),
  direction: z.enum(['maximize', 'minimize']),
  score: z.number(),
  rows: z.number().int(),
  baseline: z.string().optional(),
});
export type Grade = z.infer<typeof GradeSchema>;
