import type { ParamSpace, Prior } from '../../schemas/prior.js';
import { type Candidate, candidateKey } from '../../schemas/training.js';
import type { RetrievedSkill, TieredSkills, SkillRecipe } from '../../schemas/skill.js';
import type { Agent, Plan, PlanContext, Proposal, ProposeContext } from '../types.js';
import { familyOf } from './families.js';
import { neutralPrior, templateFits } from './search-space.js';

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

/** A recipe's learned ranges as search spaces (fixed values stay fixed: they are not ranges). */
function rangesFromRecipe(recipe: SkillRecipe): Record<string, ParamSpace> {
  const out: Record<string, ParamSpace> = {};
  for (const [name, prior] of Object.entries(recipe.params)) {
    if (typeof prior !== 'object' || prior === null) continue;
    if ('choices' in prior) out[name] = { kind: 'choice', values: prior.choices };
    else
      out[name] =
        Number.isInteger(prior.min) && Number.isInteger(prior.max)
          ? { kind: 'int', min: prior.min, max: prior.max, log: prior.log }
          : { kind: 'float', min: prior.min, max: prior.max, log: prior.log };
  }
  return out;
}

/**
 * Skills as the offline policy's prior: task then domain recipes first (best scored first), then the
 * rest of the neutral portfolio in the order of the domain's learned portfolio lesson, then by global
 * family preferences; and the recipes' ranges as search spaces. Also says which skills put each
 * candidate where it is.
 */
export function priorFromSkills(skills: TieredSkills, domain: string, taskType: Parameters<typeof neutralPrior>[1]): { prior: Prior; shapedBy: Record<string, string[]> } {
  const neutral = neutralPrior(domain, taskType);
  const shapedBy: Record<string, string[]> = {};
  const fromSkills: Candidate[] = [];
  const ranges: Prior['ranges'] = {};
  for (const skill of [...skills.task, ...skills.domain]) {
    const candidate = candidateFromRecipe(skill.recipe);
    if (!candidate || !templateFits(candidate.template, domain, taskType)) continue;
    const key = candidateKey(candidate);
    if (!shapedBy[key]) fromSkills.push(candidate);
    (shapedBy[key] ??= []).push(skill.id);
    ranges[candidate.template] = { ...rangesFromRecipe(skill.recipe), ...ranges[candidate.template] };
  }
  const lesson = skills.domain.find((s) => s.recipe.portfolio?.length);
  const order = (lesson?.recipe.portfolio ?? []).filter((c) => templateFits(c.template, domain, taskType));
  const orderRank = new Map(order.map((c, i) => [candidateKey(c), i]));
  const preferred = skills.global.flatMap((s) => (typeof s.recipe.params.family === 'string' ? [{ family: s.recipe.params.family, id: s.id }] : []));
  const familyRank = (c: Candidate) => {
    const i = preferred.findIndex((p) => p.family === familyOf(c.template));
    return i === -1 ? preferred.length : i;
  };
  const neutralKeys = new Set(neutral.candidates.map(candidateKey));
  const rest = [...neutral.candidates, ...order.filter((c) => !neutralKeys.has(candidateKey(c)))].filter((c) => !shapedBy[candidateKey(c)]);
  const rank = (c: Candidate) => orderRank.get(candidateKey(c)) ?? order.length;
  const reordered = [...rest].sort((a, b) => rank(a) - rank(b) || familyRank(a) - familyRank(b));
  reordered.forEach((c, i) => {
    if (i >= rest.indexOf(c) && neutralKeys.has(candidateKey(c))) return; // not moved forward: nothing shaped it
    if (lesson && orderRank.has(candidateKey(c))) (shapedBy[candidateKey(c)] ??= []).push(lesson.id);
    else {
      const global = preferred.find((p) => p.family === familyOf(c.template));
      if (global) (shapedBy[candidateKey(c)] ??= []).push(global.id);
    }
  });
  const used = new Set(Object.values(shapedBy).flat()).size;
  return { prior: { source: used ? `skills:${used}` : neutral.source, candidates: [...fromSkills, ...reordered], ranges: { ...neutral.ranges, ...ranges } }, shapedBy };
}

/**
 * The offline agent with retrieved skills as its prior; each proposal names the skills that shaped it
 * (for credit assignment). With no skills it is exactly the base agent under the neutral prior.
 */
export function skillGuided(base: Agent): Agent {
  return {
    async plan(ctx: PlanContext): Promise<Plan> {
      const tiered = ctx.tiered;
      if (!tiered || tiered.global.length + tiered.domain.length + tiered.task.length === 0) return base.plan(ctx);
      const { prior, shapedBy } = priorFromSkills(tiered, ctx.competition.domain, ctx.competition.taskType);
      return { ...(await base.plan({ ...ctx, prior })), shapedBy };
    },

    async propose(ctx: ProposeContext): Promise<Proposal | null> {
      const proposal = await base.propose(ctx);
      if (!proposal) return null;
      const skills: RetrievedSkill[] = [...(ctx.skills?.task ?? []), ...(ctx.skills?.domain ?? [])];
      // Shaped by the skills that put the candidate in the portfolio, or, in local search, by the
      // skills that own its template (the search runs inside their ranges).
      const direct = ctx.plan.shapedBy?.[candidateKey(proposal.candidate)] ?? [];
      const byTemplate = skills.filter((s) => s.recipe.template === proposal.candidate.template).map((s) => s.id);
      return { ...proposal, skillIds: [...new Set([...(proposal.skillIds ?? []), ...direct, ...byTemplate])] };
    },

    debug: (ctx) => base.debug(ctx),
    distill: (ctx) => base.distill(ctx),
  };
}
