import type { Candidate } from '../../schemas/training.js';
import type { RetrievedSkill } from '../../skill-store/retriever.js';
import type { SkillRecipe } from '../../skill-store/schema.js';
import type { Agent, Plan, PlanContext, Proposal, ProposeContext } from '../types.js';
import { familyOf } from './families.js';
import { candidateKey, TEMPLATE_SPACES } from './search-space.js';

/** A recipe's starting point: fixed values as they are, the middle of a range, the first of a set of choices. */
export function candidateFromRecipe(recipe: SkillRecipe): Candidate | null {
  if (!recipe.template) return null;
  const params: Record<string, unknown> = {};
  for (const [name, prior] of Object.entries(recipe.params)) {
    if (typeof prior !== 'object' || prior === null) params[name] = prior;
    else if ('choices' in prior) params[name] = prior.choices[0];
    else {
      const mid = prior.log && prior.min > 0 ? Math.sqrt(prior.min * prior.max) : (prior.min + prior.max) / 2;
      params[name] = Number.isInteger(prior.min) && Number.isInteger(prior.max) ? Math.round(mid) : Number(mid.toPrecision(3));
    }
  }
  return { template: recipe.template, params };
}

/** Keeps a proposal's numbers inside the ranges the skills for its template learned. */
function clipToSkillRanges(candidate: Candidate, skills: RetrievedSkill[]): Candidate {
  const params = { ...candidate.params };
  for (const skill of skills) {
    if (skill.recipe.template !== candidate.template) continue;
    for (const [name, prior] of Object.entries(skill.recipe.params)) {
      const value = params[name];
      if (typeof value === 'number' && typeof prior === 'object' && prior !== null && 'min' in prior) {
        const clipped = Math.min(prior.max, Math.max(prior.min, value));
        params[name] = Number.isInteger(value) ? Math.round(clipped) : Number(clipped.toPrecision(3));
      }
    }
  }
  return { template: candidate.template, params };
}

/**
 * The offline agent with skills as its prior: task and domain recipes go first in the portfolio (best
 * scored first), a global family preference reorders the rest, and local search stays inside the
 * ranges the skills learned. Each proposal names the skills that shaped it, for credit assignment.
 * With no skills it is exactly the base agent (the neutral prior).
 */
export function skillGuided(base: Agent): Agent {
  return {
    async plan(ctx: PlanContext): Promise<Plan> {
      const plan = await base.plan(ctx);
      const tiered = ctx.tiered;
      if (!tiered) return plan;
      const shapedBy: Record<string, string[]> = {};
      const fits = (c: Candidate) => TEMPLATE_SPACES[c.template]?.taskTypes.includes(ctx.competition.taskType) ?? false;
      const fromSkills: Candidate[] = [];
      for (const skill of [...tiered.task, ...tiered.domain]) {
        const candidate = candidateFromRecipe(skill.recipe);
        if (!candidate || !fits(candidate)) continue;
        const key = candidateKey(candidate);
        if (!shapedBy[key]) fromSkills.push(candidate);
        (shapedBy[key] ??= []).push(skill.id);
      }
      const preferred = tiered.global.flatMap((s) => (typeof s.recipe.params.family === 'string' ? [{ family: s.recipe.params.family, id: s.id }] : []));
      const rest = plan.portfolio.filter((c) => !shapedBy[candidateKey(c)]);
      const rank = (c: Candidate) => {
        const i = preferred.findIndex((p) => p.family === familyOf(c.template));
        return i === -1 ? preferred.length : i;
      };
      const reordered = [...rest].sort((a, b) => rank(a) - rank(b));
      for (const c of reordered) {
        const global = preferred.find((p) => p.family === familyOf(c.template));
        if (global && reordered.indexOf(c) < rest.indexOf(c)) (shapedBy[candidateKey(c)] ??= []).push(global.id);
      }
      const portfolio = [...fromSkills, ...reordered];
      const used = new Set(Object.values(shapedBy).flat());
      return {
        portfolio,
        notes: used.size ? `${plan.notes}; skill prior from ${used.size} skill(s): ${fromSkills.map((c) => c.template).join(', ') || 'family order only'} first` : plan.notes,
        shapedBy,
      };
    },

    async propose(ctx: ProposeContext): Promise<Proposal | null> {
      const proposal = await base.propose(ctx);
      if (!proposal) return null;
      const shapedBy = ctx.plan.shapedBy ?? {};
      const skills = [...(ctx.skills?.task ?? []), ...(ctx.skills?.domain ?? [])];
      let candidate = proposal.candidate;
      const tried = new Set(ctx.history.map((s) => candidateKey(s.candidate)));
      const clipped = clipToSkillRanges(candidate, skills);
      if (!tried.has(candidateKey(clipped))) candidate = clipped;
      // A step is shaped by the skills that put its candidate in the portfolio, or, in local search,
      // by the skills that own its template (the search stays inside their ranges).
      const direct = shapedBy[candidateKey(candidate)] ?? [];
      const byTemplate = skills.filter((s) => s.recipe.template === candidate.template).map((s) => s.id);
      const skillIds = [...new Set([...direct, ...byTemplate])];
      return { ...proposal, candidate, skillIds };
    },
  };
}
