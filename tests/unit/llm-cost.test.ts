import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { episodeModel, formatMoney, ledgerCost, priceTokens } from '../../agents/cost.js';
import { addUsage, emptyLedger } from '../../schemas/ledger.js';
import type { RoleUsage } from '../../agents/types.js';
import { describeRole } from '../../cli/commands/demo.js';
import { createProgressPrinter, describeStep, describeTokens, tokensOutput } from '../../cli/format.js';
import { loadPriceTable, PriceTableError, priceTableFromEnv } from '../../infra/prices.js';
import type { EpisodeStatus, EpisodeSummary, StepRecord } from '../../schemas/episode.js';
import type { PriceTable } from '../../schemas/prices.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'haste-prices-'));
const file = (name: string, text: string) => {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
};

const TABLE: PriceTable = {
  'gpt-4o-mini': { prompt_per_million: 0.15, completion_per_million: 0.6, currency: 'USD' },
  '*': { prompt_per_million: 1, completion_per_million: 2, currency: 'EUR' },
};

const usage = (role: RoleUsage['role'], promptTokens: number, completionTokens: number, extra: Partial<RoleUsage> = {}): RoleUsage => ({
  role,
  backend: 'llm',
  model: 'gpt-4o-mini',
  promptTokens,
  completionTokens,
  calls: 1,
  latencyMs: 1500,
  ...extra,
});

function step(n: number, u?: RoleUsage): StepRecord {
  return {
    step: n,
    candidate: { template: 'ridge', params: { alpha: 1 } },
    rationale: 'r',
    status: 'ok',
    cvScore: 0.5,
    improved: true,
    computeSeconds: 2,
    cpuSeconds: 2,
    gpuSeconds: 0,
    peakRssMb: 100,
    attempts: 1,
    resumedFromEpoch: 0,
    ...(u ? { usage: u } : {}),
  };
}

describe('price table (HASTE_LLM_PRICES)', () => {
  it('reads JSON and YAML files', () => {
    expect(loadPriceTable(file('p.json', JSON.stringify(TABLE)))).toEqual(TABLE);
    const yaml = file('p.yaml', 'qwen:\n  prompt_per_million: 0\n  completion_per_million: 0\n  currency: USD\n');
    expect(loadPriceTable(yaml)).toEqual({ qwen: { prompt_per_million: 0, completion_per_million: 0, currency: 'USD' } });
    expect(priceTableFromEnv({})).toBeNull();
    expect(priceTableFromEnv({ HASTE_LLM_PRICES: yaml })).not.toBeNull();
  });

  it('rejects a bad file naming the file and the field', () => {
    const negative = file('neg.json', JSON.stringify({ m: { prompt_per_million: -1, completion_per_million: 1, currency: 'USD' } }));
    expect(() => loadPriceTable(negative)).toThrow(PriceTableError);
    expect(() => loadPriceTable(negative)).toThrow(/neg\.json: m\.prompt_per_million: must be 0 or more/);
    const currency = file('cur.json', JSON.stringify({ m: { prompt_per_million: 1, completion_per_million: 1, currency: 'dollars' } }));
    expect(() => loadPriceTable(currency)).toThrow(/m\.currency: a three-letter currency code/);
    const missing = file('miss.json', JSON.stringify({ m: { prompt_per_million: 1, currency: 'USD' } }));
    expect(() => loadPriceTable(missing)).toThrow(/m\.completion_per_million/);
    const extra = file('extra.json', JSON.stringify({ m: { prompt_per_million: 1, completion_per_million: 1, currency: 'USD', per_call: 3 } }));
    expect(() => loadPriceTable(extra)).toThrow(/per_call/);
    expect(() => loadPriceTable(file('empty.json', '{}'))).toThrow(/at least one model/);
    expect(() => loadPriceTable(file('bad.json', '{"m": ['))).toThrow(/not valid JSON or YAML/);
    expect(() => loadPriceTable(path.join(dir, 'absent.json'))).toThrow(/absent\.json: cannot read it \(ENOENT\)/);
  });

  it('prices tokens by the model, else the * row', () => {
    expect(priceTokens(TABLE, 'gpt-4o-mini', 1_000_000, 500_000)).toEqual({ amount: 0.45, currency: 'USD' });
    expect(priceTokens(TABLE, 'other', 2_000, 1_000)).toEqual({ amount: 0.004, currency: 'EUR' });
    expect(priceTokens({ m: TABLE['gpt-4o-mini']! }, 'other', 1, 1)).toBeNull();
    expect(formatMoney({ amount: 0.000135, currency: 'USD' })).toBe('0.000135 USD');
    expect(formatMoney({ amount: 12.3456, currency: 'EUR' })).toBe('12.35 EUR');
    expect(formatMoney({ amount: 0, currency: 'USD' })).toBe('0.00 USD');
  });

  it('prices a ledger in all and per role', () => {
    const ledger = [usage('planner', 600, 40), usage('engineer', 1000, 60), usage('engineer', 1200, 50, { backend: 'offline', fallback: 'x' })].reduce(addUsage, emptyLedger());
    const cost = ledgerCost(TABLE, ledger, 'gpt-4o-mini')!;
    expect(cost.total.amount).toBeCloseTo((2800 * 0.15 + 150 * 0.6) / 1e6, 12);
    expect(cost.byRole.engineer!.amount).toBeCloseTo((2200 * 0.15 + 110 * 0.6) / 1e6, 12);
    expect(cost.byRole.planner!.currency).toBe('USD');
    expect(ledgerCost({ m: TABLE['gpt-4o-mini']! }, ledger, 'gpt-4o-mini')).toBeNull();
  });
});

describe('cost in the CLI', () => {
  it('shows prompt and completion tokens on a step, and money when priced', () => {
    expect(describeStep(step(3, usage('engineer', 512, 40)))).toMatch(/step 3: ridge .* \[engineer 512\+40 tokens\]$/);
    expect(describeStep(step(3, usage('engineer', 1_000_000, 0)), TABLE)).toMatch(/\[engineer 1000000\+0 tokens 0\.1500 USD\]$/);
    expect(describeStep(step(4, usage('debugger', 10, 0, { backend: 'offline', fallback: 'down' })))).toMatch(/\[debugger 10\+0 tokens, offline fallback\]$/);
    // Offline agents record no usage: the step line stays as it was.
    expect(describeStep(step(5))).not.toMatch(/tokens/);
  });

  it('shows the episode per role, with money and a missing price said as such', () => {
    const ledger = [usage('planner', 600, 40), usage('engineer', 1000, 60), usage('distiller', 900, 200)].reduce(addUsage, emptyLedger());
    const plain = describeTokens(ledger, 'gpt-4o-mini');
    expect(plain[0]).toBe('  LLM tokens: 2800 (prompt 2500, completion 300) from gpt-4o-mini');
    expect(plain.slice(1)).toEqual([
      '    planner: 600+40 tokens in 1 call(s), 1.5 s',
      '    engineer: 1000+60 tokens in 1 call(s), 1.5 s',
      '    distiller: 900+200 tokens in 1 call(s), 1.5 s',
    ]);
    const priced = describeTokens(ledger, 'gpt-4o-mini', TABLE);
    expect(priced[0]).toMatch(/; cost 0\.000555 USD$/);
    expect(priced[2]).toMatch(/engineer: .*, 0\.000186 USD$/);
    expect(describeTokens(ledger, 'local', { m: TABLE['gpt-4o-mini']! })[0]).toMatch(/no price for model local in HASTE_LLM_PRICES/);
  });

  it('demo progress: each step, its tokens and cost, then the role and its rationale right under it', () => {
    const lines: string[] = [];
    const print = createProgressPrinter((l) => lines.push(l), { prices: TABLE, detail: describeRole });
    const status = (steps: number, lastStep: StepRecord | null): EpisodeStatus =>
      ({ phase: 'training', steps, lastStep, currentStep: null, paused: false, computeSeconds: 0, budgetComputeSeconds: 60 }) as unknown as EpisodeStatus;
    print(status(0, null));
    const fallback = {
      ...step(0, usage('engineer', 3000, 300, { backend: 'offline', fallback: 'no usable reply in 3 tries', latencyMs: 33_900 })),
      rationale: 'screening prototype 1/3',
    };
    print(status(1, fallback));
    print(status(1, fallback)); // polled again: nothing new
    expect(lines).toEqual([
      '  … training',
      expect.stringMatching(/^  step 0: ridge .* \[engineer 3000\+300 tokens 0\.000630 USD, offline fallback\]$/),
      '      engineer (offline fallback), 33.9 s: screening prototype 1/3 [no usable reply in 3 tries]',
    ]);
  });

  it('finds the episode model and prices it for --json', () => {
    const summary = {
      ledger: [step(0), step(1, usage('engineer', 100, 10))],
      distilled: { skillIds: [], titles: [], rationale: '', usage: usage('distiller', 50, 5) },
      tokens: [usage('engineer', 100, 10), usage('distiller', 50, 5)].reduce(addUsage, emptyLedger()),
    } as unknown as EpisodeSummary;
    expect(episodeModel(summary)).toBe('gpt-4o-mini');
    const out = tokensOutput(summary, TABLE);
    expect(out.model).toBe('gpt-4o-mini');
    expect(out.cost!.total.amount).toBeCloseTo((150 * 0.15 + 15 * 0.6) / 1e6, 12);
    expect(tokensOutput(summary, null).cost).toBeNull();
  });
});
