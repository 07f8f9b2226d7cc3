/**
 * The offline engineer, cold, over the built-in suite on the real stack (its own dev server, empty
 * skill library): per competition the graded best score, the naive baseline, a standard baseline
 * (HistGradientBoosting / TF-IDF + logistic regression / seasonal naive, defaults, one step), the
 * target, compute seconds and steps. Prints a markdown table; `--out` writes it to a file.
 *
 *   npm run bench:suite -- [--only a,b] [--budget-seconds N] [--out docs/suite.md]
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { startEpisode } from '../cli/client.js';
import { builtinIds, loadCompetitionSpec } from '../infra/competitions.js';
import type { HasteConfig } from '../infra/config.js';
import { startDevServer, stopDevServer } from '../infra/dev-server.js';
import { ephemeralConfig } from '../infra/ephemeral.js';
import { isBetter } from '../schemas/competition.js';
import type { Candidate } from '../schemas/training.js';
import { startInProcessWorkers } from '../workers/in-process.js';

/** The standard baseline the issue names for each domain: a strong default, one step, no search. */
export function standardBaseline(domain: string): Candidate {
  if (domain === 'text') return { template: 'tfidf_logistic', params: {} };
  if (domain === 'time-series') return { template: 'seasonal_naive', params: {} };
  return { template: 'hist_gradient_boosting', params: {} };
}

export interface SuiteRow {
  competition: string;
  domain: string;
  metric: string;
  direction: 'maximize' | 'minimize';
  best: number | null;
  naive: number | null;
  standard: number | null;
  target: number | null;
  computeSeconds: number;
  steps: number;
  beatsNaive: boolean;
}

/** Runs the standard baseline and the cold offline engineer on each competition, one after another. */
export async function runSuite(config: HasteConfig, client: Client, competitions: string[], budgetSeconds?: number, log: (l: string) => void = () => undefined): Promise<SuiteRow[]> {
  const rows: SuiteRow[] = [];
  const tag = `suite-${Date.now()}`;
  for (const id of competitions) {
    const spec = await loadCompetitionSpec(config, id);
    const common = { competition: id, skills: false, learn: false } as const;
    const standard = await (await startEpisode(config, client, { ...common, runTag: `${tag}-standard`, budget: { maxSteps: 1 }, initialCandidates: [standardBaseline(spec.domain)] })).handle.result();
    const engineer = await (await startEpisode(config, client, { ...common, runTag: `${tag}-engineer`, budget: budgetSeconds ? { computeSeconds: budgetSeconds } : {} })).handle.result();
    const row: SuiteRow = {
      competition: id,
      domain: spec.domain,
      metric: spec.metric,
      direction: spec.direction,
      best: engineer.finalScore,
      naive: engineer.baselineScore,
      standard: standard.finalScore,
      target: spec.targetScore ?? null,
      computeSeconds: engineer.computeSeconds,
      steps: engineer.steps,
      beatsNaive: engineer.finalScore !== null && engineer.baselineScore !== null && isBetter(engineer.finalScore, engineer.baselineScore, spec.direction),
    };
    rows.push(row);
    log(`${id}: best ${row.best?.toFixed(4)} naive ${row.naive?.toFixed(4)} standard ${row.standard?.toFixed(4)} target ${row.target ?? '-'} in ${row.computeSeconds.toFixed(1)} s / ${row.steps} steps`);
  }
  return rows;
}

export function suiteTable(rows: SuiteRow[], budgetSeconds?: number): string {
  const f = (x: number | null) => (x === null ? '–' : Math.abs(x) >= 100 ? x.toFixed(1) : x.toFixed(4));
  const lines = [
    `Offline engineer, cold (no skills), ${budgetSeconds ? `${budgetSeconds} s of compute per competition` : "each competition's default budget"}; graded on hidden answers. Standard baseline: HistGradientBoosting (tabular, vision), TF-IDF + logistic regression (text), seasonal naive (time series), defaults, one step.`,
    '',
    '| competition | domain | metric | engineer | naive baseline | standard baseline | target | compute s | steps | beats naive |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r.competition} | ${r.domain} | ${r.metric} (${r.direction === 'maximize' ? '↑' : '↓'}) | ${f(r.best)} | ${f(r.naive)} | ${f(r.standard)} | ${f(r.target)} | ${r.computeSeconds.toFixed(1)} | ${r.steps} | ${r.beatsNaive ? 'yes' : '**no**'} |`),
    '',
    `Beats the naive baseline on ${rows.filter((r) => r.beatsNaive).length} of ${rows.length}; reaches the target on ${rows.filter((r) => r.best !== null && r.target !== null && !isBetter(r.target, r.best, r.direction)).length}; at least the standard baseline on ${rows.filter((r) => r.best !== null && r.standard !== null && !isBetter(r.standard, r.best, r.direction)).length}.`,
  ];
  return lines.join('\n');
}

async function main() {
  const { values } = parseArgs({ options: { only: { type: 'string' }, 'budget-seconds': { type: 'string' }, out: { type: 'string' } } });
  const competitions = values.only ? values.only.split(',') : builtinIds();
  const budgetSeconds = values['budget-seconds'] ? Number(values['budget-seconds']) : undefined;
  const config = await ephemeralConfig('suite-bench');
  await startDevServer(config);
  const workers = await startInProcessWorkers(config);
  const client = new Client({ connection: await Connection.connect({ address: config.temporalAddress }), namespace: config.namespace });
  try {
    const rows = await runSuite(config, client, competitions, budgetSeconds, (l) => process.stderr.write(`${l}\n`));
    const table = suiteTable(rows, budgetSeconds);
    console.log(table);
    if (values.out) writeFileSync(values.out, `# The built-in suite, offline engineer cold\n\nMade by \`npm run bench:suite -- ${process.argv.slice(2).join(' ')}\` on ${new Date().toISOString().slice(0, 10)}.\n\n${table}\n`);
  } finally {
    await workers.stop();
    await client.connection.close();
    await stopDevServer(config);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
