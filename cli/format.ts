import { episodeModel, formatMoney, ledgerCost, priceTokens } from '../agents/cost.js';
import type { TokenLedger } from '../schemas/ledger.js';
import type { RoleUsage } from '../agents/types.js';
import type { EpisodeStatus, EpisodeSummary, StepRecord } from '../schemas/episode.js';
import type { PriceTable } from '../schemas/prices.js';

/** One role call's cost on a step: role, prompt + completion tokens, money when priced, any fallback. */
export function describeUsage(u: RoleUsage, prices: PriceTable | null = null): string {
  const money = prices ? priceTokens(prices, u.model, u.promptTokens, u.completionTokens) : null;
  const fallback = u.backend === 'offline' ? ', offline fallback' : '';
  return `${u.role} ${u.promptTokens}+${u.completionTokens} tokens${money ? ` ${formatMoney(money)}` : ''}${fallback}`;
}

export function describeStep(s: StepRecord, prices: PriceTable | null = null): string {
  const params = Object.keys(s.candidate.params).length ? ` ${JSON.stringify(s.candidate.params)}` : '';
  const outcome = s.status === 'ok' ? `cv ${s.cvScore?.toFixed(5)}${s.improved ? ' ★' : ''}` : `${s.status}${s.error ? `: ${s.error}` : ''}`;
  const resumed = s.attempts > 1 ? ` (attempt ${s.attempts}, resumed at epoch ${s.resumedFromEpoch})` : '';
  const usage = s.usage ? ` [${describeUsage(s.usage, prices)}]` : '';
  return `  step ${s.step}: ${s.candidate.template}${params} → ${outcome} in ${s.computeSeconds.toFixed(1)} s${resumed}${usage}`;
}

/**
 * The episode's LLM cost: prompt and completion tokens in all and per role (calls, latency,
 * fallbacks to the offline role), and money when a price table is set.
 */
export function describeTokens(ledger: TokenLedger, model?: string, prices: PriceTable | null = null): string[] {
  const cost = prices ? ledgerCost(prices, ledger, model) : null;
  const priced = prices ? (cost ? `; cost ${formatMoney(cost.total)}` : `; no price for model ${model ?? '(none answered)'} in HASTE_LLM_PRICES`) : '';
  const lines = [
    `  LLM tokens: ${ledger.promptTokens + ledger.completionTokens} (prompt ${ledger.promptTokens}, completion ${ledger.completionTokens})${model ? ` from ${model}` : ''}${priced}`,
  ];
  for (const [role, r] of Object.entries(ledger.byRole)) {
    const money = cost?.byRole[role as keyof typeof cost.byRole];
    lines.push(
      `    ${role}: ${r.promptTokens}+${r.completionTokens} tokens in ${r.calls} call(s), ${(r.latencyMs / 1000).toFixed(1)} s${r.fallbacks ? `, ${r.fallbacks} fallback(s) to offline` : ''}${money ? `, ${formatMoney(money)}` : ''}`,
    );
  }
  return lines;
}

/** The episode's cost for `--json` output: tokens per role, and money when priced (null otherwise). */
export function tokensOutput(summary: EpisodeSummary, prices: PriceTable | null) {
  if (!summary.tokens) return { tokens: null, model: null, cost: null };
  const cost = prices ? ledgerCost(prices, summary.tokens, episodeModel(summary)) : null;
  return { tokens: summary.tokens, model: episodeModel(summary) ?? null, cost };
}

/** Prints each step once as it finishes, plus what is training now. */
export interface ProgressOptions {
  /** Turns tokens into money on each step line. */
  prices?: PriceTable | null;
  /** A line printed right under each finished step (the demo: the role's rationale). */
  detail?: (step: StepRecord) => string;
}

export function createProgressPrinter(write: (line: string) => void = (l) => process.stderr.write(`${l}\n`), options: ProgressOptions = {}) {
  let printedSteps = 0;
  let lastLine = '';
  return (status: EpisodeStatus) => {
    if (status.lastStep && status.steps > printedSteps) {
      printedSteps = status.steps;
      write(describeStep(status.lastStep, options.prices ?? null));
      if (options.detail) write(options.detail(status.lastStep));
    }
    const line = status.currentStep
      ? `  … training step ${status.currentStep.step}: ${status.currentStep.candidate.template} (${status.computeSeconds.toFixed(0)}/${status.budgetComputeSeconds} s used)`
      : `  … ${status.phase}${status.paused ? ' (paused)' : ''}`;
    if (line !== lastLine) {
      lastLine = line;
      write(line);
    }
  };
}

export interface RunOutput {
  workflowId: string;
  runId: string;
  competitionId: string;
  status: string;
  metric: string | null;
  bestScore: number | null;
  finalScore: number | null;
  baselineScore: number | null;
  steps: number;
  computeSeconds: number;
  stopReason: string | null;
}

export function summaryOutput(runId: string, summary: EpisodeSummary): RunOutput {
  return {
    workflowId: summary.workflowId,
    runId,
    competitionId: summary.competitionId,
    status: 'COMPLETED',
    metric: summary.metric,
    bestScore: summary.finalScore ?? summary.bestCvScore,
    finalScore: summary.finalScore,
    baselineScore: summary.baselineScore,
    steps: summary.steps,
    computeSeconds: summary.computeSeconds,
    stopReason: summary.stopReason,
  };
}

export function printSummary(summary: EpisodeSummary, write: (line: string) => void = console.log): void {
  write(`${summary.competitionId}: ${summary.stopReason} after ${summary.steps} steps, ${summary.computeSeconds.toFixed(1)} s of compute`);
  write(`  best candidate: ${summary.bestCandidate ? `${summary.bestCandidate.template} ${JSON.stringify(summary.bestCandidate.params)}` : 'none'}`);
  write(
    `  ${summary.metric}: cv ${summary.bestCvScore?.toFixed(5) ?? '-'}, graded ${summary.finalScore?.toFixed(5) ?? '-'} (naive baseline ${summary.baselineScore?.toFixed(5) ?? '-'}, target ${summary.targetScore ?? '-'})`,
  );
}
