import type { TaskType } from '../../schemas/competition.js';
import type { Candidate } from '../../schemas/training.js';

/** A hyperparameter's range: log-scaled numbers, integers, or a set of choices. */
export type ParamSpace =
  | { kind: 'float'; min: number; max: number; log: boolean }
  | { kind: 'int'; min: number; max: number; log: boolean }
  | { kind: 'choice'; values: readonly unknown[] };

export interface TemplateSpace {
  taskTypes: readonly TaskType[];
  /** What the template costs relative to the others, to order a portfolio under a tight budget. */
  relativeCost: number;
  params: Record<string, ParamSpace>;
}

const CLASSIFICATION: readonly TaskType[] = ['binary', 'multiclass'];
const TABULAR: readonly TaskType[] = ['binary', 'multiclass', 'regression'];

/** The runner's tabular templates (runner/haste_runner) and the ranges the offline engineer searches. */
export const TEMPLATE_SPACES: Record<string, TemplateSpace> = {
  hist_gradient_boosting: {
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
    taskTypes: TABULAR,
    relativeCost: 3,
    params: {
      max_features: { kind: 'choice', values: ['sqrt', 'log2', 0.5, 1.0] },
      min_samples_leaf: { kind: 'int', min: 1, max: 20, log: true },
      epochs: { kind: 'int', min: 4, max: 12, log: false },
    },
  },
  extra_trees: {
    taskTypes: TABULAR,
    relativeCost: 2,
    params: {
      max_features: { kind: 'choice', values: ['sqrt', 'log2', 0.5, 1.0] },
      min_samples_leaf: { kind: 'int', min: 1, max: 20, log: true },
      epochs: { kind: 'int', min: 4, max: 12, log: false },
    },
  },
  logistic_regression: {
    taskTypes: CLASSIFICATION,
    relativeCost: 1,
    params: { C: { kind: 'float', min: 1e-3, max: 100, log: true } },
  },
  ridge: {
    taskTypes: ['regression'],
    relativeCost: 1,
    params: { alpha: { kind: 'float', min: 1e-3, max: 100, log: true } },
  },
  mlp: {
    taskTypes: TABULAR,
    relativeCost: 3,
    params: {
      hidden: { kind: 'choice', values: [[64], [128], [128, 64], [256, 128]] },
      alpha: { kind: 'float', min: 1e-6, max: 1e-1, log: true },
      learning_rate_init: { kind: 'float', min: 1e-4, max: 3e-2, log: true },
    },
  },
  knn: {
    taskTypes: TABULAR,
    relativeCost: 1,
    params: {
      n_neighbors: { kind: 'int', min: 3, max: 75, log: true },
      weights: { kind: 'choice', values: ['uniform', 'distance'] },
    },
  },
};

/** The neutral prior's portfolio order: strong, cheap defaults first, then diversity. */
const DEFAULT_ORDER = ['hist_gradient_boosting', 'logistic_regression', 'ridge', 'random_forest', 'extra_trees', 'knn', 'mlp'];

export function defaultPortfolio(taskType: TaskType): Candidate[] {
  return DEFAULT_ORDER.filter((t) => TEMPLATE_SPACES[t]?.taskTypes.includes(taskType)).map((template) => ({ template, params: {} }));
}

/** A stable key for a candidate, so the engineer never trains the same thing twice. */
export function candidateKey(c: Candidate): string {
  const sorted = Object.keys(c.params)
    .sort()
    .map((k) => [k, c.params[k]]);
  return `${c.template}:${JSON.stringify(sorted)}`;
}
