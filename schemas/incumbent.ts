import { isBetter, type Direction } from './competition.js';

/** What finding the incumbent needs of a step: whether it trained, and its cross-validated score. */
interface CvScored {
  status: string;
  cvScore?: number;
}

export interface IncumbentAfterStep<S> {
  step: S;
  index: number;
  /** The step the agent would submit after this one; null until a step has scored. */
  incumbent: S | null;
  /** This step became the incumbent. */
  changed: boolean;
}

/**
 * Walks steps in order and yields, after each, the incumbent: the step with the best cross-validated
 * score so far (the earlier one on a tie), which is what the agent would submit — not the best graded
 * step, which it cannot see. The one place this is decided (workflows run it: keep it deterministic).
 */
export function* incumbentsByCv<S extends CvScored>(steps: readonly S[], direction: Direction): Generator<IncumbentAfterStep<S>> {
  let incumbent: S | null = null;
  for (const [index, step] of steps.entries()) {
    const changed = step.status === 'ok' && step.cvScore !== undefined && (incumbent === null || isBetter(step.cvScore, incumbent.cvScore!, direction));
    if (changed) incumbent = step;
    yield { step, index, incumbent, changed };
  }
}

/** The incumbent after the last step: the best step by cross-validation, or null when none scored. */
export function bestByCv<S extends CvScored>(steps: readonly S[], direction: Direction): S | null {
  let best: S | null = null;
  for (const { incumbent } of incumbentsByCv(steps, direction)) best = incumbent;
  return best;
}

/**
 * Compute spent until the submission the agent would make — its incumbent by cross-validation, not
 * the best graded step — first scored the target; null when it never did.
 */
export function computeToTarget<S extends CvScored & { computeSeconds: number; gradedScore?: number }>(
  ledger: readonly S[],
  target: number | undefined,
  direction: Direction,
): number | null {
  if (target === undefined) return null;
  let spent = 0;
  for (const { step, incumbent } of incumbentsByCv(ledger, direction)) {
    spent += step.computeSeconds;
    const graded = incumbent?.gradedScore;
    if (graded !== undefined && (graded === target || isBetter(graded, target, direction))) return spent;
  }
  return null;
}
