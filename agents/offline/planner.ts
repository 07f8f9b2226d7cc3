import type { Plan, PlanContext } from '../types.js';
import { defaultPortfolio, TEMPLATE_SPACES } from './search-space.js';

/**
 * The orchestrator-level plan: which templates to try first. With a neutral prior this is the
 * default portfolio; when the budget affords only a few steps, cheap strong templates go first.
 */
export async function planOffline(ctx: PlanContext): Promise<Plan> {
  const portfolio = defaultPortfolio(ctx.competition.taskType);
  if (portfolio.length === 0) {
    return { portfolio, notes: `no offline template handles task type ${ctx.competition.taskType}` };
  }
  const affordable = Math.max(1, ctx.competition.budget.maxSteps);
  const ordered = affordable < portfolio.length
    ? [portfolio[0]!, ...portfolio.slice(1).sort((a, b) => (TEMPLATE_SPACES[a.template]?.relativeCost ?? 9) - (TEMPLATE_SPACES[b.template]?.relativeCost ?? 9))]
    : portfolio;
  return {
    portfolio: ordered,
    notes: `neutral prior: ${ordered.map((c) => c.template).join(' → ')}, then local search around the incumbent`,
  };
}
