import { describe, expect, it } from 'vitest';
import { atLeast, ensembleKept, goalChecks, overshoot, suiteTable, type SuiteRow } from '../../bench/suite.js';
import type { StepRecord } from '../../schemas/episode.js';

const row = (over: Partial<SuiteRow>): SuiteRow => ({
  competition: 'c',
  domain: 'tabular',
  metric: 'accuracy',
  direction: 'maximize',
  engineer: 0.9,
  naive: 0.5,
  default: 0.85,
  tuned: 0.88,
  referenceErrors: [],
  target: 0.9,
  budgetSeconds: 100,
  computeSeconds: 100,
  steps: 5,
  ensembleKept: true,
  stopReason: 'budget',
  ...over,
});

describe('the suite benchmark', () => {
  it('compares under the metric direction; a missing score never passes', () => {
    expect(atLeast(0.9, 0.9, 'maximize')).toBe(true);
    expect(atLeast(0.89, 0.9, 'maximize')).toBe(false);
    expect(atLeast(1.2, 1.3, 'minimize')).toBe(true);
    expect(atLeast(null, 0.5, 'maximize')).toBe(false);
    expect(atLeast(0.5, null, 'maximize')).toBe(false);
    expect(overshoot({ computeSeconds: 154, budgetSeconds: 120 })).toBeCloseTo(0.2833, 3);
  });

  it("checks issue 9's goals: naive, seasonal naive, tuned on 80 %, overshoot, ensembles on a third of tabular", () => {
    const rows = [
      row({ competition: 'a' }),
      row({ competition: 'b', engineer: 0.87, ensembleKept: false }),
      row({ competition: 'c', ensembleKept: false, computeSeconds: 111 }),
      row({ competition: 'd', domain: 'time-series', metric: 'mae', direction: 'minimize', engineer: 4.1, naive: 4.0, default: 5.3, tuned: 3.9, ensembleKept: false }),
    ];
    const checks = Object.fromEntries(goalChecks(rows).map((c) => [c.goal.split(' ').slice(0, 2).join(' '), c]));
    expect(checks['never below']).toMatchObject({ passed: 3, of: 4, met: false });
    expect(checks['forecasting never']).toMatchObject({ passed: 1, of: 1, met: true });
    expect(checks['at or']).toMatchObject({ passed: 2, of: 4, met: false });
    expect(checks['budget overshoot']).toMatchObject({ passed: 3, of: 4, met: false });
    expect(checks['an ensemble']).toMatchObject({ passed: 1, of: 3, met: true });
    const table = suiteTable(rows);
    expect(table).toContain('| d | time-series | mae (↓) | 4.1000 | 4.0000 ✗ | 5.3000 | 3.9000 ✗ |');
    expect(table).toContain('**not met**: budget overshoot <= 10 % on every episode: 3 of 4');
  });

  it('counts an ensemble as kept when an ok step says its blend beat the best member', () => {
    const step = (n: number, kept: boolean | undefined, status: StepRecord['status'] = 'ok'): StepRecord => ({
      step: n,
      candidate: { template: 'pipeline', params: {} },
      rationale: '',
      status,
      improved: true,
      computeSeconds: 1,
      cpuSeconds: 1,
      gpuSeconds: 0,
      peakRssMb: 1,
      attempts: 1,
      resumedFromEpoch: 0,
      ...(kept === undefined ? {} : { ensembleKept: kept }),
    });
    expect(ensembleKept([step(5, true, 'failed')])).toBe(false);
    expect(ensembleKept([step(1, undefined), step(2, false)])).toBe(false);
    expect(ensembleKept([step(3, undefined), step(4, true)])).toBe(true);
  });
});
