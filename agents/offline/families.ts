/**
 * Model families, so that a lesson learned with one domain's templates (say gradient boosting on
 * tables) can carry to another domain's (gradient boosting on lag features): global skills speak
 * in families, domain and task skills in templates.
 */
export const FAMILIES = ['boosting', 'forest', 'linear', 'neural', 'neighbours', 'bayes', 'statistical', 'other'] as const;
export type Family = (typeof FAMILIES)[number];

const PATTERNS: [RegExp, Family][] = [
  [/gradient_boosting|lightgbm|xgboost|gbm|boost/, 'boosting'],
  [/forest|extra_trees/, 'forest'],
  [/logistic|ridge|linear|sgd|svm|lasso/, 'linear'],
  [/mlp|cnn|neural|net/, 'neural'],
  [/knn|neighbo/, 'neighbours'],
  [/bayes|_nb\b|^nb_/, 'bayes'],
  [/naive|seasonal|ets|arima|theta|drift|combo/, 'statistical'],
];

export function familyOf(template: string): Family {
  return PATTERNS.find(([re]) => re.test(template))?.[1] ?? 'other';
}
