import { neutralPrior, templateFits } from '../agents/offline/search-space.js';
import { candidateKey, type Candidate } from '../schemas/training.js';
import type { Direction, TaskType } from '../schemas/competition.js';
import { computeUnitOf, stepCompute, type MeteredStep } from './compute.js';
import { improvement } from './trajectory.js';

/**
 * Portfolio lessons: which first candidates reach a near-best score for the least compute. An
 * episode measures every candidate it tries (cost and CV score); across competitions of a domain
 * those measurements say which order of candidates would have got near the best soonest.
 */

/** One candidate as one episode measured it. regret: the share of the episode's gain over the baseline it missed (null: failed). */
export interface Measured {
  candidate: Candidate;
  regret: number | null;
  computeSeconds: number;
}

/** An episode's measurements, keyed by candidateKey. */
export type Profile = Record<string, Measured>;

interface ProfileStep extends MeteredStep {
  candidate: Candidate;
  status: 'ok' | 'failed' | 'cancelled';
  cvScore?: number;
}

/**
 * Regret of each candidate the episode tried: (best CV − its CV) / (best CV − baseline), in the
 * metric's better direction; 0 is the best the episode found. Null without a baseline the best beat.
 * Costs are in the run's compute unit: CPU seconds on CPU hosts, so a lesson does not flip with load.
 */
export function profileOf(steps: ProfileStep[], baselineScore: number | null, direction: Direction): Profile | null {
  const ok = steps.filter((s): s is ProfileStep & { cvScore: number } => s.status === 'ok' && typeof s.cvScore === 'number');
  if (ok.length === 0 || baselineScore === null) return null;
  const best = ok.reduce((b, s) => (improvement(s.cvScore, b, direction) > 0 ? s.cvScore : b), ok[0]!.cvScore);
  const gain = improvement(best, baselineScore, direction);
  if (!(gain > 0)) return null;
  const profile: Profile = {};
  const unit = computeUnitOf(steps);
  for (const s of steps) {
    if (s.status === 'cancelled') continue;
    const key = candidateKey(s.candidate);
    if (profile[key]) continue; // the engineer never retries a candidate; a resumed ledger might
    const regret = s.status === 'ok' && typeof s.cvScore === 'number' ? Math.max(0, improvement(best, s.cvScore, direction) / gain) : null;
    profile[key] = { candidate: s.candidate, regret: regret === null ? null : Number(regret.toFixed(4)), computeSeconds: Number(stepCompute(s, unit).toFixed(2)) };
  }
  return profile;
}

const hits = (m: Measured | undefined, nearBest: number) => m !== undefined && m.regret !== null && m.regret <= nearBest;

/**
 * Compute an episode would have spent trying `order` until a near-best candidate: the sum of the
 * measured costs up to and including the first hit. Undefined when that prefix holds a candidate the
 * episode never measured (the counterfactual cannot be told) or nothing in the order hits.
 */
export function computeToNearBest(order: Candidate[], profile: Profile, nearBest: number): number | undefined {
  let spent = 0;
  for (const c of order) {
    const m = profile[candidateKey(c)];
    if (!m) return undefined;
    spent += m.computeSeconds;
    if (hits(m, nearBest)) return spent;
  }
  return undefined;
}

/**
 * A portfolio order learned from several episodes' profiles: greedy cost-effective cover (the
 * classic approximation for min-sum set cover). Each pick is the candidate that reaches near-best
 * on the most not-yet-covered competitions per second of its mean measured cost; it stops when
 * nothing covers what is left. Only candidates measured on at least two competitions qualify, so
 * the order speaks for more than one competition.
 */
export function learnOrder(profiles: Profile[], nearBest: number): Candidate[] {
  const measured = new Map<string, { candidate: Candidate; costs: number[] }>();
  for (const p of profiles) {
    for (const [key, m] of Object.entries(p)) {
      const entry = measured.get(key) ?? { candidate: m.candidate, costs: [] };
      entry.costs.push(m.computeSeconds);
      measured.set(key, entry);
    }
  }
  const pool = [...measured.entries()].filter(([, e]) => e.costs.length >= 2);
  const order: Candidate[] = [];
  let uncovered = profiles;
  while (uncovered.length > 0) {
    let pick: { key: string; candidate: Candidate; rate: number; cost: number } | null = null;
    for (const [key, e] of pool) {
      if (order.some((c) => candidateKey(c) === key)) continue;
      const covers = uncovered.filter((p) => hits(p[key], nearBest)).length;
      const cost = Math.max(0.01, e.costs.reduce((s, x) => s + x, 0) / e.costs.length);
      const rate = covers / cost;
      if (covers > 0 && (!pick || rate > pick.rate || (rate === pick.rate && (cost < pick.cost || (cost === pick.cost && key < pick.key)))))
        pick = { key, candidate: e.candidate, rate, cost };
    }
    if (!pick) break;
    order.push(pick.candidate);
    uncovered = uncovered.filter((p) => !hits(p[pick.key], nearBest));
  }
  return order;
}

/** A learned order in front, then the rest of a base portfolio in its own order (as the planner sees it). */
export function withBase(order: Candidate[], base: Candidate[]): Candidate[] {
  const first = new Set(order.map(candidateKey));
  return [...order, ...base.filter((c) => !first.has(candidateKey(c)))];
}

/**
 * What a learned order saved on one episode, against the base (neutral) order, from that episode's
 * own measurements: (base compute-to-near-best − learned) / base. Undefined when either cannot be told.
 */
export function orderSaving(order: Candidate[], base: Candidate[], profile: Profile, nearBest: number): number | undefined {
  const learned = computeToNearBest(withBase(order, base), profile, nearBest);
  const neutral = computeToNearBest(base, profile, nearBest);
  if (learned === undefined || neutral === undefined || neutral <= 0) return undefined;
  return (neutral - learned) / neutral;
}

/** orderSaving against the neutral order of a domain and task type, keeping the candidates that task type can run. */
export function savingAgainstNeutral(order: Candidate[], domain: string, taskType: TaskType, profile: Profile, nearBest: number): number | undefined {
  const fits = order.filter((c) => templateFits(c.template, domain, taskType));
  return orderSaving(fits, neutralPrior(domain, taskType).candidates, profile, nearBest);
}

/** One distilled run of a competition, as portfolio learning sees it. */
export interface PortfolioCase {
  competition: string;
  runId: string;
  taskType: TaskType;
  profile: Profile;
}

/**
 * Leave-one-competition-out replay: for each competition, the order learned from the other
 * competitions' runs, replayed on each of its own runs against the neutral order (savingAgainstNeutral).
 * An estimate of what the lesson saves on a competition it has not seen.
 */
export function leaveOneOut(cases: PortfolioCase[], domain: string, nearBest: number): { mean: number; n: number; wins: number; losses: number } {
  const savings: number[] = [];
  for (const competition of [...new Set(cases.map((c) => c.competition))].sort()) {
    const order = learnOrder(
      cases.filter((c) => c.competition !== competition).map((c) => c.profile),
      nearBest,
    );
    for (const held of cases.filter((c) => c.competition === competition)) {
      const saving = savingAgainstNeutral(order, domain, held.taskType, held.profile, nearBest);
      if (saving !== undefined) savings.push(saving);
    }
  }
  return {
    mean: savings.length ? savings.reduce((s, x) => s + x, 0) / savings.length : 0,
    n: savings.length,
    wins: savings.filter((s) => s > 0).length,
    losses: savings.filter((s) => s < 0).length,
  };
}
