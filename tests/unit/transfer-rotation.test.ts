import { describe, expect, it } from 'vitest';
import { builtinSuite, describeSplit, rotationSplit, runRotation } from '../../bench/rotation.js';
import { negativeTransfer, stepsToBest, incumbentCurve } from '../../bench/transfer.js';
import type { StepRecord } from '../../schemas/episode.js';
import type { ArmRun } from '../../schemas/transfer.js';

const SUITE = [
  { id: 'wine', domain: 'tabular' },
  { id: 'sunspots', domain: 'time-series' },
  { id: 'breast-cancer', domain: 'tabular' },
  { id: 'titanic', domain: 'tabular' },
  { id: 'co2-monthly', domain: 'time-series' },
];

describe('transfer rotation: a split declared before anything runs', () => {
  it('leave-one-competition-out over a domain, in the fixed (id) order, the same every time', () => {
    const split = rotationSplit('tabular', SUITE);
    expect(split.folds).toEqual([
      { heldout: 'breast-cancer', train: ['titanic', 'wine'] },
      { heldout: 'titanic', train: ['breast-cancer', 'wine'] },
      { heldout: 'wine', train: ['breast-cancer', 'titanic'] },
    ]);
    // The input order does not matter: the split depends only on the rotation and the suite.
    expect(rotationSplit('tabular', [...SUITE].reverse())).toEqual(split);
  });

  it('`all` holds out every competition once and learns on all the others', () => {
    const split = rotationSplit('all', SUITE);
    expect(split.folds.map((f) => f.heldout)).toEqual(['breast-cancer', 'co2-monthly', 'sunspots', 'titanic', 'wine']);
    for (const f of split.folds) {
      expect(f.train).not.toContain(f.heldout);
      expect(f.train).toHaveLength(SUITE.length - 1);
      expect(f.train).toEqual([...f.train].sort());
    }
  });

  it('refuses an unknown domain or one with a single competition, naming the flag', () => {
    expect(() => rotationSplit('audio', SUITE)).toThrow(/--rotation: 'all' or a domain of the suite \(tabular, time-series\), got 'audio'/);
    expect(() => rotationSplit('text', [...SUITE, { id: 'fortune', domain: 'text' }])).toThrow(/--rotation text: .* 1 competition/);
  });

  it('prints the whole split before the first fold runs', async () => {
    const events: string[] = [];
    const split = rotationSplit('tabular', SUITE);
    await runRotation(
      split,
      async (fold) => void events.push(`run ${fold.heldout}`),
      (line) => events.push(line),
    );
    expect(events).toEqual([...describeSplit(split), 'run breast-cancer', 'run titanic', 'run wine']);
    expect(events[1]).toBe('fold 1: held out breast-cancer; learn on titanic, wine');
  });

  it('the built-in suite gives a deterministic tabular rotation', () => {
    const suite = builtinSuite();
    expect(suite.length).toBeGreaterThanOrEqual(15);
    expect(rotationSplit('tabular', suite)).toEqual(rotationSplit('tabular', builtinSuite()));
    expect(rotationSplit('tabular', suite).folds.map((f) => f.heldout)).toContain('diabetes');
  });
});

const step = (i: number, cv: number, graded: number, cpu: number, wall = cpu * 3): StepRecord => ({
  step: i,
  candidate: { template: 't', params: { i } },
  rationale: '',
  status: 'ok',
  cvScore: cv,
  gradedScore: graded,
  improved: true,
  computeSeconds: wall,
  cpuSeconds: cpu,
  gpuSeconds: 0,
  peakRssMb: 0,
  attempts: 1,
  resumedFromEpoch: 0,
});

describe('transfer figures', () => {
  it('compute is counted in CPU seconds on a CPU host, and in slot seconds once a step held a GPU', () => {
    const ledger = [step(0, 0.8, 0.79, 1), step(1, 0.9, 0.88, 2), step(2, 0.85, 0.9, 4)];
    expect(incumbentCurve(ledger, 'maximize').map((p) => p.compute)).toEqual([1, 3, 7]);
    expect(incumbentCurve([...ledger.slice(0, 2), { ...ledger[2]!, gpuSeconds: 12 }], 'maximize').map((p) => p.compute)).toEqual([3, 9, 21]);
  });

  it('refinement steps until the best count up to the final incumbent by CV', () => {
    expect(stepsToBest([step(0, 0.8, 0, 1), step(1, 0.9, 0, 1), step(2, 0.85, 0, 1)], 'maximize')).toBe(2);
    expect(stepsToBest([step(0, 0.8, 0, 1), step(1, 0.9, 0, 1), step(2, 0.85, 0, 1)], 'minimize')).toBe(1);
    expect(stepsToBest([], 'maximize')).toBeNull();
  });

  it('negative transfer is warm worse than cold beyond the seed noise', () => {
    const runs = (finals: number[]) => finals.map((finalScore, seed) => ({ seed, finalScore }) as ArmRun);
    expect(negativeTransfer(runs([0.9, 0.91, 0.89]), runs([0.895, 0.9, 0.9]), 'maximize').negative).toBe(false);
    expect(negativeTransfer(runs([0.9, 0.91, 0.89]), runs([0.8, 0.81, 0.79]), 'maximize').negative).toBe(true);
    expect(negativeTransfer(runs([0.2]), runs([0.3]), 'minimize')).toEqual({ noise: null, negative: true });
  });
});

describe('portfolio lessons learn from CPU seconds', () => {
  it('a run profile costs each candidate in CPU seconds on a CPU host, so load (wall seconds) cannot flip the order', async () => {
    const { profileOf } = await import('../../distill/portfolio.js');
    const steps = [
      { candidate: { template: 'mlp', params: {} }, status: 'ok' as const, cvScore: 0.9, computeSeconds: 30, cpuSeconds: 2, gpuSeconds: 0 },
      { candidate: { template: 'ridge', params: {} }, status: 'ok' as const, cvScore: 0.8, computeSeconds: 3, cpuSeconds: 1, gpuSeconds: 0 },
    ];
    const profile = profileOf(steps, 0.5, 'maximize')!;
    expect(Object.values(profile).map((m) => m.computeSeconds)).toEqual([2, 1]);
    // Records from before CPU seconds were kept: wall (slot) seconds, as they were learned.
    const old = profileOf(
      steps.map(({ cpuSeconds: _c, gpuSeconds: _g, ...s }) => s),
      0.5,
      'maximize',
    )!;
    expect(Object.values(old).map((m) => m.computeSeconds)).toEqual([30, 3]);
  });
});
