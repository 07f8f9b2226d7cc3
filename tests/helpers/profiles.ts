import type { Profile } from '../../schemas/profile.js';

/** A house-prices-like regression profile; `over` changes the traits skill conditions test. */
export function regressionProfile(over: { metric?: string; skew?: number; min?: number; maxCardinality?: number } = {}): Profile {
  return {
    version: 1,
    taskType: 'regression',
    metric: over.metric ?? 'rmsle',
    rows: 1460,
    testRows: 1459,
    columns: [
      { name: 'area', kind: 'numeric', missingShare: 0, cardinality: 900 },
      { name: 'zone', kind: 'categorical', missingShare: 0.1, cardinality: over.maxCardinality ?? 5 },
    ],
    counts: { numeric: 1, categorical: 1, text: 0, symbols: 0, datetime: 0 },
    maxCardinality: over.maxCardinality ?? 5,
    missingShare: 0.05,
    target: { min: over.min ?? 34900, max: 755000, skew: over.skew ?? 1.88 },
  };
}
