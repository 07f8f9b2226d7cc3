import { describe, expect, it } from 'vitest';
import { proposeOffline } from '../../agents/offline/engineer.js';
import { planOffline } from '../../agents/offline/planner.js';
import { defaultPortfolio } from '../../agents/offline/search-space.js';
import { TEMPLATE_SPACES } from '../../schemas/templates.js';
import { candidateKey } from '../../schemas/training.js';
import type { ProposeContext } from '../../agents/types.js';
import type { StepView } from '../../schemas/episode.js';
import type { CompetitionSpec } from '../../schemas/competition.js';
import { PriorSchema } from '../../schemas/prior.js';
import type { Profile } from '../../schemas/profile.js';
import { toyCompetition } from '../helpers/competition.js';

const competition = toyCompetition();

async function context(history: StepView[], seed = 7): Promise<ProposeContext> {
  const plan = await planOffline({ competition, seed, skills: [] });
  return { competition, plan, history, seed, step: history.length, remainingComputeSeconds: 50, initialCandidates: [] };
}

/** Plays an episode where the score is a fixed function of the candidate. */
async function play(steps: number, seed: number): Promise<StepView[]> {
  const history: StepView[] = [];
  for (let i = 0; i < steps; i++) {
    const proposal = await proposeOffline(await context(history, seed));
    if (!proposal) break;
    const score = proposal.candidate.template === 'hist_gradient_boosting' ? 0.9 - Math.abs(Math.log(Number(proposal.candidate.params.learning_rate ?? 0.1) / 0.05)) * 0.01 : 0.8;
    history.push({ step: i, candidate: proposal.candidate, status: 'ok', cvScore: score, computeSeconds: 1 });
  }
  return history;
}

describe('offline engineer', () => {
  it('tries the portfolio first, in the planned order, for the task type', async () => {
    const history = await play(5, 1);
    expect(history.map((h) => h.candidate.template)).toEqual(['hist_gradient_boosting', 'logistic_regression', 'random_forest', 'extra_trees', 'knn']);
    expect(history.some((h) => h.candidate.template === 'ridge')).toBe(false);
  });

  it('puts requested candidates before its own', async () => {
    const ctx = await context([]);
    const requested = { template: 'knn', params: { n_neighbors: 9 } };
    const proposal = await proposeOffline({ ...ctx, initialCandidates: [requested] });
    expect(proposal?.candidate).toEqual(requested);
    // Also before the stages of an episode that profiled its data; the stages follow once it has run.
    const profile: Profile = {
      version: 1,
      taskType: 'binary',
      metric: 'roc_auc',
      rows: 1000,
      testRows: 300,
      columns: [],
      counts: { numeric: 10, categorical: 0, text: 0, symbols: 0, datetime: 0 },
      maxCardinality: 0,
      missingShare: 0,
      target: { classes: 2, minorityShare: 0.3 },
    };
    const staged = await proposeOffline({ ...ctx, profile, initialCandidates: [requested] });
    expect(staged?.candidate).toEqual(requested);
    const next = await proposeOffline({
      ...ctx,
      profile,
      initialCandidates: [requested],
      history: [{ step: 0, candidate: requested, status: 'ok', cvScore: 0.9, computeSeconds: 1 }],
      step: 1,
    });
    expect(next).toMatchObject({ stage: 'screening', candidate: { template: 'pipeline' } });
  });

  it('then searches locally around the incumbent: new candidates, inside their ranges, reproducible from the seed', async () => {
    const a = await play(20, 3);
    const b = await play(20, 3);
    const c = await play(20, 4);
    expect(a.map((h) => candidateKey(h.candidate))).toEqual(b.map((h) => candidateKey(h.candidate)));
    expect(a.map((h) => candidateKey(h.candidate))).not.toEqual(c.map((h) => candidateKey(h.candidate)));
    expect(new Set(a.map((h) => candidateKey(h.candidate))).size).toBe(a.length);
    const local = a.slice(6);
    expect(local.length).toBeGreaterThan(10);
    expect(local.filter((h) => h.candidate.template === 'hist_gradient_boosting').length).toBeGreaterThan(local.length / 2);
    for (const h of local) {
      const space = TEMPLATE_SPACES[h.candidate.template]!;
      for (const [name, value] of Object.entries(h.candidate.params)) {
        const range = space.params[name]!;
        if (range.kind !== 'choice') {
          expect(value as number).toBeGreaterThanOrEqual(range.min);
          expect(value as number).toBeLessThanOrEqual(range.max);
        } else expect(range.values).toContainEqual(value);
      }
    }
  });

  it('gives up (null) when the portfolio is spent and nothing succeeded', async () => {
    const plan = await planOffline({ competition, seed: 0, skills: [] });
    const history = plan.portfolio.map((candidate, step): StepView => ({ step, candidate, status: 'failed', error: 'boom', computeSeconds: 1 }));
    expect(await proposeOffline(await context(history))).toBeNull();
  });
});

describe('offline planner priors and domains', () => {
  const spec = (domain: string, taskType: CompetitionSpec['taskType']): CompetitionSpec => ({
    ...competition,
    domain,
    taskType,
    metric: taskType === 'forecasting' ? 'mae' : competition.metric,
  });

  it('gives every built-in domain its own neutral portfolio, only with templates that fit', async () => {
    const text = await planOffline({ competition: spec('text', 'multiclass'), seed: 1, skills: [] });
    expect(text.portfolio.map((c) => c.template)).toEqual(['tfidf_logistic', 'tfidf_logistic', 'tfidf_nb', 'tfidf_sgd']);
    const series = await planOffline({ competition: spec('time-series', 'forecasting'), seed: 1, skills: [] });
    expect(series.portfolio[0]?.template).toBe('combo'); // not the naive baseline: stopping on it could never beat it
    expect(series.portfolio.every((c) => TEMPLATE_SPACES[c.template]!.taskTypes.includes('forecasting'))).toBe(true);
    const vision = await planOffline({ competition: spec('vision', 'multiclass'), seed: 1, skills: [] });
    expect(vision.portfolio.map((c) => c.template)).not.toContain('cnn'); // torch is optional: only a prior asks for it
    expect(vision.prior?.source).toBe('neutral');
  });

  it('keeps the tabular neutral order earlier runs had; templates added since (xgboost) come last', () => {
    const earlier = ['hist_gradient_boosting', 'logistic_regression', 'random_forest', 'extra_trees', 'knn', 'lightgbm', 'mlp'];
    expect(defaultPortfolio('binary').map((c) => c.template)).toEqual([...earlier, 'xgboost']);
    expect(defaultPortfolio('regression').map((c) => c.template)).toEqual([earlier[0], 'ridge', ...earlier.slice(2), 'xgboost']);
  });

  it('follows a prior: its candidate order first, and local search inside its ranges', async () => {
    const prior = PriorSchema.parse({
      source: 'skills:test',
      candidates: [{ template: 'knn', params: { n_neighbors: 5 } }, { template: 'tfidf_nb' }, { template: 'hist_gradient_boosting' }],
      ranges: { hist_gradient_boosting: { learning_rate: { kind: 'float', min: 0.04, max: 0.06, log: true } } },
    });
    const plan = await planOffline({ competition, seed: 1, skills: [], prior });
    expect(plan.portfolio.map((c) => c.template)).toEqual(['knn', 'hist_gradient_boosting']); // tfidf_nb cannot do tabular
    const history: StepView[] = plan.portfolio.map((candidate, step) => ({ step, candidate, status: 'ok', cvScore: candidate.template === 'knn' ? 0.7 : 0.9, computeSeconds: 1 }));
    for (let step = history.length; step < 12; step++) {
      const proposal = await proposeOffline({ competition, plan, history, seed: 2, step, remainingComputeSeconds: 50, initialCandidates: [] });
      if (!proposal) break;
      if (proposal.candidate.template === 'hist_gradient_boosting' && proposal.candidate.params.learning_rate !== undefined) {
        expect(Number(proposal.candidate.params.learning_rate)).toBeGreaterThanOrEqual(0.04);
        expect(Number(proposal.candidate.params.learning_rate)).toBeLessThanOrEqual(0.06);
      }
      history.push({ step, candidate: proposal.candidate, status: 'ok', cvScore: 0.8, computeSeconds: 1 });
    }
    expect(history.length).toBeGreaterThan(4);
  });
});
