import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../infra/config.js';
import { findTemporalCli } from '../../infra/temporal-cli.js';
import type { EpisodeSummary } from '../../schemas/episode.js';
import { configEnv } from '../../infra/ephemeral.js';
import { withSuiteWorkers } from '../helpers/workers.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd: PROJECT_ROOT, env, timeout: 180_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('CLI input handling', () => {
  const suite = withSuiteWorkers();
  const haste = (...args: string[]) => run(path.join(PROJECT_ROOT, 'bin', 'haste'), args, configEnv(suite.config));
  const temporal = (...args: string[]) => run(findTemporalCli(suite.config), [...args, '--address', suite.config.temporalAddress], process.env);
  const exists = (workflowId: string) =>
    suite.client.workflow
      .getHandle(workflowId)
      .describe()
      .then(
        () => true,
        () => false,
      );

  it('an unknown competition: a clear error, exit 2, and no workflow started', async () => {
    const r = await haste('run', 'no-such-competition', '--json');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown competition "no-such-competition".*known: .*breast-cancer/);
    expect(r.stdout).toBe('');
    expect(await exists('haste-episode-no-such-competition-default')).toBe(false);
  });

  it('a negative or malformed budget names the flag', async () => {
    const negative = await haste('run', 'breast-cancer', '--budget-seconds=-5', '--tag', 'neg');
    expect(negative.code).toBe(2);
    expect(negative.stderr).toMatch(/--budget-seconds: must be a positive number \(got "-5"\)/);
    const words = await haste('run', 'breast-cancer', '--max-steps', 'many', '--tag', 'neg');
    expect(words.code).toBe(2);
    expect(words.stderr).toMatch(/--max-steps: must be a number/);
    expect(await exists('haste-episode-breast-cancer-neg')).toBe(false);
  });

  it('`bench transfer`: a bad rotation or a split given twice is refused with exit 2 before anything runs', async () => {
    const unknown = await haste('bench', 'transfer', '--rotation', 'audio', '--seeds', '1');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/--rotation: 'all' or a domain of the suite \(.*tabular.*\), got 'audio'/);
    expect(unknown.stdout).toBe('');
    const both = await haste('bench', 'transfer', '--rotation', 'tabular', '--train', 'wine', '--heldout', 'titanic');
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--rotation declares its own split/);
    const none = await haste('bench', 'transfer', '--seeds', '1');
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/name a split: --rotation all\|<domain>, or both --train and --heldout/);
  });

  it('a bring-your-own folder with a broken competition.yaml names each field and its fix, exit 2, and no workflow started', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'haste-byo-'));
    writeFileSync(
      path.join(dir, 'competition.yaml'),
      'id: broken-byo\ntitle: t\ndomain: tabular\ntask_type: binary\ntarget_column: y\nid_column: id\nmetric: { name: roc_auc, direction: minimize }\nbudget: { compute_seconds: 10, max_steps: 2 }\nhorizon: 3\n',
    );
    writeFileSync(path.join(dir, 'train.csv'), 'id,x,y\n1,0.5,a\n2,0.1,b\n');
    const r = await haste('run', dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/competition\.yaml is invalid/);
    expect(r.stderr).toMatch(/^\s+metric\.direction: got "minimize", expected "maximize"; /m);
    expect(r.stderr).toMatch(/^\s+horizon: unknown key "horizon": remove or rename \(keys here: /m);
    expect(await exists('haste-episode-broken-byo-default')).toBe(false);
  });

  it('`haste competitions validate` names the file, field and row of each problem, exit 2', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'haste-byo-'));
    writeFileSync(
      path.join(dir, 'competition.yaml'),
      'id: my-comp\ntitle: t\ndomain: tabular\ntask_type: binary\ntarget_column: y\nid_column: id\nmetric: { name: accuracy, direction: maximize }\nbudget: { compute_seconds: 10, max_steps: 2 }\nsource: test\n',
    );
    writeFileSync(path.join(dir, 'train.csv'), 'id,x,y\n1,0.5,a\n2,0.1,b\n2,0.3,a\n');
    writeFileSync(path.join(dir, 'test.csv'), 'id,x\n10,0.2\n11,0.4\n');
    writeFileSync(path.join(dir, 'answers.csv'), 'id,y\n10,a\n12,c\n');
    const r = await haste('competitions', 'validate', dir);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('train.csv, row 3, field id: duplicate id');
    expect(r.stdout).toContain('answers.csv, row 2, field id: id not in test.csv');
    expect(r.stdout).toContain('test.csv, row 2, field id: id has no row in answers.csv');
    expect(r.stdout).toContain('answers.csv, row 2, field y: label never seen in train.csv');
    writeFileSync(path.join(dir, 'answers.csv'), 'id,y\n10,a\n11,b\n');
    writeFileSync(path.join(dir, 'train.csv'), 'id,x,y\n1,0.5,a\n2,0.1,b\n3,0.3,a\n');
    const ok = await haste('competitions', 'validate', dir, '--json');
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toEqual({ ok: true, problems: [] });
  });

  it('`haste competitions init` drafts competition.yaml from the data, prints it, and writes it only when absent', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'haste-init-'));
    const data = await run(suite.config.python, [path.join(PROJECT_ROOT, 'runner', 'tests', 'byo_folders.py'), 'text', path.join(root, 'data')], {
      ...process.env,
      PYTHONPATH: path.join(PROJECT_ROOT, 'runner'),
    });
    expect(data.code).toBe(0);
    const dir = path.join(root, 'titanic-text');
    const args = ['competitions', 'init', dir, '--train', path.join(root, 'data', 'train.csv'), '--test', path.join(root, 'data', 'test.csv'), '--target', 'survived_flag'];
    const first = await haste(...args);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^task_type: binary$/m);
    expect(first.stdout).toMatch(/^text_columns:\n- name\n- home_dest$/m);
    expect(readFileSync(path.join(dir, 'competition.yaml'), 'utf8')).toBe(
      first.stdout
        .split('\n')
        .filter((l) => !l.startsWith('#'))
        .join('\n'),
    );
    const again = await haste(...args);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/not written: .*competition\.yaml exists \(pass --force to replace it\)/);
    const wrong = await haste(...args.slice(0, -1), 'no_such_column');
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/--target 'no_such_column' is not a column of the training file/);
  });

  it('temporal CLI: malformed JSON is refused and starts nothing', async () => {
    const id = `malformed-${Date.now()}`;
    const r = await temporal('workflow', 'start', '--type', 'competitionEpisode', '--task-queue', 'haste-orchestrator', '--workflow-id', id, '--input', '{"competition": ');
    expect(r.code).not.toBe(0);
    expect(await exists(id)).toBe(false);
  });

  it('temporal CLI: schema-invalid input fails the episode at once, naming the field, before any activity', async () => {
    const id = `invalid-${Date.now()}`;
    const start = await temporal(
      'workflow',
      'start',
      '--type',
      'competitionEpisode',
      '--task-queue',
      'haste-orchestrator',
      '--workflow-id',
      id,
      '--input',
      '{"competition":"breast-cancer","budget":{"computeSeconds":-1}}',
    );
    expect(start.code).toBe(0);
    await expect(suite.client.workflow.getHandle(id).result()).rejects.toSatisfy((err: Error) =>
      /budget\.computeSeconds: must be a positive number/.test(String((err.cause as Error)?.message)),
    );
    const history = await suite.client.workflow.getHandle(id).fetchHistory();
    expect(history.events!.some((e) => e.activityTaskScheduledEventAttributes)).toBe(false);
  });

  it('temporal CLI start + query, then `haste run --wait --json` and `haste status --json`', async () => {
    const id = `ops-${Date.now()}`;
    const start = await temporal(
      'workflow',
      'start',
      '--type',
      'competitionEpisode',
      '--task-queue',
      'haste-orchestrator',
      '--workflow-id',
      id,
      '--input',
      '{"competition":"breast-cancer","budget":{"maxSteps":1}}',
    );
    expect(start.code).toBe(0);
    const summary = (await suite.client.workflow.getHandle(id).result()) as EpisodeSummary;
    expect(summary.steps).toBe(1);
    const query = await temporal('workflow', 'query', '--workflow-id', id, '--name', 'status', '--output', 'json');
    expect(query.code).toBe(0);
    expect(query.stdout).toMatch(/"phase":\s*"completed"/);

    const r = await haste('run', 'wine', '--max-steps', '2', '--tag', `cli-${Date.now()}`, '--wait', '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out)).toEqual(expect.arrayContaining(['workflowId', 'runId', 'competitionId', 'status', 'metric', 'bestScore', 'steps', 'computeSeconds']));
    expect(out).toMatchObject({ competitionId: 'wine', status: 'COMPLETED', metric: 'accuracy' });
    expect(out.steps).toBeGreaterThanOrEqual(1);
    expect(out.bestScore).toBeGreaterThan(out.baselineScore);

    const status = await haste('status', out.workflowId, '--json');
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ workflowId: out.workflowId, status: 'COMPLETED', steps: out.steps });
  });
});
