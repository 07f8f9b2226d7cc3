import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../infra/config.js';
import { detectGpuDevices, SlotPool } from '../../infra/gpu-slots.js';
import { CompetitionYamlSchema, competitionYamlProblems } from '../../schemas/competition.js';
import { EpisodeInputSchema, type StepRecord } from '../../schemas/episode.js';
import { describeIssues } from '../../schemas/issues.js';
import { computeToTarget } from '../../schemas/incumbent.js';

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
    id: 'credit',
    title: 'Credit',
    domain: 'tabular',
    task_type: 'binary',
    target_column: 'y',
    id_column: 'id',
    metric: { name: 'roc_auc', direction: 'maximize' },
    budget: { compute_seconds: 60, max_steps: 5 },
  };
  const problems = (raw: Record<string, unknown>) => {
    const parsed = CompetitionYamlSchema.safeParse(raw);
    return parsed.success ? [] : competitionYamlProblems(parsed.error, raw).map((p) => `${p.field}: ${p.message}`);
  };

  it('accepts a spec without source (bring-your-own folders rarely have one) and user-defined domains', () => {
    expect(problems(valid)).toEqual([]);
    expect(problems({ ...valid, domain: 'credit-risk' })).toEqual([]);
  });

  it('checks the metric against its direction and the task type, naming the field and the fix', () => {
    expect(problems({ ...valid, metric: { name: 'roc_auc', direction: 'minimize' } })).toEqual([
      expect.stringMatching(/^metric\.direction: got "minimize", expected "maximize"; .*roc_auc \(maximize\)/),
    ]);
    expect(problems({ ...valid, metric: { name: 'rmse', direction: 'minimize' } })).toEqual([
      expect.stringMatching(/^metric\.name: got "rmse", expected one of "accuracy", .*binary tasks take/),
    ]);
    expect(problems({ ...valid, task_type: 'multiclass', metric: { name: 'roc_auc', direction: 'maximize' } })[0]).toMatch(/^metric\.name: /);
  });

  it('rejects unknown keys, and keys of another task type, saying which keys fit', () => {
    expect(problems({ ...valid, target_col: 'y' })).toEqual([expect.stringMatching(/^target_col: unknown key "target_col": remove or rename \(keys here: id, /)]);
    expect(problems({ ...valid, horizon: 3 })[0]).toMatch(/^horizon: unknown key/);
    expect(problems({ ...valid, budget: { compute_seconds: 1, max_step: 2 } })).toContain(
      'budget.max_step: unknown key "max_step": remove or rename (keys here: compute_seconds, max_steps)',
    );
  });

  it('ties domains to the task types the templates serve', () => {
    expect(problems({ ...valid, task_type: 'regression', domain: 'text', metric: { name: 'rmse', direction: 'minimize' } })[0]).toMatch(
      /^domain: got "text"; .*binary or multiclass only/,
    );
    expect(problems({ ...valid, domain: 'time-series' })[0]).toMatch(/^domain: /);
    const forecasting = { ...valid, task_type: 'forecasting', domain: 'time-series', metric: { name: 'mae', direction: 'minimize' } };
    expect(problems(forecasting)).toEqual([expect.stringMatching(/^horizon: missing; /)]);
    expect(problems({ ...forecasting, horizon: 4, series_column: 'store', time_column: 'date', value_column: 'sales', frequency: 'W-SUN' })).toEqual([]);
  });

  it('describes text columns and images as users have them', () => {
    expect(problems({ ...valid, text_columns: ['title', 'body'] })).toEqual([]);
    expect(problems({ ...valid, domain: 'vision', image: { height: 32, width: 48, channels: 3, layout: 'chw', pixel_pattern: 'pixel{i}' } })).toEqual([]);
    expect(problems({ ...valid, image: { height: 8, width: 8, pixel_pattern: 'p_{r}' } })[0]).toMatch(/^image\.pixel_pattern: got "p_\{r\}"; .*\{r\} and \{c\}/);
    expect(problems({ ...valid, text_columns: [] })[0]).toMatch(/^text_columns: /);
  });
});

describe('compute to target', () => {
  const step = (computeSeconds: number, cvScore: number, gradedScore: number): StepRecord => ({
    step: 0,
    candidate: { template: 't', params: {} },
    rationale: '',
    status: 'ok',
    improved: true,
    computeSeconds,
    cvScore,
    gradedScore,
    cpuSeconds: 0,
    gpuSeconds: 0,
    peakRssMb: 0,
    attempts: 1,
    resumedFromEpoch: 0,
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
