import { isBetter } from '../../schemas/competition.js';
import { type Candidate, candidateKey } from '../../schemas/training.js';
import type { Proposal, ProposeContext } from '../types.js';
import type { StepView } from '../../schemas/episode.js';
import { seededRandom } from './random.js';
import { proposeStaged } from './stages.js';
import type { Prior } from '../../schemas/prior.js';
import { perturbParam, spaceUnderPrior } from './search-space.js';

const LOCAL_SEARCH_TRIES = 64;

function neighbour(base: Candidate, rand: () => number, prior: Prior | undefined): Candidate {
  const space = spaceUnderPrior(base.template, prior);
  if (!space) return base;
  const names = Object.keys(space.params);
  const params = { ...base.params };
  const changes = 1 + Math.floor(rand() * Math.min(2, names.length));
  for (let i = 0; i < changes; i++) {
    const name = names[Math.floor(rand() * names.length)]!;
    params[name] = perturbParam(space.params[name]!, params[name], rand);
  }
  return { template: base.template, params };
}

function rankByScore(history: StepView[], direction: 'maximize' | 'minimize'): (StepView & { cvScore: number })[] {
  return history
    .filter((s): s is StepView & { cvScore: number } => s.status === 'ok' && typeof s.cvScore === 'number')
    .sort((a, b) => (isBetter(a.cvScore, b.cvScore, direction) ? -1 : isBetter(b.cvScore, a.cvScore, direction) ? 1 : a.step - b.step));
}

/**
 * The offline competition engineer: requested candidates first; then, given the data profile, the
 * specialist's stages (agents/offline/stages.ts); without one (episodes started before profiling), the
 * plan's portfolio, then seeded local search around the incumbent (and, every third step, around the
 * runner-up, so one lucky fold cannot trap it).
 */
export async function proposeOffline(ctx: ProposeContext): Promise<Proposal | null> {
  const tried = new Set(ctx.history.map((s) => candidateKey(s.candidate)));
  const requested = ctx.initialCandidates.find((c) => !tried.has(candidateKey(c)));
  if (requested) return { candidate: requested, rationale: `requested: ${requested.template}`, tokens: 0 };
  // With a data profile (episodes from the 'profile' patch on) the engineer works in stages on pipeline specs.
  if (ctx.profile) return proposeStaged({ ...ctx, profile: ctx.profile });
  for (const [source, list] of [['portfolio', ctx.plan.portfolio]] as const) {
    const next = list.find((c) => !tried.has(candidateKey(c)));
    if (next) return { candidate: next, rationale: `${source}: ${next.template}`, tokens: 0 };
  }
  const ranked = rankByScore(ctx.history, ctx.competition.direction);
  if (ranked.length === 0) return null;
  const rand = seededRandom(ctx.seed, ctx.step);
  const anchor = ranked.length > 1 && ctx.step % 3 === 2 ? ranked[1]! : ranked[0]!;
  for (let i = 0; i < LOCAL_SEARCH_TRIES; i++) {
    const candidate = neighbour(anchor.candidate, rand, ctx.plan.prior);
    if (!tried.has(candidateKey(candidate))) {
      return {
        candidate,
        rationale: `local search around step ${anchor.step} (${anchor.candidate.template}, cv ${anchor.cvScore.toFixed(4)})`,
        tokens: 0,
      };
    }
  }
  return null;
}
