import { describe, expect, it } from 'vitest';
import { addUsage, emptyLedger } from '../../schemas/ledger.js';
import type { RoleUsage } from '../../agents/types.js';
import { formatRoleTable, summarizeRole } from '../../bench/llm-roles.js';
import { armRun, tokensToTarget } from '../../bench/transfer.js';
import { costPerTarget } from '../../report/transfer-html.js';
import type { EpisodeSummary, StepRecord } from '../../schemas/episode.js';
import { armTokens, ArmRunSchema } from '../../schemas/transfer.js';

const usage = (role: RoleUsage['role'], promptTokens: number, completionTokens: number): RoleUsage => ({
  role,
  backend: 'llm',
  model: 'qwen',
  promptTokens,
  completionTokens,
  calls: 1,
  latencyMs: 1000,
});

function step(n: number, cvScore: number, gradedScore: number, u?: RoleUsage): StepRecord {
  return {
    step: n,
    candidate: { template: 'ridge', params: { alpha: n } },
    rationale: 'r',
    status: 'ok',
    cvScore,
    gradedScore,
    improved: true,
    computeSeconds: 10,
    cpuSeconds: 10,
    gpuSeconds: 0,
    peakRssMb: 100,
    attempts: 1,
    resumedFromEpoch: 0,
    ...(u ? { usage: u } : {}),
  };
}

function summary(): EpisodeSummary {
  const uses = [usage('planner', 500, 50), usage('engineer', 600, 60), usage('engineer', 700, 70), usage('distiller', 300, 100)];
  return {
    workflowId: 'w',
    competitionId: 'c',
    metric: 'accuracy',
    direction: 'maximize',
    bestCvScore: 0.9,
    finalScore: 0.9,
    baselineScore: 0.5,
    targetScore: 0.85,
    steps: 3,
    computeSeconds: 30,
    computeToTarget: 20,
    stopReason: 'max-steps',
    stopDetail: null,
    bestCandidate: null,
    // The first step was requested (no model asked); the engineer answered the next two.
    ledger: [step(0, 0.7, 0.7), step(1, 0.86, 0.86, uses[1]), step(2, 0.9, 0.9, uses[2])],
    trajectory: null,
    continuedAsNew: 0,
    tokens: uses.reduce(addUsage, emptyLedger()),
    distilled: { skillIds: [], titles: [], rationale: '', usage: uses[3] },
  };
}

describe('LLM tokens in the transfer benchmark', () => {
  it('counts tokens until the target: the planner and the steps up to it, not the distiller', () => {
    expect(tokensToTarget(summary(), 0.85)).toBe(550 + 660);
    expect(tokensToTarget(summary(), 0.88)).toBe(550 + 660 + 770);
    expect(tokensToTarget(summary(), 0.95)).toBeNull();
    const run = armRun(summary(), 0, 0.85);
    expect(run).toMatchObject({ promptTokens: 2100, completionTokens: 280, tokensToTarget: 1210, model: 'qwen' });
    // Results from before the ledger parse with zero tokens.
    const { promptTokens: _p, completionTokens: _c, tokensToTarget: _t, model: _m, ...old } = run;
    expect(ArmRunSchema.parse(old)).toMatchObject({ promptTokens: 0, completionTokens: 0, tokensToTarget: null });
  });

  it('divides an arm’s tokens by the targets reached (tokens per medal), and prices them', () => {
    const reached = armRun(summary(), 0, 0.85);
    const missed = armRun(summary(), 1, 0.95);
    expect(armTokens([reached, missed])).toEqual({ promptTokens: 4200, completionTokens: 560, reached: 1, perTarget: 4760 });
    expect(armTokens([missed]).perTarget).toBeNull();
    const prices = { qwen: { prompt_per_million: 1, completion_per_million: 4, currency: 'USD' } };
    const cost = costPerTarget([reached, missed], prices)!;
    expect(cost.total.amount).toBeCloseTo((4200 + 4 * 560) / 1e6, 12);
    expect(cost.perTarget!.amount).toBeCloseTo(cost.total.amount, 12);
    expect(costPerTarget([reached], { other: prices.qwen })).toBeNull();
    // An offline arm spends nothing: zero, not unknown.
    const offline = { ...missed, promptTokens: 0, completionTokens: 0, model: undefined };
    expect(costPerTarget([offline], { other: prices.qwen })).toEqual({ total: { amount: 0, currency: 'USD' }, perTarget: null });
  });
});

describe('bench:llm-roles figures', () => {
  it('summarizes per call, corrections included, and says how often the first reply was used', () => {
    const exchange = (promptTokens: number, completionTokens: number, latencyMs: number) => ({ request: {}, reply: '{}', promptTokens, completionTokens, latencyMs });
    const first = { ...usage('engineer', 800, 60), exchanges: [exchange(800, 60, 6000)] };
    const corrected = { ...usage('engineer', 1800, 140), calls: 2, exchanges: [exchange(800, 70, 8000), exchange(1000, 70, 10000)] };
    const fellBack = { ...usage('engineer', 0, 0), calls: 0, backend: 'offline' as const, fallback: 'endpoint down', exchanges: [] };
    const row = summarizeRole('engineer', [first, corrected, fellBack]);
    expect(row).toMatchObject({ invocations: 3, calls: 3, firstTry: 1, fallbacks: 1, p50LatencyS: 8, p90LatencyS: 10, meanPromptTokens: 2600 / 3, meanCompletionTokens: 200 / 3 });
    expect(row.tokensPerSecond).toBeCloseTo(200 / 24, 9);
    const table = formatRoleTable([row, summarizeRole('planner', [])]);
    expect(table[2]).toBe('| engineer | 3 | 3 | 1/3 | 1 | 8.0 | 10.0 | 867 | 67 | 8.3 |');
    expect(table[3]).toBe('| planner | 0 | 0 | 0/0 | 0 | – | – | 0 | 0 | 0.0 |');
  });
});
