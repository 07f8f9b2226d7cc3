/**
 * Latency and tokens per call of each LLM role (planner, engineer, debugger, distiller) on this
 * machine: each role is asked `--reps` times against the local model (OPENAI_BASE_URL replaces it),
 * with realistic contexts for a built-in competition, and the debugger once more on a failed solution.py
 * (the `custom` template: the model must write code); prints p50/p90 latency per call, mean prompt and
 * completion tokens per call, how often the first reply was valid and how often a role fell back.
 *
 *   npm run bench:llm-roles -- [--reps 3] [--competition titanic]
 */
import { parseArgs } from 'node:util';
import { offlineAgent } from '../agents/index.js';
import { createLlmAgentFromConfig } from '../agents/llm/agent.js';
import type { RoleUsage, StepView } from '../agents/types.js';
import { loadCompetitionSpec } from '../infra/competitions.js';
import { ephemeralConfig } from '../infra/ephemeral.js';
import { startLlmServer, stopLlmServer } from '../infra/llm-server.js';
import { codeSha256 } from '../infra/solution-code.js';
import type { Candidate } from '../schemas/training.js';

export interface RoleFigures {
  /** The role, or a role on a particular kind of request (e.g. the debugger fixing a solution.py). */
  role: string;
  invocations: number;
  calls: number;
  /** Invocations whose first reply was used (no correction, no fallback). */
  firstTry: number;
  fallbacks: number;
  p50LatencyS: number;
  p90LatencyS: number;
  meanPromptTokens: number;
  meanCompletionTokens: number;
  /** Completion tokens per second of model time. */
  tokensPerSecond: number;
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** One role's figures per call (each reply, corrections included) from its invocations' usage with exchanges. */
export function summarizeRole(role: string, usages: RoleUsage[]): RoleFigures {
  const calls = usages.flatMap((u) => u.exchanges ?? []);
  const latencies = calls.map((c) => c.latencyMs / 1000).sort((a, b) => a - b);
  const sum = (f: (c: (typeof calls)[number]) => number) => calls.reduce((s, c) => s + f(c), 0);
  const seconds = sum((c) => c.latencyMs) / 1000;
  return {
    role,
    invocations: usages.length,
    calls: calls.length,
    firstTry: usages.filter((u) => !u.fallback && u.calls === 1).length,
    fallbacks: usages.filter((u) => u.fallback).length,
    p50LatencyS: quantile(latencies, 0.5),
    p90LatencyS: quantile(latencies, 0.9),
    meanPromptTokens: calls.length ? sum((c) => c.promptTokens) / calls.length : 0,
    meanCompletionTokens: calls.length ? sum((c) => c.completionTokens) / calls.length : 0,
    tokensPerSecond: seconds > 0 ? sum((c) => c.completionTokens) / seconds : 0,
  };
}

/** A markdown table of the figures (pasted into the README's LLM section). */
export function formatRoleTable(rows: RoleFigures[]): string[] {
  const n = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '–');
  return [
    '| role | invocations | calls | first reply valid | fallbacks | p50 s/call | p90 s/call | prompt tokens/call | completion tokens/call | completion tokens/s |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${r.role} | ${r.invocations} | ${r.calls} | ${r.firstTry}/${r.invocations} | ${r.fallbacks} | ${n(r.p50LatencyS)} | ${n(r.p90LatencyS)} | ${n(r.meanPromptTokens, 0)} | ${n(r.meanCompletionTokens, 0)} | ${n(r.tokensPerSecond)} |`,
    ),
  ];
}

const view = (step: number, candidate: Candidate, cvScore?: number, error?: string): StepView => ({
  step,
  candidate,
  status: error ? 'failed' : 'ok',
  ...(cvScore !== undefined ? { cvScore } : {}),
  ...(error ? { error } : {}),
  computeSeconds: 8,
});

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { reps: { type: 'string', default: '3' }, competition: { type: 'string', default: 'titanic' } } });
  const reps = Number(values.reps);
  if (!Number.isInteger(reps) || reps < 1) throw new Error(`--reps: a whole number ≥ 1 (got ${values.reps})`);
  const config = await ephemeralConfig('llm-roles');
  const local = !config.llm.baseURL;
  if (local) console.log(`local model at ${(await startLlmServer(config, { log: console.log })).baseURL}`);
  try {
    const competition = await loadCompetitionSpec(config, values.competition!);
    // Every reply is measured, the corrections too; the activity would move `exchanges` to the artifact store.
    const llm = createLlmAgentFromConfig(config, offlineAgent, 3);
    const plan = await offlineAgent.plan({ competition, seed: 0, skills: [] });
    // A run so far as the engineer and distiller see it: two screened templates, a refinement, one failure.
    const history: StepView[] = [
      view(0, { template: 'hist_gradient_boosting', params: {} }, 0.8126),
      view(1, { template: 'random_forest', params: { min_samples_leaf: 2 } }, 0.8014),
      view(2, { template: 'knn', params: { n_neighbors: 900 } }, undefined, "knn: template 'knn' param 'n_neighbors': expected an int in [1, 500], got 900"),
      view(3, { template: 'hist_gradient_boosting', params: { learning_rate: 0.05, max_leaf_nodes: 31 } }, 0.8238),
    ];
    // A solution.py that fails: the debugger has to write the whole file back (nothing checks that it runs).
    const brokenCode = [
      'from sklearn.linear_model import LogisticRegression',
      '',
      'def make_model(task_type, seed):',
      '    return LogisticRegression(C=-1.0, random_state=seed)',
      '',
    ].join('\n');
    const failedCustom: StepView = {
      ...view(4, { template: 'custom', params: { code_sha256: codeSha256(brokenCode) } }),
      status: 'failed',
      error: "solution.py fit failed: InvalidParameterError: The 'C' parameter of LogisticRegression must be a float in the range (0.0, inf). Got -1.0 instead.",
    };
    const usages: Record<string, RoleUsage[]> = { planner: [], engineer: [], debugger: [], distiller: [], 'debugger (solution.py)': [] };
    const record = (role: string, usage: RoleUsage | undefined) => {
      const list = (usages[role] ??= []);
      if (usage) list.push(usage);
      const u = usage;
      console.log(
        `  ${role} #${list.length}: ${u ? `${u.calls} call(s), ${u.promptTokens}+${u.completionTokens} tokens, ${(u.latencyMs / 1000).toFixed(1)} s${u.fallback ? `, fell back: ${u.fallback}` : ''}` : 'no usage (the role answered null after falling back: its tokens are not reported)'}`,
      );
    };
    for (let rep = 0; rep < reps; rep++) {
      record('planner', (await llm.plan({ competition, seed: rep, skills: [] })).usage);
      const proposal = await llm.propose({
        competition,
        plan,
        history,
        seed: rep,
        step: history.length,
        remainingComputeSeconds: 40,
        maxSteps: 10,
        initialCandidates: [],
      });
      record('engineer', proposal?.usage);
      const failed = history[2]!;
      record('debugger', (await llm.debug({ competition, plan, history, failed, attempt: 1, seed: rep, step: history.length }))?.usage);
      record('distiller', (await llm.distill({ competition, history, seed: rep })).usage);
      const fix = await llm.debug({ competition, plan, history: [...history, failedCustom], failed: failedCustom, failedCode: brokenCode, attempt: 1, seed: rep, step: 5 });
      record('debugger (solution.py)', fix?.usage);
      if (rep === 0 && fix) console.log(`    its solution.py (${fix.candidate.template}):\n${String(fix.candidate.params.code ?? '').replace(/^/gm, '      | ')}`);
    }
    const rows = Object.keys(usages).map((role) => summarizeRole(role, usages[role]!));
    console.log(`\n${values.competition}, ${reps} invocation(s) per role, model ${usages.planner![0]?.model ?? '?'}:`);
    for (const line of formatRoleTable(rows)) console.log(line);
  } finally {
    if (local) await stopLlmServer(config);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
