import { type Candidate, candidateKey } from '../../schemas/training.js';
import type { DebugContext, Distillation, Proposal } from '../types.js';
import { TEMPLATE_SPACES } from '../../schemas/templates.js';

/**
 * The offline debugger: without a model it cannot read the error, so it backs off what the failed
 * candidate changed from the runner's defaults — first the params the error names, then all of them.
 * Null when that was already tried, or for a `custom` solution.py (the engineer moves on).
 */
export async function debugOffline(ctx: DebugContext): Promise<Proposal | null> {
  const { candidate, error = '' } = ctx.failed;
  // A solution.py has no params to back off: without a model its code cannot be fixed.
  if (candidate.template === 'custom') return null;
  const tried = new Set(ctx.history.map((s) => candidateKey(s.candidate)));
  const named = Object.keys(candidate.params).filter((p) => error.includes(p));
  const known = TEMPLATE_SPACES[candidate.template]?.params ?? {};
  const unknown = Object.keys(candidate.params).filter((p) => !(p in known));
  const fixes: { candidate: Candidate; why: string }[] = [];
  const without = (drop: string[]) => ({ template: candidate.template, params: Object.fromEntries(Object.entries(candidate.params).filter(([k]) => !drop.includes(k))) });
  if (named.length) fixes.push({ candidate: without(named), why: `dropped ${named.join(', ')} (named in the error)` });
  if (unknown.length) fixes.push({ candidate: without(unknown), why: `dropped ${unknown.join(', ')} (not params of ${candidate.template})` });
  fixes.push({ candidate: { template: candidate.template, params: {} }, why: `reverted ${candidate.template} to its defaults` });
  const fix = fixes.find((f) => !tried.has(candidateKey(f.candidate)));
  return fix ? { candidate: fix.candidate, rationale: `offline debugger: ${fix.why}`, tokens: 0 } : null;
}

/** Offline, learning from an episode is the rule-based distillation (distill/), which runs anyway. */
export async function distillOffline(): Promise<Distillation> {
  return { learnings: [], rationale: 'offline: the rules in distill/ learn from this episode' };
}
