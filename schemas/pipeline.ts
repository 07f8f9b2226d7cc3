import { z } from 'zod';

/**
 * A solution as a pipeline spec (docs/pipelines.md): plain JSON that the runner's `pipeline` template
 * executes, so it travels as a Candidate `{template: 'pipeline', params: <spec>}`. zod owns the shape;
 * the runner validates the exported JSON Schema (`haste_runner.contracts.problems('pipeline', spec)`).
 * Model params are the named runner template's own (`--list-templates`), checked by the runner.
 */

const columns = z.array(z.string().min(1)).min(1).optional().describe('the columns to use; default: every column of the kind the step handles');
const positiveInt = z.number().int().positive();

const TabularSteps = [
  z
    .object({
      kind: z.literal('impute'),
      columns,
      strategy: z.enum(['median', 'mean', 'zero']).default('median'),
      /** A 0/1 column per numeric column that had missing values in the fold's training rows. */
      indicators: z.boolean().default(true),
    })
    .strict(),
  z.object({ kind: z.literal('scale'), columns, method: z.enum(['standard', 'robust', 'minmax']).default('standard') }).strict(),
  z
    .object({
      kind: z.literal('one_hot'),
      columns,
      /** Without `columns`: string columns with at most this many distinct values. */
      max_categories: positiveInt.default(20),
    })
    .strict(),
  z.object({ kind: z.literal('ordinal'), columns }).strict(),
  z.object({ kind: z.literal('frequency'), columns }).strict(),
  z
    .object({
      kind: z.literal('target_encoding'),
      columns,
      /** Without `columns`: string columns with more than this many distinct values. */
      min_categories: positiveInt.default(20),
      smoothing: z.number().nonnegative().default(10),
      /** Training rows are encoded out-of-fold (inner folds of the CV fold's training part): no target leakage. */
      inner_folds: z.number().int().min(2).max(20).default(5),
    })
    .strict(),
  z
    .object({
      kind: z.literal('datetime'),
      columns,
      parts: z
        .array(z.enum(['year', 'month', 'day', 'dayofweek', 'dayofyear', 'hour', 'minute', 'is_weekend']))
        .min(1)
        .default(['year', 'month', 'day', 'dayofweek']),
    })
    .strict(),
  z.object({ kind: z.literal('text_stats'), columns }).strict(),
] as const;

const TextSteps = [
  z
    .object({
      kind: z.literal('tfidf'),
      columns,
      analyzer: z.enum(['word', 'char', 'char_wb']).default('word'),
      ngram_range: z.tuple([positiveInt, positiveInt]).default([1, 2]),
      min_df: positiveInt.default(1),
      max_features: positiveInt.nullable().default(100000),
      sublinear_tf: z.boolean().default(true),
    })
    .strict(),
] as const;

const SequenceSteps = [
  /** Fixed-length symbol strings: one 0/1 column per (position, symbol). */
  z.object({ kind: z.literal('positional'), columns }).strict(),
  z.object({ kind: z.literal('kmer'), columns, k: z.array(z.number().int().min(1).max(8)).min(1).default([1, 2, 3]) }).strict(),
] as const;

const ImageSteps = [
  /** Pixel columns as images of any number of channels, scaled to [0, 1]. */
  z.object({ kind: z.literal('pixels'), scale: z.enum(['auto', 'none']).default('auto') }).strict(),
] as const;

const TimeSeriesSteps = [
  z.object({ kind: z.literal('lags'), lags: z.array(positiveInt).min(1) }).strict(),
  z
    .object({
      kind: z.literal('rolling'),
      windows: z.array(z.number().int().min(2)).min(1),
      stats: z
        .array(z.enum(['mean', 'std', 'min', 'max']))
        .min(1)
        .default(['mean', 'std']),
    })
    .strict(),
  z
    .object({
      kind: z.literal('calendar'),
      parts: z
        .array(z.enum(['year', 'month', 'day', 'dayofweek', 'dayofyear', 'weekofyear', 'quarter', 'hour']))
        .min(1)
        .default(['month', 'dayofweek', 'dayofyear']),
    })
    .strict(),
  z.object({ kind: z.literal('series_id') }).strict(),
] as const;

export const FeatureStepSchema = z.discriminatedUnion('kind', [...TabularSteps, ...TextSteps, ...SequenceSteps, ...ImageSteps, ...TimeSeriesSteps]);
export type FeatureStep = z.infer<typeof FeatureStepSchema>;

const params = z.record(z.string(), z.unknown()).default({});

const EarlyStoppingSchema = z
  .object({
    /** Share of the fold's training rows held out (forecasting: the last points of every series). */
    validation_fraction: z.number().min(0.05).max(0.5).default(0.15),
    /** Epochs without improvement of the held-out loss before growing stops; the best epoch's model is kept. */
    patience: positiveInt.default(2),
  })
  .strict();

const ForecastSchema = z
  .object({
    strategy: z.enum(['recursive', 'direct']).default('recursive'),
    /** Training rows taken from the end of each series: bounds the cost on many long series. */
    max_rows_per_series: positiveInt.default(2000),
  })
  .strict();

/** Boosters, MLP and CNN grow per epoch: they can stop early on an inner validation split. */
const IncrementalModelSchema = z
  .object({
    template: z.enum(['lightgbm', 'xgboost', 'hist_gradient_boosting', 'mlp', 'cnn']),
    params,
    early_stopping: EarlyStoppingSchema.optional(),
    /** Forecasting competitions: one global model across all series. */
    forecast: ForecastSchema.optional(),
  })
  .strict();

const OtherModelSchema = z
  .object({
    template: z.enum(['random_forest', 'extra_trees', 'logistic_regression', 'ridge', 'knn']),
    params,
    forecast: ForecastSchema.optional(),
  })
  .strict();

/** The statistical forecasting family, fitted per series. */
const StatisticalModelSchema = z
  .object({
    template: z.enum(['seasonal_naive', 'drift', 'ets', 'theta']),
    /** Detected from the data (autocorrelation) when absent and the competition does not give one. */
    season_length: positiveInt.optional(),
    /** Estimated fitting cost above this shortens the histories (then falls back to seasonal naive). */
    max_fit_seconds: z.number().positive().default(60),
  })
  .strict();

export const PipelineModelSchema = z.union([IncrementalModelSchema, OtherModelSchema, StatisticalModelSchema]);

export const EnsembleSchema = z
  .object({
    /** Earlier steps (their number) or artifact labels, resolved through the job's `artifacts`. */
    members: z.array(z.union([z.number().int().nonnegative(), z.string().min(1)])).min(2),
    /** Weights fit on out-of-fold predictions; the ensemble is kept only when it beats the best member. */
    method: z.enum(['nnls', 'hill_climbing', 'mean']).default('nnls'),
  })
  .strict();

export const TargetTransformSchema = z.enum(['none', 'log1p', 'standardize']);

const ModelPipelineSchema = z
  .object({
    version: z.literal(1),
    target: TargetTransformSchema.default('none'),
    features: z.array(FeatureStepSchema).default([]),
    model: PipelineModelSchema,
  })
  .strict();

const EnsemblePipelineSchema = z
  .object({
    version: z.literal(1),
    ensemble: EnsembleSchema,
  })
  .strict();

export const PipelineSpecSchema = z.union([ModelPipelineSchema, EnsemblePipelineSchema]);
export type PipelineSpec = z.infer<typeof PipelineSpecSchema>;
/** A model pipeline (not an ensemble): what screening and refinement work on. */
export type ModelSpec = Extract<PipelineSpec, { model: unknown }>;

/**
 * The part of a spec one technique contributes, as a skill's recipe carries it: a target transform,
 * feature steps to add (a step of the same kind is replaced), or the model. Applying it to a spec
 * gives the spec "with" the technique.
 */
export const PipelineFragmentSchema = z
  .object({
    target: TargetTransformSchema.optional(),
    features: z.array(FeatureStepSchema).min(1).optional(),
    model: PipelineModelSchema.optional(),
  })
  .strict()
  .refine((f) => f.target !== undefined || f.features !== undefined || f.model !== undefined, 'a fragment sets a target, feature steps or a model');
export type PipelineFragment = z.infer<typeof PipelineFragmentSchema>;
