import { describe, expect, it } from 'vitest';
import { bestByCv, incumbentsByCv } from '../../schemas/incumbent.js';

const ok = (name: string, cvScore: number) => ({ name, status: 'ok', cvScore });
const failed = (name: string) => ({ name, status: 'failed' });

describe('the incumbent by cross-validation', () => {
  const steps = [failed('a'), ok('b', 0.7), ok('c', 0.6), ok('d', 0.8), ok('e', 0.8), { name: 'f', status: 'cancelled', cvScore: 0.99 }, ok('g', 0.75)];

  it('after each step: the best CV so far, the earlier step on a tie, never a step that did not finish', () => {
    const walk = [...incumbentsByCv(steps, 'maximize')];
    expect(walk.map((w) => w.incumbent?.name ?? null)).toEqual([null, 'b', 'b', 'd', 'd', 'd', 'd']);
    expect(walk.filter((w) => w.changed).map((w) => w.index)).toEqual([1, 3]);
    expect(walk.map((w) => w.step.name)).toEqual(steps.map((s) => s.name));
  });

  it('follows the metric direction', () => {
    expect([...incumbentsByCv(steps, 'minimize')].map((w) => w.incumbent?.name ?? null)).toEqual([null, 'b', 'c', 'c', 'c', 'c', 'c']);
    expect(bestByCv(steps, 'minimize')?.name).toBe('c');
    expect(bestByCv(steps, 'maximize')?.name).toBe('d');
  });

  it('is null until a step scored', () => {
    expect(bestByCv([failed('a'), { name: 'b', status: 'ok' }], 'maximize')).toBeNull();
    expect(bestByCv([], 'maximize')).toBeNull();
  });
});
