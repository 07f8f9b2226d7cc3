import { z } from 'zod';

/** What one model costs, per million tokens, in one currency. */
export const ModelPriceSchema = z.strictObject({
  prompt_per_million: z.number('a price per million prompt tokens, e.g. 0.15').nonnegative('must be 0 or more'),
  completion_per_million: z.number('a price per million completion tokens, e.g. 0.6').nonnegative('must be 0 or more'),
  currency: z.string('a currency code, e.g. USD').regex(/^[A-Z]{3}$/, 'a three-letter currency code, e.g. USD'),
});
export type ModelPrice = z.infer<typeof ModelPriceSchema>;

/**
 * The optional price table (HASTE_LLM_PRICES): model name → price. The key `*` prices every model
 * the table does not name (e.g. one endpoint whose model name varies).
 */
export const PriceTableSchema = z
  .record(z.string().min(1, 'a model name (or * for any other model)'), ModelPriceSchema)
  .refine((t) => Object.keys(t).length > 0, 'name at least one model');
export type PriceTable = z.infer<typeof PriceTableSchema>;
