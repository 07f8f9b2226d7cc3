import type { FeatureStep, ModelSpec } from '../../schemas/pipeline.js';
import type { Profile } from '../../schemas/profile.js';

/** A target encoding pays off once a categorical has more levels than a one-hot should get. */
export const HIGH_CARDINALITY = 20;
/** Right skew above which a positive target is worth learning as log1p under RMSLE. */
const SKEWED = 0.5;

/** Screening runs boosters this many rounds at most (early stopping may stop them sooner); refinement grows it. */
const SCREEN_BOOSTER = { epochs: 8, iters_per_epoch: 25, learning_rate: 0.1 } as const;
const SCREEN_FOREST = { epochs: 4, trees_per_epoch: 25 } as const;
/** Pixels are many, correlated columns: each tree sees 30 % of them, with fewer leaves (photo-patches: 23 CPU s, 0.824). */
const WIDE_BOOSTER = { epochs: 4, num_leaves: 15, colsample: 0.3, learning_rate: 0.15 } as const;
const EARLY_STOPPING = { validation_fraction: 0.15, patience: 2 } as const;

/** `log1p` when the metric scores log errors and the target is non-negative and skewed. */
export function targetFor(p: Profile): ModelSpec['target'] {
  const t = p.target;
  if ((p.metric === 'rmsle' || p.metric === 'msle') && t.min !== undefined && t.min >= 0 && (t.skew ?? 0) > SKEWED) return 'log1p';
  return 'none';
}

/** Feature steps a tree model needs for the profile's columns (no scaling; categories as codes and rates). */
function treeFeatures(p: Profile): FeatureStep[] {
  const c = p.counts;
  const steps: FeatureStep[] = [];
  if (c.numeric > 0 && p.missingShare > 0) steps.push({ kind: 'impute', strategy: 'median', indicators: true });
  if (c.categorical > 0) steps.push({ kind: 'ordinal' }, { kind: 'frequency' });
  if (p.maxCardinality > HIGH_CARDINALITY) steps.push({ kind: 'target_encoding', min_categories: HIGH_CARDINALITY, smoothing: 10, inner_folds: 5 });
  if (c.datetime > 0) steps.push({ kind: 'datetime', parts: ['year', 'month', 'day', 'dayofweek'] });
  if (c.text > 0) steps.push({ kind: 'text_stats' }, tfidf('word', [1, 2], 20000));
  if (c.symbols > 0) steps.push({ kind: 'positional' });
  return steps;
}

/** Feature steps a linear model needs: imputed, scaled, one-hot (and target-encoded when a category is wide). */
function linearFeatures(p: Profile): FeatureStep[] {
  const c = p.counts;
  const steps: FeatureStep[] = [{ kind: 'impute', strategy: 'median', indicators: p.missingShare > 0 }];
  if (c.categorical > 0) steps.push({ kind: 'one_hot', max_categories: HIGH_CARDINALITY });
  if (p.maxCardinality > HIGH_CARDINALITY) steps.push({ kind: 'target_encoding', min_categories: HIGH_CARDINALITY, smoothing: 10, inner_folds: 5 });
  if (c.datetime > 0) steps.push({ kind: 'datetime', parts: ['year', 'month', 'day', 'dayofweek'] });
  if (c.text > 0) steps.push(tfidf('word', [1, 2], 50000));
  if (c.symbols > 0) steps.push({ kind: 'positional' });
  steps.push({ kind: 'scale', method: 'standard' });
  return steps;
}

function tfidf(analyzer: 'word' | 'char' | 'char_wb', ngram_range: [number, number], max_features: number): FeatureStep {
  return { kind: 'tfidf', analyzer, ngram_range, min_df: 1, max_features, sublinear_tf: true };
}

function booster(features: FeatureStep[], target: ModelSpec['target'] = 'none'): ModelSpec {
  return { version: 1, target, features, model: { template: 'lightgbm', params: { ...SCREEN_BOOSTER }, early_stopping: { ...EARLY_STOPPING } } };
}

function linear(p: Profile, features: FeatureStep[], strength = 1): ModelSpec {
  const model = p.taskType === 'regression' ? { template: 'ridge' as const, params: { alpha: strength } } : { template: 'logistic_regression' as const, params: { C: strength } };
  return { version: 1, target: 'none', features, model };
}

/**
 * Stage 2's three very different prototypes for the profile, cheap (fewer rounds, fewer trees) but on
 * the episode's folds and seed, so every screened step can later join an ensemble. Which domain the
 * data is comes from the profile, not the competition's label: a table with a symbol column gets the
 * symbol prototypes' features too. Series get the naive baseline as a fourth, first.
 */
export function prototypes(p: Profile): ModelSpec[] {
  if (p.taskType === 'forecasting' && p.series) return forecastingPrototypes(p);
  const c = p.counts;
  if (p.image) {
    const pixels: FeatureStep[] = [{ kind: 'pixels', scale: 'auto' }];
    // Cheapest first, and the booster made cheap for hundreds of pixel columns (each round of a multiclass
    // booster grows a tree per class over every column: on 12x12 RGB patches, 4 x 25 rounds of
    // HistGradientBoosting took 125 of 240 slot seconds). Extra trees lead: cheap and strong on pixels,
    // so even a budget that buys one step has a fair model. A CNN needs PyTorch on the worker.
    return [
      { version: 1, target: 'none', features: pixels, model: { template: 'extra_trees', params: { ...SCREEN_FOREST } } },
      linear(p, pixels, 0.1),
      {
        version: 1,
        target: 'none',
        features: pixels,
        model: { template: 'lightgbm', params: { ...SCREEN_BOOSTER, ...WIDE_BOOSTER }, early_stopping: { ...EARLY_STOPPING } },
      },
    ];
  }
  const numericAlso: FeatureStep[] = c.numeric > 0 ? [{ kind: 'impute', strategy: 'median', indicators: false }] : [];
  if (c.text > 0 && c.numeric + c.categorical + c.datetime + c.symbols === 0) {
    return [linear(p, [tfidf('word', [1, 2], 50000)], 2), linear(p, [tfidf('char_wb', [2, 4], 50000)], 2), booster([{ kind: 'text_stats' }, tfidf('word', [1, 1], 5000)])];
  }
  if (c.symbols > 0 && c.text === 0 && c.categorical + c.datetime === 0) {
    return [
      {
        ...booster([...numericAlso, { kind: 'positional' }]),
        model: { template: 'lightgbm', params: { ...SCREEN_BOOSTER, colsample: 0.5 }, early_stopping: { ...EARLY_STOPPING } },
      },
      booster([...numericAlso, { kind: 'kmer', k: [1, 2, 3] }]),
      linear(p, [...numericAlso, { kind: 'positional' }], 1),
    ];
  }
  const target = targetFor(p);
  return [
    booster(treeFeatures(p), target),
    { ...linear(p, linearFeatures(p)), target },
    { version: 1, target, features: treeFeatures(p), model: { template: 'extra_trees', params: { ...SCREEN_FOREST, max_features: 0.5 } } },
  ];
}

/** Lags for a season: the last few points, one and two seasons back; never longer than a third of the shortest series. */
export function seasonalLags(season: number, minLength: number): number[] {
  const candidates = [1, 2, 3, season, season + 1, 2 * season];
  const limit = Math.max(1, Math.floor(minLength / 3));
  return [...new Set(candidates.filter((l) => l >= 1 && l <= limit))].sort((a, b) => a - b);
}

function forecastingPrototypes(p: Profile): ModelSpec[] {
  const s = p.series!;
  const season = s.season;
  const features: FeatureStep[] = [
    { kind: 'lags', lags: seasonalLags(season, s.minLength) },
    { kind: 'rolling', windows: [...new Set([Math.max(2, Math.min(season, 7)), Math.max(2, season)])], stats: ['mean', 'std'] },
    { kind: 'calendar', parts: s.frequency ? ['month', 'dayofweek', 'dayofyear'] : ['month'] },
    ...(s.count > 1 ? [{ kind: 'series_id' } as const] : []),
  ];
  return [
    // The last value repeated (the grader's naive baseline), first: it costs next to nothing, and the incumbent is
    // the best by CV, so no later step is kept unless its backtests beat it.
    { version: 1, target: 'none', features: [], model: { template: 'seasonal_naive', season_length: 1, max_fit_seconds: 30 } },
    { version: 1, target: 'none', features: [], model: { template: 'theta', season_length: season, max_fit_seconds: 30 } },
    {
      version: 1,
      target: 'none',
      features,
      model: {
        template: 'lightgbm',
        params: { ...SCREEN_BOOSTER, num_leaves: 15 },
        early_stopping: { validation_fraction: 0.1, patience: 2 },
        forecast: { strategy: 'direct', max_rows_per_series: 1500 },
      },
    },
    { version: 1, target: 'none', features: [], model: { template: 'ets', season_length: season, max_fit_seconds: 30 } },
  ];
}
