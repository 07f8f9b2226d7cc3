import type { CompetitionSpec } from '../../schemas/competition.js';

/** A loaded competition for agent and planner unit tests (nothing on disk): binary, tabular, 1,000 rows. */
export function toyCompetition(overrides: Partial<CompetitionSpec> = {}): CompetitionSpec {
  return {
    id: 'toy',
    title: 'toy',
    domain: 'tabular',
    taskType: 'binary',
    dir: '/nowhere',
    metric: 'roc_auc',
    direction: 'maximize',
    budget: { computeSeconds: 100, maxSteps: 20 },
    traits: { rows: 1000, features: 10, numericFeatures: 10, categoricalFeatures: 0 },
    ...overrides,
  };
}
