import type { TaskType } from '../../schemas/competition.js';
import type { ParamSpace, Prior } from '../../schemas/prior.js';
import type { Candidate } from '../../schemas/training.js';

export type { ParamSpace } from '../../schemas/prior.js';

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

/**
 * The neutral prior's portfolio order per domain: strong, cheap defaults first, then diversity.
 * Templates a task type cannot use are skipped; unknown (user-defined) domains get the tabular order.
 */
const NEUTRAL_ORDER: Record<string, Candidate[]> = {
  // New templates go at the end, so earlier runs' first steps stay as they were.
  tabular: ['hist_gradient_boosting', 'logistic_regression', 'ridge', 'random_forest', 'extra_trees', 'knn', 'lightgbm', 'mlp', 'xgboost'].map((template) => ({
    template,
    params: {},
  })),
  vision: [
    { template: 'logistic_regression', params: { C: 0.1 } },
    { template: 'hist_gradient_boosting', params: {} },
    { template: 'mlp', params: { hidden: [128] } },
    { template: 'extra_trees', params: {} },
    { template: 'lightgbm', params: {} },
  ],
  text: [
    { template: 'tfidf_logistic', params: {} },
    { template: 'tfidf_logistic', params: { analyzer: 'char_wb', ngram_max: 4 } },
    { template: 'tfidf_nb', params: {} },
    { template: 'tfidf_sgd', params: { analyzer: 'char_wb', ngram_max: 3 } },
  ],
  // The combination first: a robust default (M3/M4), and not the naive baseline itself, which a
  // cold episode that stops at the target on its first candidate could then never beat.
  'time-series': [
    { template: 'combo', params: {} },
    { template: 'seasonal_naive', params: {} },
    { template: 'ets', params: {} },
    { template: 'lag_gbm', params: {} },
    { template: 'lag_ridge', params: {} },
    { template: 'seasonal_naive', params: { method: 'drift' } },
  ],
};

/** Does the template fit this domain and task type? */
export function templateFits(template: string, domain: string, taskType: TaskType): boolean {
  const space = TEMPLATE_SPACES[template];
  if (!space || !space.taskTypes.includes(taskType)) return false;
  return space.domains.includes(domain) || (space.domains.includes('*') && !(domain in NEUTRAL_ORDER));
}

/** The cold-start prior: the default portfolio for the domain and the default ranges. */
export function neutralPrior(domain: string, taskType: TaskType): Prior {
  const order = NEUTRAL_ORDER[domain] ?? NEUTRAL_ORDER.tabular!;
  return { source: 'neutral', candidates: order.filter((c) => templateFits(c.template, domain, taskType)), ranges: {} };
}

export function defaultPortfolio(taskType: TaskType, domain = 'tabular'): Candidate[] {
  return neutralPrior(domain, taskType).candidates;
}

/** The search space of a template under a prior: the prior's ranges replace the defaults param by param. */
export function spaceUnderPrior(template: string, prior: Prior | undefined): TemplateSpace | undefined {
  const base = TEMPLATE_SPACES[template];
  if (!base) return undefined;
  const overrides = prior?.ranges[template];
  return overrides ? { ...base, params: { ...base.params, ...overrides } } : base;
}

/** A stable key for a candidate, so the engineer never trains the same thing twice. */
export function candidateKey(c: Candidate): string {
  const sorted = Object.keys(c.params)
    .sort()
    .map((k) => [k, c.params[k]]);
  return `${c.template}:${JSON.stringify(sorted)}`;
}

export function sampleParam(space: ParamSpace, rand: () => number): unknown {
  if (space.kind === 'choice') return space.values[Math.floor(rand() * space.values.length)];
  const u = rand();
  const value = space.log ? Math.exp(Math.log(space.min) + u * (Math.log(space.max) - Math.log(space.min))) : space.min + u * (space.max - space.min);
  return space.kind === 'int' ? Math.round(value) : Number(value.toPrecision(3));
}

/** Moves a value a short step within its range (a factor of about e^±0.5 on log scales). */
export function perturbParam(space: ParamSpace, current: unknown, rand: () => number): unknown {
  if (space.kind === 'choice' || typeof current !== 'number') return sampleParam(space, rand);
  const step = (rand() - 0.5) * 1.0;
  const moved = space.log ? current * Math.exp(step) : current + step * (space.max - space.min) * 0.25;
  const clipped = Math.min(space.max, Math.max(space.min, moved));
  return space.kind === 'int' ? Math.round(clipped) : Number(clipped.toPrecision(3));
}
