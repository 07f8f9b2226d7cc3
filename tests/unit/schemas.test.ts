import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../infra/config.js';
import { detectGpuDevices, SlotPool } from '../../infra/gpu-slots.js';
import { CompetitionYamlSchema } from '../../schemas/competition.js';
import { EpisodeInputSchema, type StepRecord } from '../../schemas/episode.js';
import { describeIssues } from '../../schemas/issues.js';
import { computeToTarget } from '../../workflows/episode.js';

describe('episode input', () => {
  it('fills defaults so `temporal workflow start --input {"competition": ...}` is enough', () => {
    const input = EpisodeInputSchema.parse({ competition: 'wine' });
    expect(input).toMatchObject({ agent: 'offline', skills: true, seed: 0, runTag: 'default', stopAtTarget: true, initialCandidates: [], budget: {} });
    expect(input.training).toEqual({ folds: 5, checkpointEvery: 1, heartbeatTimeoutSeconds: 30, maxAttempts: 5 });
  });

  it('names every bad field, and rejects unknown ones (typos would otherwise be silently ignored)', () => {
    const parsed = EpisodeInputSchema.safeParse({ competition: '', budget: { computeSeconds: -1, maxStep: 3 }, agent: 'gpt' });
    expect(parsed.success).toBe(false);
    const message = describeIssues(parsed.error!);
    expect(message).toMatch(/competition: a built-in competition id or a competition folder/);
    expect(message).toMatch(/budget\.computeSeconds: must be a positive number of seconds/);
    expect(message).toMatch(/budget: Unrecognized key: "maxStep"/);
    expect(message).toMatch(/agent: /);
  });
});

describe('competition.yaml', () => {
  const valid = {
    id: 'credit', title: 'Credit', domain: 'tabular', task_type: 'binary', target_column: 'y', id_column: 'id',
    metric: { name: 'roc_auc', direction: 'maximize' }, budget: { compute_seconds: 60, max_steps: 5 },
  };
  it('accepts a valid spec and checks the metric direction and the forecasting horizon', () => {
    expect(CompetitionYamlSchema.safeParse(valid).success).toBe(true);
    const wrongWay = CompetitionYamlSchema.safeParse({ ...valid, metric: { name: 'rmse', direction: 'maximize' } });
    expect(describeIssues(wrongWay.error!)).toBe('metric.direction: metric rmse is minimized, not maximized');
    const noHorizon = CompetitionYamlSchema.safeParse({ ...valid, task_type: 'forecasting', metric: { name: 'mae', direction: 'minimize' } });
    expect(describeIssues(noHorizon.error!)).toMatch(/^horizon: /);
  });
});

describe('compute to target', () => {
  const step = (computeSeconds: number, cvScore: number, gradedScore: number): StepRecord => ({
    step: 0, candidate: { template: 't', params: {} }, rationale: '', status: 'ok', improved: true, computeSeconds, cvScore, gradedScore,
    cpuSeconds: 0, gpuSeconds: 0, peakRssMb: 0, attempts: 1, resumedFromEpoch: 0,
  });
  it('sums compute until the incumbent (best by CV) first scores the target when graded', () => {
    expect(computeToTarget([step(10, 0.7, 0.7), step(5, 0.8, 0.81), step(7, 0.9, 0.9)], 0.8, 'maximize')).toBe(15);
    expect(computeToTarget([step(10, 3, 3), step(5, 2.5, 2.5)], 2.5, 'minimize')).toBe(15);
    expect(computeToTarget([step(10, 0.7, 0.7), step(5, 0.6, 0.9)], 0.8, 'maximize')).toBeNull(); // a worse-CV step scoring well is not what gets submitted
    expect(computeToTarget([step(10, 0.9, 0.9)], undefined, 'maximize')).toBeNull();
  });
});

describe('configuration and GPU slots', () => {
  it('a bad environment value names the variable and the value', () => {
    expect(() => loadConfig({ TEMPORAL_ADDRESS: 'localhost' })).toThrow(/TEMPORAL_ADDRESS: host:port.*got "localhost"/);
    expect(() => loadConfig({ HASTE_GPU_SLOTS: '0' })).toThrow(/HASTE_GPU_SLOTS/);
    expect(loadConfig({}).distill.promoteDomainAfter).toBe(2);
    expect(loadConfig({ HASTE_PROMOTE_DOMAIN_AFTER: '3' }).distill.promoteDomainAfter).toBe(3);
    expect(() => loadConfig({ HASTE_PROMOTE_DOMAIN_AFTER: '0' })).toThrow(/HASTE_PROMOTE_DOMAIN_AFTER: at least 1/);
    expect(() => loadConfig({ HASTE_PROMOTE_DOMAIN_AFTER: '1.5' })).toThrow(/HASTE_PROMOTE_DOMAIN_AFTER/);
  });

  it('reads visible GPUs from CUDA_VISIBLE_DEVICES and pins one slot per device', async () => {
    expect(detectGpuDevices({ CUDA_VISIBLE_DEVICES: '2,3' })).toEqual(['2', '3']);
    expect(detectGpuDevices({ CUDA_VISIBLE_DEVICES: '' })).toEqual([]);
    const pool = SlotPool.forDevices(['2', '3']);
    const a = await pool.acquire();
    const b = await pool.acquire();
    expect([a.device, b.device]).toEqual(['2', '3']);
    let third: string | undefined;
    const waiting = pool.acquire().then((s) => (third = s.device));
    await Promise.resolve();
    expect(third).toBeUndefined(); // no GPU is ever shared
    pool.release(a);
    await waiting;
    expect(third).toBe('2');
    expect(SlotPool.forDevices([]).slots).toEqual([{ index: 0, device: '' }]);
  });
});
