import { z } from 'zod';
import { TaskTypeSchema } from './competition.js';

/**
 * What the specialist knows of a competition's data before training anything (stage 1 of the
 * engineer): column kinds, cardinalities, missingness, the target's shape, text and symbol lengths,
 * image shape, series count, length, frequency and season. The runner computes it
 * (`python -m haste_runner.profile`), validated against this schema's export (contract `profile`);
 * skills state their conditions over its traits (`profileTraits`).
 */
export const ColumnKindSchema = z.enum(['numeric', 'categorical', 'text', 'symbols', 'datetime']);
export type ColumnKind = z.infer<typeof ColumnKindSchema>;

export const ColumnProfileSchema = z.strictObject({
  name: z.string().min(1),
  kind: ColumnKindSchema,
  /** Share of training rows where the column is empty. */
  missingShare: z.number().min(0).max(1),
  /** Distinct non-empty values among the training rows. */
  cardinality: z.number().int().nonnegative(),
  /** Text and symbol columns: mean length in characters. */
  meanLength: z.number().nonnegative().optional(),
  /** Symbol columns (fixed-length strings of a small alphabet): how many distinct symbols. */
  alphabet: z.number().int().positive().optional(),
});
export type ColumnProfile = z.infer<typeof ColumnProfileSchema>;

const count = z.number().int().nonnegative();

export const ProfileSchema = z.strictObject({
  version: z.literal(1),
  taskType: TaskTypeSchema,
  metric: z.string().min(1),
  rows: count,
  testRows: count,
  /** Feature columns (not id, target, series keys or timestamps); pixel columns are summarised by `image`. */
  columns: z.array(ColumnProfileSchema),
  counts: z.strictObject({ numeric: count, categorical: count, text: count, symbols: count, datetime: count }),
  /** The largest cardinality of a categorical column (0 without any). */
  maxCardinality: count,
  /** Share of empty cells over all feature columns. */
  missingShare: z.number().min(0).max(1),
  target: z.strictObject({
    /** Classification: the number of classes and the share of the rarest. */
    classes: count.optional(),
    minorityShare: z.number().min(0).max(1).optional(),
    /** Regression and forecasting: the value range and the skewness. */
    min: z.number().optional(),
    max: z.number().optional(),
    skew: z.number().optional(),
  }),
  image: z.strictObject({ height: z.number().int().positive(), width: z.number().int().positive(), channels: z.number().int().positive() }).optional(),
  series: z
    .strictObject({
      count: count,
      minLength: count,
      meanLength: z.number().nonnegative(),
      maxLength: count,
      /** A pandas offset alias (D, W-SUN, MS, H, ...) when the timestamps have one; null for plain integers. */
      frequency: z.string().nullable(),
      /** The seasonal period: the competition's season_length, else detected by autocorrelation (1: none). */
      season: z.number().int().positive(),
      horizon: z.number().int().positive(),
    })
    .optional(),
});
export type Profile = z.infer<typeof ProfileSchema>;

/** A flat trait a skill's conditions can test: a number, a name or a flag. */
export type TraitValue = number | string | boolean;

/**
 * The profile as flat, named traits (`rows`, `target.skew`, `columns.maxCardinality`, ...): the
 * vocabulary of skill conditions. Traits that do not apply (a regression has no `target.classes`)
 * are absent, so a condition on them does not hold.
 */
export function profileTraits(p: Profile): Record<string, TraitValue> {
  const features = p.columns.length + (p.image ? 1 : 0);
  const traits: Record<string, TraitValue> = {
    taskType: p.taskType,
    metric: p.metric,
    rows: p.rows,
    testRows: p.testRows,
    features,
    'columns.numeric': p.counts.numeric,
    'columns.categorical': p.counts.categorical,
    'columns.text': p.counts.text,
    'columns.symbols': p.counts.symbols,
    'columns.datetime': p.counts.datetime,
    'columns.maxCardinality': p.maxCardinality,
    'columns.numericShare': features === 0 ? 0 : p.counts.numeric / features,
    missingShare: p.missingShare,
  };
  const t = p.target;
  if (t.classes !== undefined) traits['target.classes'] = t.classes;
  if (t.minorityShare !== undefined) traits['target.minorityShare'] = t.minorityShare;
  if (t.min !== undefined) {
    traits['target.min'] = t.min;
    traits['target.positive'] = t.min > 0;
    traits['target.nonNegative'] = t.min >= 0;
  }
  if (t.max !== undefined) traits['target.max'] = t.max;
  if (t.skew !== undefined) traits['target.skew'] = t.skew;
  if (p.image) {
    traits['image.pixels'] = p.image.height * p.image.width;
    traits['image.channels'] = p.image.channels;
  }
  if (p.series) {
    traits['series.count'] = p.series.count;
    traits['series.meanLength'] = p.series.meanLength;
    traits['series.season'] = p.series.season;
    traits['series.horizon'] = p.series.horizon;
    if (p.series.frequency) traits['series.frequency'] = p.series.frequency;
  }
  return traits;
}
