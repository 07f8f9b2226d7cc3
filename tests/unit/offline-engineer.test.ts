import { describe, expect, it } from 'vitest';
import { proposeOffline } from '../../agents/offline/engineer.js';
import { planOffline } from '../../agents/offline/planner.js';
import { candidateKey, TEMPLATE_SPACES } from '../../agents/offline/search-space.js';
import type { ProposeContext, StepView } from '../../agents/types.js';
import type { CompetitionSpec } from '../../schemas/competition.js';

const competition: CompetitionSpec = {
  id: 'toy',
  title: 'toy',
  domain: 'tabular',
  taskType: 'binary',
  dir: '/nowhere',
  metric: 'roc_auc',
  direction: 'maximize',
  budget: { computeSeconds: 100, maxSteps: 20 },
  traits: { rows: 1000, features: 10, numericFeatures: 10, categoricalFeatures: 0 },
};

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
