import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parse as parseCsvSync } from 'csv-parse/sync';
import YAML from 'yaml';
import { CompetitionYamlSchema, competitionYamlProblems, type CompetitionSpec, type CompetitionYaml } from '../schemas/competition.js';
import { PROJECT_ROOT, type HasteConfig } from './config.js';
import { parseJsonLine, runPythonJson, spawnRunner } from './python.js';

/** Built-in competition definitions shipped in the repo; their data is prepared into HASTE_HOME. */
export const BUILTIN_DEFINITIONS = path.join(PROJECT_ROOT, 'competitions');

/** A user-facing problem with a competition: says which file and field. */
export class CompetitionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CompetitionError';
  }
}

export function builtinIds(): string[] {
  if (!existsSync(BUILTIN_DEFINITIONS)) return [];
  return readdirSync(BUILTIN_DEFINITIONS)
    .filter((d) => existsSync(path.join(BUILTIN_DEFINITIONS, d, 'competition.yaml')))
    .sort();
}

/** A reference is a folder when it looks like a path; otherwise a built-in id. */
export function isFolderReference(ref: string): boolean {
  return ref.includes('/') || ref.startsWith('.');
}

/** Reads and validates competition.yaml against THE schema (the runner checks the same, exported); each problem names its field and the fix. */
export function readCompetitionYaml(dir: string): CompetitionYaml {
  const file = path.join(dir, 'competition.yaml');
  if (!existsSync(file)) throw new CompetitionError(`${file} does not exist: a competition folder needs competition.yaml`);
  let raw: unknown;
  try {
    raw = YAML.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new CompetitionError(`${file} is not valid YAML: ${(err as Error).message}`);
  }
  const parsed = CompetitionYamlSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = competitionYamlProblems(parsed.error, raw).map((p) => `${p.field || '(file)'}: ${p.message}`);
    throw new CompetitionError(`${file} is invalid:\n  ${problems.join('\n  ')}`);
  }
  return parsed.data;
}

/**
 * Resolves a competition reference to a folder with data, preparing a built-in one on first use.
 * Throws a CompetitionError for an unknown id or a missing folder.
 */
export async function resolveCompetitionDir(config: HasteConfig, ref: string): Promise<string> {
  if (isFolderReference(ref)) {
    const dir = path.resolve(ref);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new CompetitionError(`competition folder ${dir} does not exist`);
    return dir;
  }
  const known = builtinIds();
  if (!known.includes(ref)) {
    throw new CompetitionError(`unknown competition "${ref}": not a built-in id (known: ${known.join(', ')}) and not a folder path`);
  }
  const dir = path.join(config.competitionsDir, ref);
  if (!existsSync(path.join(dir, '.prepared.json'))) {
    await runPythonJson(config.python, 'prepare', ['--out', config.competitionsDir, '--definitions', BUILTIN_DEFINITIONS, '--only', ref]);
  }
  return dir;
}

/**
 * Prepares every built-in competition into HASTE_HOME (idempotent: up-to-date folders are kept).
 * Returns the runner's one line per competition: {id, dir, files (sha256), rows}.
 */
export async function prepareBuiltins(config: HasteConfig): Promise<Record<string, unknown>[]> {
  return runPythonJson(config.python, 'prepare', ['--out', config.competitionsDir, '--definitions', BUILTIN_DEFINITIONS], 900_000);
}

/** The square greyscale px_<r>_<c> columns of the built-in vision sets, when competition.yaml has no image. */
function squareGreyscale(header: string[]): { height: number; width: number; channels: number } | undefined {
  const cells = header.map((c) => /^px_(\d+)_(\d+)$/.exec(c)).filter((m) => m !== null);
  if (cells.length === 0) return undefined;
  const side = Math.max(...cells.map((m) => Math.max(Number(m[1]), Number(m[2])))) + 1;
  return cells.length === side * side ? { height: side, width: side, channels: 1 } : undefined;
}

/** Counts rows and sniffs feature types from train.csv without loading it whole. */
async function dataTraits(dir: string, yaml: CompetitionYaml): Promise<CompetitionSpec['traits']> {
  const file = path.join(dir, 'train.csv');
  if (!existsSync(file)) throw new CompetitionError(`${file} does not exist`);
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  const sample: string[] = [];
  let rows = -1;
  for await (const line of lines) {
    if (line.length === 0) continue;
    rows++;
    if (sample.length <= TARGET_SAMPLE_ROWS) sample.push(line);
  }
  const targetRecords = parseCsvSync(sample.join('\n'), { columns: true, skip_empty_lines: true }) as Record<string, string>[];
  const records = targetRecords.slice(0, 200);
  const header = Object.keys(records[0] ?? {});
  // Forecasting: train.csv holds the values in value_column (default: the target column).
  const target = yaml.task_type === 'forecasting' ? (yaml.value_column ?? yaml.target_column) : yaml.target_column;
  for (const column of [yaml.id_column, target]) {
    if (!header.includes(column)) throw new CompetitionError(`${file} has no column "${column}" (named in competition.yaml): add it, or name the right column there`);
  }
  const features = header.filter((c) => c !== yaml.id_column && c !== target);
  const text = yaml.task_type === 'forecasting' ? [] : (yaml.text_columns ?? (header.includes('text') ? ['text'] : []));
  const numeric = features.filter((c) => !text.includes(c) && records.every((r) => r[c] === '' || r[c] === undefined || Number.isFinite(Number(r[c]))));
  const image =
    yaml.task_type === 'forecasting'
      ? undefined
      : yaml.image
        ? { height: yaml.image.height, width: yaml.image.width, channels: yaml.image.channels ?? 1 }
        : yaml.domain === 'vision'
          ? squareGreyscale(header)
          : undefined;
  const values = targetRecords.map((r) => r[target] ?? '').filter((v) => v !== '');
  const seriesColumn = yaml.task_type === 'forecasting' ? (yaml.series_column ?? 'series_id') : undefined;
  return {
    rows: Math.max(rows, 0),
    features: features.length,
    numericFeatures: numeric.length,
    // Non-numeric columns, free text included (as before text_columns existed, so skill conditions keep their meaning).
    categoricalFeatures: features.length - numeric.length,
    ...(text.length > 0 ? { textFeatures: text.length } : {}),
    ...(image ? { image } : {}),
    // Counted from the sampled rows: exact for the files users bring to one machine, a floor beyond 5,000 rows.
    ...(seriesColumn ? { series: new Set(targetRecords.map((r) => r[seriesColumn])).size } : {}),
    ...targetTraits(yaml.task_type, values),
  };
}

/** Rows read for the target's traits: enough for a stable class share or skewness, cheap on any file. */
const TARGET_SAMPLE_ROWS = 5000;

/** Class balance for classification, skewness for regression: what skills' conditions are matched on. */
function targetTraits(taskType: CompetitionYaml['task_type'], values: string[]): Pick<CompetitionSpec['traits'], 'minorityClassShare' | 'targetSkew'> {
  if (values.length === 0) return {};
  if (taskType === 'binary' || taskType === 'multiclass') {
    const counts = new Map<string, number>();
    for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
    return { minorityClassShare: Math.min(...counts.values()) / values.length };
  }
  const xs = values.map(Number).filter(Number.isFinite);
  if (xs.length < 3) return {};
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const m2 = xs.reduce((a, x) => a + (x - mean) ** 2, 0) / xs.length;
  const m3 = xs.reduce((a, x) => a + (x - mean) ** 3, 0) / xs.length;
  return { targetSkew: m2 > 0 ? m3 / m2 ** 1.5 : 0 };
}

export async function loadCompetitionSpec(config: HasteConfig, ref: string): Promise<CompetitionSpec> {
  const dir = await resolveCompetitionDir(config, ref);
  const yaml = readCompetitionYaml(dir);
  return {
    id: yaml.id,
    title: yaml.title,
    domain: yaml.domain,
    taskType: yaml.task_type,
    dir,
    metric: yaml.metric.name,
    direction: yaml.metric.direction,
    budget: { computeSeconds: yaml.budget.compute_seconds, maxSteps: yaml.budget.max_steps },
    targetScore: yaml.target_score,
    traits: await dataTraits(dir, yaml),
  };
}

/** One problem of a bring-your-own competition folder: the file, the field and the 1-based data row it is about. */
export interface CompetitionProblem {
  file: string;
  field: string | null;
  row: number | null;
  message: string;
}

/**
 * Checks a competition folder the way `haste competitions validate` reports it (runner/haste_runner/validate.py):
 * yaml, columns, unique and matching ids, targets, metric vs task type, per-domain column rules.
 */
export async function validateCompetitionDir(config: HasteConfig, dir: string): Promise<{ ok: boolean; problems: CompetitionProblem[] }> {
  const child = spawnRunner(config.python, 'validate', ['--competition', path.resolve(dir)]);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  const report = stdout
    .split('\n')
    .map(parseJsonLine)
    .find((o) => o !== null && 'ok' in o);
  if ((code !== 0 && code !== 2) || !report) throw new Error(`haste_runner.validate failed (exit ${code}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
  const { ok, problems } = report as unknown as { ok: boolean; problems: CompetitionProblem[] };
  return { ok, problems };
}

/** "answers.csv row 3, field id: duplicate id" */
export function formatProblem(p: CompetitionProblem): string {
  const where = [p.file, p.row === null ? null : `row ${p.row}`, p.field === null ? null : `field ${p.field}`].filter(Boolean).join(', ');
  return `${where}: ${p.message}`;
}

/**
 * `haste competitions init`: the runner drafts competition.yaml from the data (runner/haste_runner/draft.py),
 * printing the draft and its guesses; it writes the file only when absent or with `force`. Returns its exit code
 * (2: the data does not allow a draft, the message says why).
 */
export async function draftCompetitionYaml(
  config: HasteConfig,
  dir: string,
  options: { train: string; test: string; target: string; id?: string; force?: boolean },
): Promise<number> {
  const args = ['--dir', dir, '--train', options.train, '--test', options.test, '--target', options.target];
  if (options.id !== undefined) args.push('--id', options.id);
  if (options.force) args.push('--force');
  const child = spawnRunner(config.python, 'draft', args, { stdio: ['ignore', 'inherit', 'inherit'] });
  return new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? 1));
  });
}
