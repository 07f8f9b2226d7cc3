import { ActivityFailure, ApplicationFailure, TimeoutFailure } from '@temporalio/common';
import { TEMPLATE_SPACES } from '../schemas/templates.js';
import type { StepRecord } from '../schemas/episode.js';
import { TrainChargeSchema, type Candidate, type TrainCharge } from '../schemas/training.js';

/** Pure budget arithmetic for the episode workflow (deterministic: no I/O, no clock). */

/** Work a candidate asks for, relative to another of the same template: epochs × rounds (or trees) per epoch. */
function workRatio(next: Candidate, done: Candidate): number {
  let ratio = 1;
  for (const key of ['epochs', 'iters_per_epoch', 'trees_per_epoch']) {
    const a = next.params[key];
    const b = done.params[key];
    // A param only one side sets has the template default on the other, which only the runner knows: no evidence.
    if (typeof a === 'number' && typeof b === 'number' && a > 0 && b > 0) ratio *= a / b;
  }
  return ratio;
}

const relativeCost = (template: string) => TEMPLATE_SPACES[template]?.relativeCost ?? 3;

const ENSEMBLE = 'ensemble';

/**
 * What a step's cost depends on: for a pipeline spec, its model (its template and params: epochs, rounds,
 * trees), or `ensemble` for a blend of stored predictions; other candidates are their own template.
 */
function costBasis(candidate: Candidate): Candidate {
  if (candidate.template !== 'pipeline') return candidate;
  const params = candidate.params;
  if ('ensemble' in params) return { template: ENSEMBLE, params: {} };
  const model = params.model;
  if (typeof model !== 'object' || model === null || typeof (model as { template?: unknown }).template !== 'string') return candidate;
  const { template, params: inner } = model as { template: string; params?: unknown };
  return { template, params: typeof inner === 'object' && inner !== null ? (inner as Record<string, unknown>) : {} };
}

/**
 * What the next step will probably cost in slot seconds, from the steps already taken: the latest
 * completed step of the same template scaled by the work asked for, else the latest completed step
 * of any template scaled by the templates' relative costs. Steps a deadline cut short count only when
 * no step finished: their compute is a lower bound of what they needed. Null before any step
 * completed (nothing measured yet: the runner's deadline bounds that first step).
 *
 * With `byModel`, pipeline specs are compared by their model (costBasis), and an ensemble costs what the
 * cheapest step did (it trains nothing); without it every pipeline step counts as the same template
 * (what episodes started before that recorded, so their histories replay).
 */
export function estimateStepSeconds(candidate: Candidate, ledger: readonly StepRecord[], byModel = true): number | null {
  const basis = byModel ? costBasis : (c: Candidate) => c;
  const completed = ledger.filter((s) => s.status === 'ok' && s.computeSeconds > 0);
  const finished = completed.filter((s) => !s.stoppedEarly);
  const measured = finished.length > 0 ? finished : completed;
  const next = basis(candidate);
  if (next.template === ENSEMBLE) return measured.length > 0 ? Math.min(...measured.map((s) => s.computeSeconds)) : null;
  const same = measured.filter((s) => basis(s.candidate).template === next.template).at(-1);
  if (same) return same.computeSeconds * workRatio(next, basis(same.candidate));
  const other = measured.at(-1);
  if (other) return (other.computeSeconds * relativeCost(next.template)) / relativeCost(basis(other.candidate).template);
  return null;
}

/**
 * The slot seconds a failed training step used, as the activity reported them (failure details, or
 * the last heartbeat when its worker went silent); null when the failure carries none.
 */
export function chargeOfFailure(err: ActivityFailure): TrainCharge | null {
  const cause = err.cause;
  const details = cause instanceof ApplicationFailure ? cause.details?.[0] : cause instanceof TimeoutFailure ? cause.lastHeartbeatDetails : undefined;
  const parsed = TrainChargeSchema.safeParse(details);
  return parsed.success ? parsed.data : null;
}
