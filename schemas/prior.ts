import { z } from 'zod';

/** A hyperparameter's range: log-scaled numbers, integers, or a set of choices. */
export const ParamSpaceSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('float'), min: z.number(), max: z.number(), log: z.boolean() }),
  z.object({ kind: z.literal('int'), min: z.number().int(), max: z.number().int(), log: z.boolean() }),
  z.object({ kind: z.literal('choice'), values: z.array(z.unknown()).min(1) }),
]);
export type ParamSpace = z.infer<typeof ParamSpaceSchema>;

/**
 * What the offline policy believes before it has seen a competition's data: which candidates to
 * try first (in order) and which hyperparameter ranges to search. Plain JSON, so the skills layer
 * can build one from domain/task skills and hand it over through PlanContext. A cold start uses the
 * neutral prior (`neutralPrior` in agents/offline/search-space.ts): the same policy, default beliefs.
 */
export const PriorSchema = z.object({
  /** Where the beliefs came from, e.g. "neutral" or "skills:tabular/binary@3". Shown in plan notes. */
  source: z.string().min(1),
  /** Portfolio, best bet first. Templates the competition's task type cannot use are dropped. */
  candidates: z.array(z.object({ template: z.string().min(1), params: z.record(z.string(), z.unknown()).default({}) })),
  /** Per template, per param: ranges that replace the default search space's. */
  ranges: z.record(z.string(), z.record(z.string(), ParamSpaceSchema)).default({}),
});
export type Prior = z.infer<typeof PriorSchema>;
