import { ActivityFailure, ApplicationFailure, RetryState, TimeoutFailure, TimeoutType } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { planOffline } from '../../agents/offline/planner.js';
import type { StepRecord } from '../../schemas/episode.js';
import type { Candidate } from '../../schemas/training.js';
import { chargeOfFailure, estimateStepSeconds } from '../../workflows/step-cost.js';
import { toyCompetition } from '../helpers/competition.js';

function step(candidate: Candidate, computeSeconds: number, extra: Partial<StepRecord> = {}): StepRecord {
  return {
    step: 0,
    candidate,
    rationale: '',
    status: 'ok',
    improved: false,
    computeSeconds,
    cpuSeconds: 0,
    gpuSeconds: 0,
    peakRssMb: 0,
    attempts: 1,
    resumedFromEpoch: 0,
    ...extra,
  };
}

describe('estimateStepSeconds', () => {
  const hgb = (epochs: number) => ({ template: 'hist_gradient_boosting', params: { epochs } });

  it('knows nothing before a step completed', () => {
    expect(estimateStepSeconds(hgb(8), [])).toBeNull();
    expect(estimateStepSeconds(hgb(8), [step(hgb(8), 30, { status: 'failed' })])).toBeNull();
  });

  it('scales the latest step of the same template by the work asked for', () => {
    expect(estimateStepSeconds(hgb(16), [step(hgb(8), 10), step({ template: 'knn', params: {} }, 3)])).toBeCloseTo(20);
    expect(estimateStepSeconds({ template: 'hist_gradient_boosting', params: {} }, [step(hgb(8), 10)])).toBeCloseTo(10);
  });

  it('scales another template by relative cost; a step the deadline cut short counts only when none finished (a lower bound)', () => {
    // random_forest costs 3, hist_gradient_boosting 2 (agents/offline/search-space.ts)
    expect(estimateStepSeconds({ template: 'random_forest', params: {} }, [step(hgb(8), 10)])).toBeCloseTo(15);
    const cut = step(hgb(8), 38, { stoppedEarly: 'deadline: stopped after epoch 2 of 8' });
    expect(estimateStepSeconds(hgb(8), [cut])).toBeCloseTo(38);
    expect(estimateStepSeconds(hgb(8), [step(hgb(8), 10), cut])).toBeCloseTo(10);
  });
});

describe('estimateStepSeconds of pipeline specs', () => {
  const pipe = (model: Record<string, unknown>): Candidate => ({ template: 'pipeline', params: { version: 1, target: 'none', features: [{ kind: 'pixels' }], model } });
  const hgbSpec = (epochs: number) => pipe({ template: 'hist_gradient_boosting', params: { epochs, iters_per_epoch: 25 } });
  const logistic = pipe({ template: 'logistic_regression', params: { C: 0.1 } });

  it('compares pipeline steps by their model: a costly booster says little about a linear model', () => {
    // photo-patches: a 125 s boosting prototype left 115 s, and the 5 s linear one was estimated at 125 s.
    expect(estimateStepSeconds(logistic, [step(hgbSpec(4), 125)], false)).toBeCloseTo(125);
    expect(estimateStepSeconds(logistic, [step(hgbSpec(4), 125)])).toBeCloseTo(62.5); // relative costs 1 : 2
    expect(estimateStepSeconds(hgbSpec(4), [step(logistic, 5)])).toBeCloseTo(10);
    expect(estimateStepSeconds(logistic, [step(logistic, 5), step(hgbSpec(4), 125)])).toBeCloseTo(5);
    // the model's own epochs and rounds scale its latest step
    expect(estimateStepSeconds(hgbSpec(8), [step(hgbSpec(4), 40), step(logistic, 5)])).toBeCloseTo(80);
  });

  it('an ensemble trains nothing: it costs what the cheapest step did', () => {
    const blend: Candidate = { template: 'pipeline', params: { version: 1, ensemble: { members: [0, 1], method: 'nnls' } } };
    expect(estimateStepSeconds(blend, [step(hgbSpec(4), 125), step(logistic, 5)])).toBeCloseTo(5);
    expect(estimateStepSeconds(blend, [])).toBeNull();
  });
});

describe('chargeOfFailure', () => {
  const wrap = (cause: Error) => new ActivityFailure('activity failed', 'trainCandidate', '1', RetryState.NON_RETRYABLE_FAILURE, 'gpu', cause);

  it('reads the compute a failed attempt reported, or the last heartbeat of a silent worker', () => {
    const failed = ApplicationFailure.create({ message: 'x', type: 'SolutionError', nonRetryable: true, details: [{ computeSeconds: 4.5, cpuSeconds: 3 }] });
    expect(chargeOfFailure(wrap(failed))).toEqual({ computeSeconds: 4.5, cpuSeconds: 3 });
    const silent = new TimeoutFailure('heartbeat', { epoch: 3, computeSeconds: 12, cpuSeconds: 9, checkpoint: null }, TimeoutType.HEARTBEAT);
    expect(chargeOfFailure(wrap(silent))).toMatchObject({ computeSeconds: 12, cpuSeconds: 9 });
    expect(chargeOfFailure(wrap(ApplicationFailure.create({ message: 'no details' })))).toBeNull();
  });
});

describe('planOffline and the episode budget', () => {
  const competition = toyCompetition();

  it('orders the portfolio for the episode’s --max-steps, not competition.yaml’s', async () => {
    const own = await planOffline({ competition, seed: 0, skills: [] });
    const tight = await planOffline({ competition, budget: { computeSeconds: 100, maxSteps: 2 }, seed: 0, skills: [] });
    const asIfTight = await planOffline({ competition: { ...competition, budget: { computeSeconds: 100, maxSteps: 2 } }, seed: 0, skills: [] });
    expect(tight.portfolio).toEqual(asIfTight.portfolio);
    expect(tight.portfolio).not.toEqual(own.portfolio);
  });
});
