import type { Plan, PlanContext } from '../types.js';
import { prototypes } from './prototypes.js';
import { neutralPrior, templateFits } from './search-space.js';
import { TEMPLATE_SPACES } from '../../schemas/templates.js';

/**
 * The orchestrator-level plan: which candidates to try first. The prior (neutral when the context
 * has none: a cold start) gives the order; candidates the competition cannot use are dropped; when
 * the budget affords fewer steps than the portfolio holds, the first stays first and cheaper ones
 * follow.
 */
export async function planOffline(ctx: PlanContext): Promise<Plan> {
  const { domain, taskType } = ctx.competition;
  const prior = ctx.prior ?? neutralPrior(domain, taskType);
  if (ctx.profile) {
    // With a data profile the engineer works in stages; the plan names the prototypes it will screen.
    const portfolio = prototypes(ctx.profile).map((spec) => ({ template: 'pipeline', params: spec as unknown as Record<string, unknown> }));
    return {
      portfolio,
      prior,
      notes: `stages: screen ${portfolio.length} prototypes from the profile, refine the winner and the runner-up, ensemble the top 3, ablate the best pipeline's techniques`,
    };
  }
  const portfolio = prior.candidates.filter((c) => templateFits(c.template, domain, taskType));
  if (portfolio.length === 0) {
    return { portfolio, prior, notes: `no offline template handles ${domain}/${taskType} (prior ${prior.source})` };
  }
  // The episode's step budget (--max-steps), not competition.yaml's default.
  const affordable = Math.max(1, (ctx.budget ?? ctx.competition.budget).maxSteps);
  // A given prior's order is evidence (skills); only the neutral order is re-ranked by cost.
  const ordered =
    !ctx.prior && affordable < portfolio.length
      ? [portfolio[0]!, ...portfolio.slice(1).sort((a, b) => (TEMPLATE_SPACES[a.template]?.relativeCost ?? 9) - (TEMPLATE_SPACES[b.template]?.relativeCost ?? 9))]
      : portfolio;
  return {
    portfolio: ordered,
    prior,
    notes: `${prior.source} prior: ${ordered.map((c) => c.template).join(' → ')}, then local search around the incumbent`,
  };
}
