import { isBetter } from '../../schemas/competition.js';
import type { Candidate } from '../../schemas/training.js';
import type { Proposal, ProposeContext, StepView } from '../types.js';
import { seededRandom } from './random.js';
import type { Prior } from '../../schemas/prior.js';
import { candidateKey, spaceUnderPrior, type ParamSpace } from './search-space.js';

const LOCAL_SEARCH_TRIES = 64;

function sampleParam(space: ParamSpace, rand: () => number): unknown {
  if (space.kind === 'choice') return space.values[Math.floor(rand() * space.values.length)];
  const u = rand();
  const value = space.log ? Math.exp(Math.log(space.min) + u * (Math.log(space.max) - Math.log(space.min))) : space.min + u * (space.max - space.min);
  return space.kind === 'int' ? Math.round(value) : Number(value.toPrecision(3));
}

/** Moves a value a short step within its range (a factor of about e^±0.5 on log scales). */
function perturbParam(space: ParamSpace, current: unknown, rand: () => number): unknown {
  if (space.kind === 'choice' || typeof current !== 'number') return sampleParam(space, rand);
  const step = (rand() - 0.5) * 1.0;
  const moved = space.log ? current * Math.exp(step) : current + step * (space.max - space.min) * 0.25;
  const clipped = Math.min(space.max, Math.max(space.min, moved));
  return space.kind === 'int' ? Math.round(clipped) : Number(clipped.toPrecision(3));
}

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
 * The offline competition engineer: the plan's portfolio first, then seeded local search around
 * the incumbent (and, every third step, around the runner-up, so one lucky fold cannot trap it).
 */
export async function proposeOffline(ctx: ProposeContext): Promise<Proposal | null> {
  const tried = new Set(ctx.history.map((s) => candidateKey(s.candidate)));
  for (const [source, list] of [['requested', ctx.initialCandidates], ['portfolio', ctx.plan.portfolio]] as const) {
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
