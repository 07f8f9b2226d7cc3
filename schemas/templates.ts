import type { TaskType } from './competition.js';
import type { ParamSpace } from './prior.js';

export interface TemplateSpace {
  taskTypes: readonly TaskType[];
  /** Domains whose data the template can use (pixel columns, a text column, long-format series). */
  domains: readonly string[];
  /** What the template costs relative to the others, to order a portfolio under a tight budget. */
  relativeCost: number;
  params: Record<string, ParamSpace>;
}

const CLASSIFICATION: readonly TaskType[] = ['binary', 'multiclass'];
const TABULAR: readonly TaskType[] = ['binary', 'multiclass', 'regression'];
const FORECASTING: readonly TaskType[] = ['forecasting'];
/** Feature-row templates also work on pixel columns (vision) and on user-defined domains. */
const ROWS = ['tabular', 'vision', '*'];
const TFIDF: Record<string, ParamSpace> = {
  analyzer: { kind: 'choice', values: ['word', 'char_wb'] },
  ngram_max: { kind: 'int', min: 1, max: 4, log: false },
  min_df: { kind: 'int', min: 1, max: 5, log: false },
};

/** The runner's templates (runner/haste_runner/templates/) and the ranges the offline engineer searches. */
export const TEMPLATE_SPACES: Record<string, TemplateSpace> = {
  hist_gradient_boosting: {
    domains: ROWS,
    taskTypes: TABULAR,
    relativeCost: 2,
    params: {
      learning_rate: { kind: 'float', min: 0.02, max: 0.3, log: true },
      max_leaf_nodes: { kind: 'int', min: 8, max: 127, log: true },
      min_samples_leaf: { kind: 'int', min: 5, max: 100, log: true },
      l2_regularization: { kind: 'float', min: 1e-4, max: 10, log: true },
      epochs: { kind: 'int', min: 4, max: 16, log: false },
    },
  },
  random_forest: {
    domains: ROWS,
    taskTypes: TABULAR,
    relativeCost: 3,
    params: {
      max_features: { kind: 'choice', values: ['sqrt', 'log2', 0.5, 1.0] },
      min_samples_leaf: { kind: 'int', min: 1, max: 20, log: true },
      epochs: { kind: 'int', min: 4, max: 12, log: false },
    },
  },
  extra_trees: {
    domains: ROWS,
    taskTypes: TABULAR,
    relativeCost: 2,
    params: {
      max_features: { kind: 'choice', values: ['sqrt', 'log2', 0.5, 1.0] },
      min_samples_leaf: { kind: 'int', min: 1, max: 20, log: true },
      epochs: { kind: 'int', min: 4, max: 12, log: false },
    },
  },
  logistic_regression: {
    domains: ROWS,
    taskTypes: CLASSIFICATION,
    relativeCost: 1,
    params: { C: { kind: 'float', min: 1e-3, max: 100, log: true } },
  },
  ridge: {
    domains: ROWS,
    taskTypes: ['regression'],
    relativeCost: 1,
    params: { alpha: { kind: 'float', min: 1e-3, max: 100, log: true } },
  },
  mlp: {
    domains: ROWS,
    taskTypes: TABULAR,
    relativeCost: 3,
    params: {
      hidden: { kind: 'choice', values: [[64], [128], [128, 64], [256, 128]] },
      alpha: { kind: 'float', min: 1e-6, max: 1e-1, log: true },
      learning_rate_init: { kind: 'float', min: 1e-4, max: 3e-2, log: true },
    },
  },
  knn: {
    domains: ROWS,
    taskTypes: TABULAR,
    relativeCost: 1,
    params: {
      n_neighbors: { kind: 'int', min: 3, max: 75, log: true },
      weights: { kind: 'choice', values: ['uniform', 'distance'] },
    },
  },
  lightgbm: {
    domains: ROWS,
    taskTypes: TABULAR,
    relativeCost: 2,
    params: {
      learning_rate: { kind: 'float', min: 0.02, max: 0.3, log: true },
      num_leaves: { kind: 'int', min: 8, max: 127, log: true },
      min_child_samples: { kind: 'int', min: 5, max: 100, log: true },
      colsample: { kind: 'float', min: 0.3, max: 1, log: false },
      epochs: { kind: 'int', min: 4, max: 16, log: false },
    },
  },
  xgboost: {
    domains: ROWS,
    taskTypes: TABULAR,
    relativeCost: 2,
    params: {
      learning_rate: { kind: 'float', min: 0.02, max: 0.3, log: true },
      max_depth: { kind: 'int', min: 3, max: 10, log: false },
      min_child_weight: { kind: 'float', min: 0.5, max: 10, log: true },
      subsample: { kind: 'float', min: 0.5, max: 1, log: false },
      colsample_bytree: { kind: 'float', min: 0.3, max: 1, log: false },
      reg_lambda: { kind: 'float', min: 1e-3, max: 10, log: true },
      epochs: { kind: 'int', min: 4, max: 16, log: false },
    },
  },
  /** Needs PyTorch on the worker (runner/requirements-gpu.txt): only in a portfolio when a prior asks. */
  cnn: {
    domains: ['vision'],
    taskTypes: CLASSIFICATION,
    relativeCost: 5,
    params: {
      channels: { kind: 'choice', values: [8, 16, 32] },
      learning_rate: { kind: 'float', min: 3e-4, max: 3e-3, log: true },
      dropout: { kind: 'float', min: 0, max: 0.5, log: false },
      epochs: { kind: 'int', min: 5, max: 20, log: false },
    },
  },
  tfidf_logistic: {
    domains: ['text'],
    taskTypes: CLASSIFICATION,
    relativeCost: 2,
    params: { ...TFIDF, C: { kind: 'float', min: 0.3, max: 100, log: true } },
  },
  tfidf_nb: {
    domains: ['text'],
    taskTypes: CLASSIFICATION,
    relativeCost: 1,
    params: { ...TFIDF, alpha: { kind: 'float', min: 0.01, max: 3, log: true } },
  },
  tfidf_sgd: {
    domains: ['text'],
    taskTypes: CLASSIFICATION,
    relativeCost: 2,
    params: { ...TFIDF, alpha: { kind: 'float', min: 1e-6, max: 1e-3, log: true }, epochs: { kind: 'int', min: 3, max: 20, log: false } },
  },
  seasonal_naive: {
    domains: ['time-series'],
    taskTypes: FORECASTING,
    relativeCost: 1,
    params: { method: { kind: 'choice', values: ['seasonal', 'last', 'drift', 'seasonal_drift'] } },
  },
  combo: {
    domains: ['time-series'],
    taskTypes: FORECASTING,
    relativeCost: 1,
    params: {
      members: {
        kind: 'choice',
        values: [
          ['naive', 'drift', 'ets', 'theta'],
          ['drift', 'ets', 'theta'],
          ['naive', 'ets', 'theta'],
          ['naive', 'drift', 'theta'],
          ['naive', 'drift', 'ets'],
        ],
      },
      combine: { kind: 'choice', values: ['mean', 'median'] },
    },
  },
  ets: {
    domains: ['time-series'],
    taskTypes: FORECASTING,
    relativeCost: 1,
    params: {
      trend: { kind: 'choice', values: ['add', 'none'] },
      damped: { kind: 'choice', values: [true, false] },
      seasonal: { kind: 'choice', values: ['add', 'mul', 'none'] },
    },
  },
  lag_gbm: {
    domains: ['time-series'],
    taskTypes: FORECASTING,
    relativeCost: 2,
    params: {
      lags: { kind: 'int', min: 4, max: 60, log: true },
      learning_rate: { kind: 'float', min: 0.02, max: 0.3, log: true },
      max_leaf_nodes: { kind: 'int', min: 4, max: 63, log: true },
      epochs: { kind: 'int', min: 2, max: 12, log: false },
    },
  },
  lag_ridge: {
    domains: ['time-series'],
    taskTypes: FORECASTING,
    relativeCost: 1,
    params: { lags: { kind: 'int', min: 4, max: 60, log: true }, alpha: { kind: 'float', min: 1e-3, max: 100, log: true } },
  },
};
