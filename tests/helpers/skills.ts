import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import { embedderFromConfig } from '../../skill-store/open.js';
import { createSkill, type SkillDraft, type SkillRecord } from '../../schemas/skill.js';
import { SqliteSkillStore } from '../../skill-store/sqlite.js';
import type { SkillStore } from '../../skill-store/store.js';

/** A small labelled library: each skill's tier and scope are what the retrieval tests check against. */
export const SKILL_DRAFTS: SkillDraft[] = [
  {
    tier: 'global',
    kind: 'technique',
    title: 'Early stopping on a validation fold',
    body: 'Stop training once the validation score has not improved for a few rounds: saves about 40% of compute at no loss in score.',
    status: 'active',
  },
  {
    tier: 'global',
    kind: 'pitfall',
    title: 'Never tune on the test set',
    body: 'Choose hyperparameters with cross-validation on the training data only; leaderboard probing overfits.',
    status: 'active',
  },
  {
    tier: 'domain',
    scope: { domain: 'tabular' },
    kind: 'hyperparameter-prior',
    title: 'Gradient boosting for mostly numeric binary tabular data',
    body: 'Histogram gradient boosting with learning rate 0.05, 31 leaves and 5-fold stratified CV is a strong first model.',
    recipe: { template: 'hist_gradient_boosting', params: { learning_rate: 0.05, max_leaf_nodes: 31 } },
    conditions: { taskTypes: ['binary', 'multiclass'], numericShare: { min: 0.6 } },
    status: 'active',
  },
  {
    tier: 'domain',
    scope: { domain: 'tabular' },
    kind: 'technique',
    title: 'Ridge regression with log target for skewed regression targets',
    body: 'For right-skewed regression targets, fit on log1p(target) and invert predictions; ridge alpha around 1.',
    recipe: { template: 'ridge', preprocessing: ['log1p-target'], params: { alpha: { min: 0.1, max: 10, log: true } } },
    conditions: { taskTypes: ['regression'], targetSkew: { min: 1 } },
    status: 'active',
  },
  {
    tier: 'domain',
    scope: { domain: 'vision' },
    kind: 'technique',
    title: 'Augment images with flips and crops',
    body: 'Random horizontal flips and random resized crops regularise small convolutional networks on pixel data.',
    status: 'active',
  },
  {
    tier: 'task',
    scope: { domain: 'tabular', competition: 'breast-cancer' },
    kind: 'recipe',
    title: 'breast-cancer: logistic regression on standardised features',
    body: 'On breast-cancer, logistic regression with C near 1 on standardised features reaches 0.99 ROC AUC in seconds.',
    recipe: { template: 'logistic_regression', params: { C: 1 } },
    evidence: [{ competition: 'breast-cancer', runId: 'r1', metric: 'roc_auc', score: 0.993, deltaVsBaseline: 0.49, computeSeconds: 2 }],
    status: 'active',
  },
  {
    tier: 'task',
    scope: { domain: 'tabular', competition: 'titanic' },
    kind: 'technique',
    title: 'titanic: passenger class and sex dominate survival',
    body: 'On titanic, one-hot encode sex and class; gradient boosting with shallow trees reaches 0.82 accuracy.',
    recipe: { template: 'hist_gradient_boosting', params: { max_leaf_nodes: 15 } },
    status: 'active',
  },
  {
    tier: 'task',
    scope: { domain: 'tabular', competition: 'breast-cancer' },
    kind: 'pitfall',
    title: 'breast-cancer: k nearest neighbours without scaling underperforms',
    body: 'Unscaled distances are dominated by the area features; knn scored 0.91 AUC.',
    status: 'candidate',
  },
];

export function labelledSkills(now = new Date('2026-01-01T00:00:00Z')): SkillRecord[] {
  return SKILL_DRAFTS.map((d) => createSkill(d, now));
}

/**
 * Throwaway embedded skill stores (hashing embedder: no model to load), each in its own temp folder;
 * registers an afterEach that closes them. Call at a test file's top level.
 */
export function tempSkillStores(prefix: string): () => SkillStore {
  const stores: SkillStore[] = [];
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
  });
  return () => {
    const store = SqliteSkillStore.open({
      file: path.join(mkdtempSync(path.join(os.tmpdir(), `haste-${prefix}-`)), 'skills.sqlite'),
      embedder: embedderFromConfig({ kind: 'hashing' }),
    });
    stores.push(store);
    return store;
  };
}
