import { describe, expect, it } from 'vitest';
import { offlineAgent } from '../../agents/index.js';
import { planOffline } from '../../agents/offline/planner.js';
import type { StepView } from '../../schemas/episode.js';
import type { CompetitionSpec } from '../../schemas/competition.js';
import type { RetrievedSkill, TieredSkills } from '../../schemas/skill.js';

const competition: CompetitionSpec = {
  id: 'held-out',
  title: 'held-out',
  domain: 'tabular',
  taskType: 'binary',
  dir: '/nowhere',
  metric: 'accuracy',
  direction: 'maximize',
  budget: { computeSeconds: 100, maxSteps: 20 },
  traits: { rows: 1000, features: 10, numericFeatures: 10, categoricalFeatures: 0 },
};
const skill = (id: string, tier: RetrievedSkill['tier'], recipe: RetrievedSkill['recipe']): RetrievedSkill => ({ id, tier, kind: 'recipe', title: id, body: id, recipe, score: 1 });
const none: TieredSkills = { global: [], domain: [], task: [] };

describe('skills as the offline prior', () => {
  it('with no skills, plans exactly like the neutral policy', async () => {
    const ctx = { competition, seed: 0, skills: [] };
    expect(await offlineAgent.plan({ ...ctx, tiered: none })).toEqual(await planOffline(ctx));
  });

  it('puts domain recipes first, searches inside their ranges, and names the skills that shaped each step', async () => {
    const forest = skill('forest-skill', 'domain', { template: 'random_forest', preprocessing: [], params: { min_samples_leaf: { min: 2, max: 8, log: true } } });
    const boosting = skill('boosting-first', 'global', { preprocessing: [], params: { family: 'boosting' } });
    const tiered: TieredSkills = { global: [boosting], domain: [forest], task: [] };
    const plan = await offlineAgent.plan({ competition, seed: 0, skills: [], tiered });
    expect(plan.portfolio[0]).toEqual({ template: 'random_forest', params: { min_samples_leaf: 4 } });
    expect(plan.portfolio.findIndex((c) => c.template === 'logistic_regression')).toBeGreaterThan(plan.portfolio.findIndex((c) => c.template === 'hist_gradient_boosting'));
    expect(plan.prior?.ranges.random_forest?.min_samples_leaf).toEqual({ kind: 'int', min: 2, max: 8, log: true });

    const history: StepView[] = [];
    for (let step = 0; step < 14; step++) {
      const p = await offlineAgent.propose({
        competition,
        plan,
        history,
        seed: 1,
        step,
        remainingComputeSeconds: 50,
        initialCandidates: [],
        skills: { domain: [forest], task: [] },
      });
      if (!p) break;
      if (p.candidate.template === 'random_forest') {
        expect(p.skillIds).toContain('forest-skill');
        const leaf = p.candidate.params.min_samples_leaf as number | undefined;
        if (leaf !== undefined) {
          expect(leaf).toBeGreaterThanOrEqual(2);
          expect(leaf).toBeLessThanOrEqual(8);
        }
      }
      if (p.candidate.template === 'logistic_regression') expect(p.skillIds).toEqual([]);
      // The forest does best, so local search stays around it.
      history.push({ step, candidate: p.candidate, status: 'ok', cvScore: p.candidate.template === 'random_forest' ? 0.9 : 0.8, computeSeconds: 1 });
    }
    expect(history.filter((h) => h.candidate.template === 'random_forest').length).toBeGreaterThan(4);
  });
});
