import { z } from 'zod';
import { PipelineFragmentSchema } from './pipeline.js';
import { CandidateSchema } from './training.js';

/**
 * What one technique changed on one competition, measured with and without it on the same folds
 * (stage 5 of the engineer). The raw material of skills: a technique becomes a domain skill once it
 * helped under the same conditions on enough competitions (distill/).
 */
export const TechniqueDeltaSchema = z.strictObject({
  /**
   * A stable name of the technique, the same on every competition: `target:log1p`,
   * `feature:target_encoding`, `feature:positional`, `model:lightgbm`, `early_stopping`,
   * `ensemble:nnls`, `forecast:global-lags`, ...
   */
  technique: z.string().regex(/^[a-z_]+(:[a-z0-9_-]+)?$/, 'a stable technique name such as target:log1p'),
  /** The pipeline-spec fragment that applies it (ensembles, which are whole steps, have none). */
  recipe: PipelineFragmentSchema.optional(),
  /** The candidate with the technique and the one without it, trained on the same folds and seed. */
  with: CandidateSchema,
  without: CandidateSchema,
  withScore: z.number(),
  withoutScore: z.number(),
  /** withScore - withoutScore in the metric's better direction: positive means the technique helped. */
  delta: z.number(),
  /** What measuring both cost (compute seconds of the two steps). */
  computeSeconds: z.number().nonnegative(),
  /** The ledger steps the two scores come from. */
  steps: z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]),
});
export type TechniqueDelta = z.infer<typeof TechniqueDeltaSchema>;
