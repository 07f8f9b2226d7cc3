import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { TEMPLATE_SPACES } from '../../schemas/templates.js';
import { PROJECT_ROOT } from '../../infra/config.js';
import { pythonEnv } from '../../infra/python.js';
import type { Candidate } from '../../schemas/training.js';
import { suiteConfig } from '../helpers/workers.js';

interface RunnerTemplate {
  taskTypes: string[];
  params: Record<string, string>;
  available: boolean;
}

/** Templates the engineer never searches by parameter: the escape hatch, and pipeline specs (composed, not sampled). */
const NOT_SEARCHED = new Set(['custom', 'pipeline']);

const python = suiteConfig().python;
const catalogue = JSON.parse(execFileSync(python, ['-m', 'haste_runner.train', '--list-templates'], { cwd: PROJECT_ROOT, env: pythonEnv() }).toString()).templates as Record<
  string,
  RunnerTemplate
>;

/** Each range's ends (every value of a choice), one param at a time, the others at the runner's defaults. */
function boundaryCandidates(): Candidate[] {
  const out: Candidate[] = [];
  for (const [template, space] of Object.entries(TEMPLATE_SPACES)) {
    for (const [name, range] of Object.entries(space.params)) {
      const values = range.kind === 'choice' ? range.values : [range.min, range.max];
      for (const value of values) out.push({ template, params: { [name]: value } });
    }
  }
  return out;
}

describe("the offline engineer's search space against the runner's catalogue", () => {
  it('covers every runner template, for the same task types', () => {
    expect(Object.keys(TEMPLATE_SPACES).sort()).toEqual(
      Object.keys(catalogue)
        .filter((t) => !NOT_SEARCHED.has(t))
        .sort(),
    );
    for (const [name, space] of Object.entries(TEMPLATE_SPACES)) expect([...space.taskTypes].sort(), name).toEqual([...catalogue[name]!.taskTypes].sort());
  });

  it('searches only parameters the runner knows, and every end of every range is a value the runner accepts', () => {
    for (const [name, space] of Object.entries(TEMPLATE_SPACES)) {
      for (const param of Object.keys(space.params)) expect(Object.keys(catalogue[name]!.params), `${name}.${param}`).toContain(param);
    }
    const check = [
      'import json, sys',
      'from haste_runner.templates import get_template',
      'for c in json.load(sys.stdin):',
      '    try:',
      '        get_template(c["template"]).resolve(c["params"])',
      '    except Exception as e:',
      '        print(c["template"], json.dumps(c["params"]), e)',
    ].join('\n');
    const rejected = execFileSync(python, ['-c', check], { cwd: PROJECT_ROOT, env: pythonEnv(), input: JSON.stringify(boundaryCandidates()) })
      .toString()
      .trim();
    expect(rejected).toBe('');
  });
});
