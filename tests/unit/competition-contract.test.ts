import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import YAML from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_DEFINITIONS, builtinIds, CompetitionError, readCompetitionYaml } from '../../infra/competitions.js';
import { loadConfig, PROJECT_ROOT } from '../../infra/config.js';
import { pythonEnv } from '../../infra/python.js';
import { CompetitionYamlSchema, competitionYamlProblems } from '../../schemas/competition.js';

/**
 * THE competition.yaml contract, run on both sides: zod (what `haste run` checks before starting anything)
 * and the Python runner's validator (haste_runner.validate, which checks the JSON Schema exported from zod).
 * Each bad fixture names the field it breaks in its first line (`# field: metric.direction`).
 */
const BAD = path.join(PROJECT_ROOT, 'tests', 'fixtures', 'bad-competitions');
const badCases = readdirSync(BAD).sort();
const builtins = builtinIds();

interface PythonReport {
  competition: string;
  ok: boolean;
  problems: { file: string; field: string | null; row: number | null; message: string }[];
}

function expectedField(dir: string): string {
  const first = readFileSync(path.join(dir, 'competition.yaml'), 'utf8').split('\n')[0]!;
  const match = /^# field: (.+)$/.exec(first);
  if (!match) throw new Error(`${dir}/competition.yaml must start with "# field: <the field it breaks>"`);
  return match[1]!.trim();
}

describe('competition.yaml: one contract, both sides', () => {
  const python = new Map<string, PythonReport>();

  beforeAll(async () => {
    // One interpreter for every folder: the runner's validate CLI takes several.
    const dirs = [...builtins.map((id) => path.join(BUILTIN_DEFINITIONS, id)), ...badCases.map((c) => path.join(BAD, c))];
    const run = await promisify(execFile)(loadConfig().python, ['-m', 'haste_runner.validate', ...dirs.flatMap((d) => ['--competition', d])], {
      cwd: PROJECT_ROOT,
      env: pythonEnv(),
    }).catch((err: { code: number; stdout: string; stderr: string }) => {
      if (err.code !== 2) throw new Error(`haste_runner.validate failed (exit ${err.code}): ${err.stderr}`);
      return err;
    });
    for (const line of run.stdout.trim().split('\n')) {
      const report = JSON.parse(line) as PythonReport;
      python.set(path.resolve(report.competition), report);
    }
    expect(python.size).toBe(dirs.length);
  }, 60_000);

  it.each(builtins)('built-in %s is accepted by zod and by the runner', (id) => {
    const dir = path.join(BUILTIN_DEFINITIONS, id);
    expect(() => readCompetitionYaml(dir)).not.toThrow();
    // Definition folders hold no data yet: only competition.yaml's own problems count here.
    expect(python.get(dir)!.problems.filter((p) => p.file === 'competition.yaml')).toEqual([]);
  });

  it.each(badCases)('bad fixture %s is rejected by zod and by the runner, both naming the field and a fix', (name) => {
    const dir = path.join(BAD, name);
    const field = expectedField(dir);
    const raw: unknown = YAML.parse(readFileSync(path.join(dir, 'competition.yaml'), 'utf8'));
    const parsed = CompetitionYamlSchema.safeParse(raw);
    expect(parsed.success).toBe(false);
    const zodProblems = competitionYamlProblems(parsed.error!, raw);
    const fieldOf = (f: string | null) => (f === null || f === '' ? '(file)' : f);
    expect(zodProblems.map((p) => fieldOf(p.field))).toContain(field);
    expect(() => readCompetitionYaml(dir)).toThrow(CompetitionError);
    expect(() => readCompetitionYaml(dir)).toThrow(new RegExp(`competition\\.yaml is invalid:[\\s\\S]*${field.replace(/[.()]/g, '\\$&')}: `));

    const yamlProblems = python.get(dir)!.problems.filter((p) => p.file === 'competition.yaml');
    expect(yamlProblems.map((p) => fieldOf(p.field))).toContain(field);
    // Each side says what to do, not only what is wrong: the fix texts come from one table (FIELD_FIXES).
    for (const p of [...zodProblems, ...yamlProblems]) expect(p.message).toMatch(/; |unknown key .*: remove or rename/);
  });

  it('the two sides name the same fields for every bad fixture', () => {
    for (const name of badCases) {
      const dir = path.join(BAD, name);
      const raw: unknown = YAML.parse(readFileSync(path.join(dir, 'competition.yaml'), 'utf8'));
      const zodFields = competitionYamlProblems(CompetitionYamlSchema.safeParse(raw).error!, raw)
        .map((p) => p.field || null)
        .sort();
      const pyFields = python
        .get(dir)!
        .problems.filter((p) => p.file === 'competition.yaml')
        .map((p) => p.field)
        .sort();
      expect(pyFields, name).toEqual(zodFields);
    }
  });
});
