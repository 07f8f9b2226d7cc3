import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CompetitionSpec } from '../../schemas/competition.js';
import { embedderFromConfig } from '../../skill-store/open.js';
import { competitionQuery, conditionMatch, retrieveTieredSkills } from '../../skill-store/retrieval.js';
import { createSkill, type SkillRecord } from '../../schemas/skill.js';
import { SqliteSkillStore } from '../../skill-store/sqlite.js';
import { labelledSkills } from '../helpers/skills.js';

/** Plausible skills of other domains and competitions: what a retriever must not be fooled by. */
const DISTRACTORS = [
  ['text', 'Fine-tune a small transformer for sentiment', 'Start from a pretrained encoder; 3 epochs at lr 2e-5 suffice for review sentiment.'],
  ['text', 'TF-IDF with logistic regression baseline', 'Word and character n-gram TF-IDF with a linear model is a strong text classification baseline.'],
  ['time-series', 'Lag features and rolling means', 'Add lags at the seasonal period and rolling means of the target for gradient boosting forecasts.'],
  ['time-series', 'Validate forecasts with expanding windows', 'Never shuffle time: use expanding-window splits so validation always follows training.'],
  ['vision', 'Resize images to the pretrained resolution', 'Pretrained CNNs expect 224 pixel inputs; resizing keeps their features meaningful.'],
  ['audio', 'Log-mel spectrograms for audio classification', 'Convert waveforms to log-mel spectrograms and treat them as images.'],
].map(([domain, title, body]) =>
  createSkill({ tier: 'domain', scope: { domain: domain! }, kind: 'technique', title: title!, body: body!, status: 'active' }, new Date('2026-01-01T00:00:00Z')),
);

const spec = (over: Partial<CompetitionSpec> & Pick<CompetitionSpec, 'id' | 'title' | 'domain' | 'taskType' | 'traits'>): CompetitionSpec => ({
  dir: '/nowhere',
  metric: 'accuracy',
  direction: 'maximize',
  budget: { computeSeconds: 60, maxSteps: 5 },
  ...over,
});

const COMPETITIONS = {
  breastCancer: spec({
    id: 'breast-cancer',
    title: 'Breast cancer diagnosis',
    domain: 'tabular',
    taskType: 'binary',
    metric: 'roc_auc',
    traits: { rows: 455, features: 30, numericFeatures: 30, categoricalFeatures: 0, minorityClassShare: 0.37 },
  }),
  titanic: spec({
    id: 'titanic',
    title: 'Titanic passenger survival',
    domain: 'tabular',
    taskType: 'binary',
    traits: { rows: 1047, features: 8, numericFeatures: 5, categoricalFeatures: 3, minorityClassShare: 0.38 },
  }),
  houses: spec({
    id: 'house-prices',
    title: 'House sale prices',
    domain: 'tabular',
    taskType: 'regression',
    metric: 'rmsle',
    direction: 'minimize',
    traits: { rows: 1460, features: 79, numericFeatures: 36, categoricalFeatures: 43, targetSkew: 1.9 },
  }),
  pets: spec({
    id: 'pets',
    title: 'Cat or dog pictures',
    domain: 'vision',
    taskType: 'binary',
    traits: { rows: 5000, features: 1024, numericFeatures: 1024, categoricalFeatures: 0 },
  }),
};

describe('retrieval quality on a labelled library', () => {
  let store: SqliteSkillStore;
  const skills = labelledSkills();
  const id = (prefix: string) => [...skills, ...DISTRACTORS].find((s) => s.title.startsWith(prefix))!.id;

  beforeAll(async () => {
    store = SqliteSkillStore.open({ file: path.join(mkdtempSync(path.join(os.tmpdir(), 'haste-quality-')), 'skills.sqlite'), embedder: embedderFromConfig({ kind: 'minilm' }) });
    await store.upsert([...skills, ...DISTRACTORS]);
  });
  afterAll(async () => store?.close());

  it('each tier gets its own skills for the competition, and nothing from other domains or competitions', async () => {
    const expected: [keyof typeof COMPETITIONS, { global: string[]; domain: string[]; task: string[] }][] = [
      ['breastCancer', { global: ['Early stopping', 'Never tune'], domain: ['Gradient boosting'], task: ['breast-cancer: logistic'] }],
      ['titanic', { global: ['Early stopping', 'Never tune'], domain: ['Gradient boosting'], task: ['titanic:'] }],
      ['houses', { global: ['Early stopping', 'Never tune'], domain: ['Ridge'], task: [] }],
      ['pets', { global: ['Early stopping', 'Never tune'], domain: ['Augment', 'Resize images'], task: [] }],
    ];
    let relevant = 0;
    let found = 0;
    for (const [name, want] of expected) {
      const got = await retrieveTieredSkills(store, COMPETITIONS[name], { quotas: { global: 2, domain: 2, task: 2 } });
      for (const tier of ['global', 'domain', 'task'] as const) {
        const ids = got[tier].map((s) => s.id);
        for (const prefix of want[tier]) {
          relevant++;
          if (ids.includes(id(prefix))) found++;
        }
        expect(
          got[tier].every((s) => s.tier === tier),
          `${name}/${tier}`,
        ).toBe(true);
      }
      const all = [...got.domain, ...got.task];
      expect(
        all.every((s) => [...skills, ...DISTRACTORS].find((k) => k.id === s.id)!.scope.domain === COMPETITIONS[name].domain),
        name,
      ).toBe(true);
      expect(
        got.task.every((s) => s.title.startsWith(COMPETITIONS[name].id)),
        name,
      ).toBe(true);
    }
    // Recall@2 per tier over the labelled pairs: all of them are found (asserted ≥ 0.9 for margin).
    expect(found / relevant).toBeGreaterThanOrEqual(0.9);
  });

  it('paraphrased questions find the right skill in the top 3 (hybrid), recall ≥ 0.8', async () => {
    const all: SkillRecord[] = [...skills, ...DISTRACTORS];
    const byTitle = (p: string) => all.find((s) => s.title.startsWith(p))!.id;
    const questions: [string, string][] = [
      ['halt fitting when the held-out score stops getting better', 'Early stopping'],
      ['do not pick settings by probing the leaderboard', 'Never tune'],
      ['mirror and crop pictures to regularise a convnet', 'Augment'],
      ['predict the logarithm of a long-tailed price', 'Ridge'],
      ['boosted decision trees for a numeric yes/no table', 'Gradient boosting'],
      ['features from previous time steps for forecasting', 'Lag features'],
      ['bag of words linear classifier for documents', 'TF-IDF'],
      ['do not shuffle dates when validating', 'Validate forecasts'],
      ['spectrogram features for sound clips', 'Log-mel'],
      ['which columns matter most for who survived the shipwreck', 'titanic:'],
    ];
    let hits = 0;
    for (const [question, answer] of questions) {
      const top = (await store.search({ text: question, limit: 3 })).map((h) => h.skill.id);
      if (top.includes(byTitle(answer))) hits++;
    }
    expect(hits / questions.length).toBeGreaterThanOrEqual(0.8);
  });

  it('conditions: the wrong task type excludes, out-of-range traits demote, and the query states the traits', () => {
    const ridge = skills.find((s) => s.title.startsWith('Ridge'))!;
    const gbm = skills.find((s) => s.title.startsWith('Gradient boosting'))!;
    expect(conditionMatch(ridge.conditions, COMPETITIONS.breastCancer)).toBe(0);
    expect(conditionMatch(ridge.conditions, COMPETITIONS.houses)).toBe(1);
    expect(conditionMatch(gbm.conditions, COMPETITIONS.breastCancer)).toBe(1);
    const mostlyCategorical = { ...COMPETITIONS.titanic, traits: { ...COMPETITIONS.titanic.traits, numericFeatures: 1, categoricalFeatures: 7 } };
    expect(conditionMatch(gbm.conditions, mostlyCategorical)).toBeLessThan(0.5);
    expect(competitionQuery(COMPETITIONS.houses)).toMatch(/regression tabular .*1460 rows.*skewed target/);
  });
});
