import type { TaskType } from '../../schemas/competition.js';
import type { ParamSpace, Prior } from '../../schemas/prior.js';
import { TEMPLATE_SPACES, type TemplateSpace } from '../../schemas/templates.js';
import type { Candidate } from '../../schemas/training.js';

export type { ParamSpace } from '../../schemas/prior.js';

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
