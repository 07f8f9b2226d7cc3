import { execFileSync } from 'node:child_process';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderTransferReport } from '../../report/transfer-html.js';
import { meanSem, TransferResultSchema, type ArmRun, type TransferResult } from '../../schemas/transfer.js';

function run(seed: number, arm: string, costPerStep: number, scores: number[], target: number): ArmRun {
  let compute = 0;
  let best = -Infinity;
  const curve = scores.map((s) => ((compute += costPerStep), (best = Math.max(best, s)), { compute, best }));
  const hit = curve.find((p) => p.best >= target);
  return {
    seed,
    workflowId: `${arm}-${seed}`,
    finalScore: best,
    computeToTarget: hit?.compute ?? null,
    computeSeconds: compute,
    computeUnit: 'cpu-seconds',
    steps: scores.length,
    stepsToBest: scores.length,
    keepRate: 0.5,
    curve,
    skillsUsed: arm === 'warm' ? ['s1'] : [],
    // An LLM agent's ledger: 100 prompt and 10 completion tokens a step; the target is reached at the step it is.
    promptTokens: 100 * scores.length,
    completionTokens: 10 * scores.length,
    tokensToTarget: hit ? 110 * (curve.indexOf(hit) + 1) : null,
    model: 'qwen',
  };
}

function fixture(): TransferResult {
  const competitions = ['titanic', 'wine'].map((competition, k) => {
    const target = 0.8 + k * 0.1;
    const arms = {
      cold: [0, 1, 2].map((s) => run(s, 'cold', 10, [target - 0.05, target - 0.02, target + 0.01], target)),
      warm: [0, 1, 2].map((s) => run(s, 'warm', 10, [target + 0.005, target + 0.01], target)),
      cold2x: [0, 1, 2].map((s) => run(s, 'cold2x', 10, [target - 0.05, target - 0.02, target + 0.01, target + 0.012], target)),
    };
    const ratios = arms.cold.map((c, i) => c.computeToTarget! / arms.warm[i]!.computeToTarget!);
    const skills = [{ id: 's1', tier: 'domain', title: 'tabular: target:log1p', status: 'active', uses: 3 }];
    return {
      competition,
      metric: 'accuracy',
      direction: 'maximize' as const,
      target,
      targetSource: 'competition' as const,
      arms,
      ratio: meanSem(ratios),
      train: ['breast-cancer'],
      skills,
      noise: 0.01,
      negativeTransfer: k === 1,
    };
  });
  return TransferResultSchema.parse({
    createdAt: '2026-11-24T00:00:00Z',
    rotation: 'tabular',
    split: [
      { heldout: 'titanic', train: ['breast-cancer', 'kr-vs-kp'] },
      { heldout: 'wine', train: ['breast-cancer', 'kr-vs-kp'] },
    ],
    computeUnit: 'cpu-seconds',
    agent: 'llm',
    train: ['breast-cancer', 'kr-vs-kp'],
    heldout: ['titanic', 'wine'],
    seeds: [0, 1, 2],
    budgetSeconds: 60,
    skills: [{ id: 's1', tier: 'domain', title: 'tabular: HGB lr 0.05', status: 'active', uses: 6 }],
    competitions,
    total: {
      ratio: meanSem(competitions.flatMap((c) => [c.ratio.mean])),
      reached: { cold: 6, warm: 6, cold2x: 6 },
      warmNotWorse: 6,
      comparisons: 6,
      warmBeatsCold2x: 6,
      negative: 1,
      stepsToBest: { cold: meanSem([3, 3]), warm: meanSem([2, 2]), cold2x: meanSem([4, 4]) },
      keepRate: { cold: meanSem([0.5]), warm: meanSem([0.5]), cold2x: meanSem([0.5]) },
    },
  });
}

const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

describe('transfer report', () => {
  it('is one self-contained page whose charts render in headless Chromium', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'haste-report-'));
    const html = path.join(dir, 'report.html');
    writeFileSync(html, renderTransferReport(fixture(), { qwen: { prompt_per_million: 1, completion_per_million: 2, currency: 'USD' } }));
    expect(renderTransferReport(fixture())).not.toMatch(/<script[^>]+src=|<link[^>]+href=/); // nothing fetched

    const profile = () => `--user-data-dir=${mkdtempSync(path.join(os.tmpdir(), 'haste-chromium-'))}`;
    const dom = execFileSync('chromium', [...CHROMIUM_FLAGS, profile(), '--virtual-time-budget=5000', '--dump-dom', `file://${html}`], {
      encoding: 'utf8',
      timeout: 60_000,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    expect(dom).toMatch(/<body data-charts="3">/); // the bars and one curve chart per competition
    expect(dom.match(/<polyline[^>]+data-arm=/g)).toHaveLength(2 * 9); // 2 competitions × 3 arms × 3 seeds
    expect(dom.match(/<rect[^>]+data-arm=/g)).toHaveLength(2 * 2);
    expect(dom).toMatch(/Cold \/ warm compute-to-target: 3\.00×/);
    expect(dom).toMatch(/compute measured in <b class="unit">CPU seconds of the runner<\/b>/);
    expect(dom).toMatch(/negative transfer on 1 of 2 competition\(s\)/);
    expect(dom).toMatch(/<b>Negative transfer<\/b>/);
    expect(dom).toMatch(/Refinement steps until the best: cold 3\.0 ± 0\.0, warm 2\.0 ± 0\.0/);
    expect(dom).toMatch(/<td class="used">tabular: target:log1p \| tabular: target:log1p \| tabular: target:log1p<\/td>/);
    expect(dom).toMatch(/<td>1<\/td><td>titanic<\/td><td>breast-cancer, kr-vs-kp<\/td>/);
    // LLM cost: tokens per run and to the target, per target reached (warm: 6 runs of 2 steps, all reached), in money too.
    expect(dom).toMatch(/<td class="tokens">200\+20, 200\+20, 200\+20<\/td><td>110, 110, 110<\/td>/);
    expect(dom).toMatch(
      /LLM tokens per target reached \(LLM agent\): .*warm: <b>220<\/b> \(1200 prompt \+ 120 completion over 6 reached\) · <span class="money">0\.001440 USD, 0\.000240 USD per target<\/span>/,
    );

    const png = path.join(dir, 'report.png');
    execFileSync('chromium', [...CHROMIUM_FLAGS, profile(), '--virtual-time-budget=5000', '--window-size=1200,1600', `--screenshot=${png}`, `file://${html}`], {
      timeout: 60_000,
      stdio: 'ignore',
    });
    expect(statSync(png).size).toBeGreaterThan(30_000); // a page of charts, not a blank one
    if (process.env.HASTE_KEEP_REPORT) console.log(`report screenshot: ${png}`);
  });
});
