import { describe, expect, it } from 'vitest';
import type { Proposal } from '../../agents/types.js';
import { EpisodeInputSchema, type EpisodeInput, type StepRecord } from '../../schemas/episode.js';
import type { Candidate } from '../../schemas/training.js';
import { Episode, stagedFields } from '../../workflows/episode-state.js';
import { toyCompetition } from '../helpers/competition.js';
import { trainResult } from '../helpers/train-result.js';

/**
 * The episode's state class alone, no Temporal: the rules the workflow's handlers and loop apply
 * (the workflow with a server is in tests/integration/episode-stubs.test.ts and controls.test.ts).
 */

const hgb: Candidate = { template: 'hist_gradient_boosting', params: { epochs: 8 } };
const rf: Candidate = { template: 'random_forest', params: {} };

/** A loaded episode on the toy competition (maximize, 100 s, 20 steps unless the input says otherwise). */
function episode(input: Partial<EpisodeInput> = {}, targetScore?: number): Episode {
  const e = new Episode(EpisodeInputSchema.parse({ competition: 'toy', ...input }));
  e.load(toyCompetition(targetScore === undefined ? {} : { targetScore }));
  return e;
}

function proposal(candidate: Candidate, extra: Partial<Proposal> = {}): Proposal {
  return { candidate, rationale: 'because', tokens: 0, ...extra };
}

/** Runs one step through the class as the workflow does: start, train (or fail), record. */
function step(e: Episode, candidate: Candidate, outcome: { cvScore: number; computeSeconds: number } | { failed: string; computeSeconds: number }): StepRecord {
  const p = proposal(candidate);
  const base = e.startStep(e.nextStep, p, stagedFields(p));
  const record =
    'failed' in outcome
      ? e.failed(base, outcome.failed, 99, { computeSeconds: outcome.computeSeconds, cpuSeconds: 1 })
      : e.trained(base, trainResult(outcome.cvScore, outcome.computeSeconds), undefined);
  e.endStep();
  e.record(record, p, undefined);
  return record;
}

describe('Episode: loading', () => {
  it("takes the input's budget over the competition's", () => {
    expect(episode().state.budget).toEqual({ computeSeconds: 100, maxSteps: 20 });
    expect(episode({ budget: { maxSteps: 3 } }).state.budget).toEqual({ computeSeconds: 100, maxSteps: 3 });
  });

  it('carries the state it is given (continue-as-new), one more continuation each time', () => {
    const e = episode();
    step(e, hgb, { cvScore: 0.7, computeSeconds: 5 });
    const carried = e.continued();
    expect(carried.continuedAsNew).toBe(1);
    const next = new Episode(EpisodeInputSchema.parse({ competition: 'toy' }), carried);
    expect(next.nextStep).toBe(1);
    expect(next.status()).toMatchObject({ steps: 1, computeSeconds: 5, bestScore: 0.7 });
    expect(next.continued().continuedAsNew).toBe(2);
  });
});

describe('Episode: budget', () => {
  it('is exhausted by steps, then by compute, in that order', () => {
    const e = episode({ budget: { maxSteps: 2, computeSeconds: 10 } });
    expect(e.exhausted()).toBeNull();
    step(e, hgb, { cvScore: 0.5, computeSeconds: 4 });
    expect(e.exhausted()).toBeNull();
    expect(e.remainingComputeSeconds()).toBe(6);
    expect(e.remainingSteps()).toBe(1);
    step(e, hgb, { cvScore: 0.4, computeSeconds: 7 });
    expect(e.exhausted()).toBe('max-steps');
    e.extend({ maxSteps: 1 });
    expect(e.exhausted()).toBe('budget');
    e.extend({ computeSeconds: 5 });
    expect(e.exhausted()).toBeNull();
    expect(e.remainingComputeSeconds()).toBe(4);
  });

  it('charges a failed step what the activity measured, else the time it ran', () => {
    const e = episode();
    step(e, hgb, { failed: 'boom', computeSeconds: 3 });
    expect(e.state.computeSeconds).toBe(3);
    const base = e.startStep(1, proposal(hgb), {});
    expect(e.failed(base, 'boom', 8, null)).toMatchObject({ status: 'failed', error: 'boom', computeSeconds: 8, cpuSeconds: 0 });
    expect(e.cancelled(base, 2)).toMatchObject({ status: 'cancelled', computeSeconds: 2 });
  });

  it('stops at the target only when asked to', () => {
    const reaching = episode({}, 0.8);
    step(reaching, hgb, { cvScore: 0.8, computeSeconds: 1 });
    expect(reaching.exhausted()).toBe('target-reached');
    const spending = episode({ stopAtTarget: false }, 0.8);
    step(spending, hgb, { cvScore: 0.9, computeSeconds: 1 });
    expect(spending.exhausted()).toBeNull();
  });

  it('does not start a step it cannot afford once there is a model, and asks the patch only then', () => {
    const e = episode({ budget: { computeSeconds: 30 } });
    let asked = 0;
    const byModel = () => {
      asked += 1;
      return true;
    };
    // Nothing to submit yet: the first step always starts (its deadline bounds it), the patch is not asked.
    expect(e.overrun(hgb, byModel)).toBeNull();
    expect(asked).toBe(0);
    step(e, hgb, { cvScore: 0.6, computeSeconds: 10 });
    // Same template, twice the epochs: about 20 s, 20 s left: it fits.
    expect(e.overrun({ template: 'hist_gradient_boosting', params: { epochs: 16 } }, byModel)).toBeNull();
    expect(asked).toBe(1);
    // Three times the epochs: about 30 s of 20.
    expect(e.overrun({ template: 'hist_gradient_boosting', params: { epochs: 24 } }, byModel)).toBe(
      'the next step (hist_gradient_boosting) would cost about 30.0 s, 20.0 s of the budget is left',
    );
    e.finish('budget', 'why');
    expect(e.status()).toMatchObject({ stopReason: 'budget', stopDetail: 'why' });
  });
});

describe('Episode: incumbent', () => {
  it('keeps the best cross-validated score in the direction of the metric', () => {
    const e = episode();
    expect(step(e, hgb, { cvScore: 0.7, computeSeconds: 1 }).improved).toBe(true);
    expect(step(e, rf, { cvScore: 0.6, computeSeconds: 1 }).improved).toBe(false);
    expect(e.state.best).toMatchObject({ step: 0, candidate: hgb, cvScore: 0.7, submission: 'sub-0.7' });
    expect(step(e, rf, { cvScore: 0.75, computeSeconds: 1 }).improved).toBe(true);
    expect(e.state.best).toMatchObject({ step: 2, candidate: rf, cvScore: 0.75 });
    step(e, hgb, { failed: 'boom', computeSeconds: 1 });
    expect(e.state.best?.step).toBe(2);

    const minimizing = new Episode(EpisodeInputSchema.parse({ competition: 'toy' }));
    minimizing.load(toyCompetition({ metric: 'rmse', direction: 'minimize' }));
    step(minimizing, hgb, { cvScore: 3, computeSeconds: 1 });
    expect(step(minimizing, rf, { cvScore: 2, computeSeconds: 1 }).improved).toBe(true);
    expect(minimizing.state.best?.cvScore).toBe(2);
  });

  it('records each step with its role cost, the fix it is, and its compute spent', () => {
    const e = episode();
    const p = proposal(hgb, { tokens: 12, skillIds: ['s1'], stage: 'screening' });
    const base = e.startStep(0, p, stagedFields(p));
    expect(e.status().currentStep).toEqual({ step: 0, candidate: hgb, stage: 'screening' });
    const record = e.trained(base, trainResult(0.5, 4, { stopped: 'deadline' }), 0.49);
    e.endStep();
    e.record(record, p, 3);
    expect(e.status().currentStep).toBeNull();
    expect(e.state.steps[0]).toMatchObject({ step: 0, skillIds: ['s1'], stage: 'screening', gradedScore: 0.49, stoppedEarly: 'deadline', tokens: 12, debugOf: 3 });
    expect(e.status()).toMatchObject({ steps: 1, computeSeconds: 4, lastStep: { step: 0 } });
  });
});

describe('Episode: debugger', () => {
  it('fixes a failed step at most debugAttempts times, after the requested candidates', () => {
    const e = episode({ debugAttempts: 1, initialCandidates: [hgb, rf] });
    step(e, hgb, { failed: 'boom', computeSeconds: 1 });
    // rf was requested and not tried yet: it comes first.
    expect(e.debugTarget()).toBeNull();
    step(e, rf, { failed: 'bang', computeSeconds: 1 });
    expect(e.debugTarget()).toMatchObject({ debugOf: 1, attempt: 1, failed: { step: 1, error: 'bang' } });
    const fix = proposal(rf);
    const base = e.startStep(2, fix, {});
    e.record(e.failed(base, 'still', 1, null), fix, 1);
    expect(e.debugTarget()).toBeNull();
  });
});

describe('Episode: messages', () => {
  it('pauses and resumes; a stop ends the wait of a paused episode', () => {
    const e = episode();
    e.pause();
    expect(e.holding).toBe(true);
    expect(e.released()).toBe(false);
    expect(e.searchAttributes()[0]).toMatchObject({ value: 'loading' });
    e.enter('training');
    expect(e.searchAttributes()[0]).toMatchObject({ value: 'paused' });
    e.resume();
    expect(e.holding).toBe(false);
    e.pause();
    e.requestStop();
    expect(e.holding).toBe(false);
    expect(e.released()).toBe(true);
    expect(e.state.stopRequested).toBe('stopped by request');
    expect(e.exhausted()).toBe('stopped');
  });

  it('extends the budget by what is given, and rejects an empty or negative extension naming the field', () => {
    const e = episode();
    e.extend({ computeSeconds: 50 });
    expect(e.status()).toMatchObject({ budgetComputeSeconds: 150, maxSteps: 20 });
    expect(() => e.validateExtension({ maxSteps: 1 })).not.toThrow();
    expect(() => e.validateExtension({})).toThrow(/invalid extendBudget input: .*computeSeconds and\/or maxSteps/);
    expect(() => e.validateExtension({ maxSteps: -1 })).toThrow(/invalid extendBudget input: .*maxSteps/);
  });

  it('refuses updates once grading has begun', () => {
    const e = episode();
    expect(() => e.assertRunning()).not.toThrow();
    e.enter('grading');
    expect(() => e.assertRunning()).toThrow('the episode is grading; it no longer takes this update');
    expect(() => e.validateExtension({ maxSteps: 1 })).toThrow(/no longer takes/);
    e.enter('completed');
    expect(() => e.assertRunning()).toThrow(/completed/);
  });
});
