import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../infra/config.js';
import { labelledSkills } from '../helpers/skills.js';

/** The CLI on the embedded store in its own home (QDRANT_URL removed: these checks are about the CLI, not a server). */
function haste(home: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const { QDRANT_URL: _qdrant, ...env } = process.env;
  return new Promise((resolve) => {
    execFile(path.join(PROJECT_ROOT, 'bin', 'haste'), args, { cwd: PROJECT_ROOT, env: { ...env, HASTE_HOME: home }, timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('haste skills', () => {
  const skills = labelledSkills();
  const jsonl = (records: unknown[]) => records.map((r) => JSON.stringify(r)).join('\n') + '\n';

  it('import with a bad line: names the line, exit 2, imports nothing', async () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'haste-skills-cli-'));
    const file = path.join(home, 'bad.jsonl');
    writeFileSync(file, jsonl([skills[0], skills[1], { ...skills[2], status: 'shiny' }, skills[3]]));
    const r = await haste(home, 'skills', 'import', file);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/1 bad line, nothing imported/);
    expect(r.stderr).toMatch(/line 3: status: Invalid option/);
    const ls = await haste(home, 'skills', 'ls', '--json');
    expect(ls.code).toBe(0);
    expect(JSON.parse(ls.stdout)).toEqual([]);
  });

  it('import, ls with filters, search, show, retire, export', async () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'haste-skills-cli-'));
    const file = path.join(home, 'skills.jsonl');
    writeFileSync(file, jsonl(skills));
    expect((await haste(home, 'skills', 'import', file)).stderr).toMatch(new RegExp(`${skills.length} new`));

    const domain = JSON.parse((await haste(home, 'skills', 'ls', '--tier', 'domain', '--domain', 'tabular', '--json')).stdout) as { title: string }[];
    expect(domain.map((s) => s.title).sort()).toEqual([
      'Gradient boosting for mostly numeric binary tabular data',
      'Ridge regression with log target for skewed regression targets',
    ]);
    const bad = await haste(home, 'skills', 'ls', '--status', 'shiny');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--status: .*"candidate"\|"active"/);

    const hits = JSON.parse((await haste(home, 'skills', 'search', 'stop training early on a validation fold', '--tier', 'global', '--json')).stdout) as {
      skill: { title: string };
    }[];
    expect(hits[0]!.skill.title).toBe('Early stopping on a validation fold');

    const target = skills[0]!;
    expect(JSON.parse((await haste(home, 'skills', 'show', target.id)).stdout)).toEqual(target);
    const missing = await haste(home, 'skills', 'show', '00000000-0000-4000-8000-000000000000');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no skill 00000000/);

    expect((await haste(home, 'skills', 'retire', target.id)).code).toBe(2); // --reason is required
    expect((await haste(home, 'skills', 'retire', target.id, '--reason', 'superseded by a better lesson')).code).toBe(0);
    const retired = JSON.parse((await haste(home, 'skills', 'ls', '--status', 'retired', '--json')).stdout) as { id: string; statusReason: string }[];
    expect(retired).toEqual([expect.objectContaining({ id: target.id, statusReason: 'superseded by a better lesson' })]);

    const out = path.join(home, 'export.jsonl');
    expect((await haste(home, 'skills', 'export', out)).code).toBe(0);
    expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(skills.length);
  });

  it('export --format skill-md writes a folder per skill that a second home imports unchanged; a bad SKILL.md exits 2', async () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'haste-skills-cli-'));
    writeFileSync(path.join(home, 'skills.jsonl'), jsonl(skills));
    await haste(home, 'skills', 'import', path.join(home, 'skills.jsonl'));
    const library = path.join(home, 'library');
    const exported = await haste(home, 'skills', 'export', '--format', 'skill-md', library);
    expect(exported.code).toBe(0);
    expect(readdirSync(library)).toHaveLength(skills.length);

    const other = mkdtempSync(path.join(os.tmpdir(), 'haste-skills-cli-'));
    expect((await haste(other, 'skills', 'import', library)).stderr).toMatch(new RegExp(`${skills.length} new`));
    const ls = (h: string) => haste(h, 'skills', 'ls', '--json').then((r) => JSON.parse(r.stdout) as unknown[]);
    expect(await ls(other)).toEqual(await ls(home));

    mkdirSync(path.join(library, 'zz-bad'));
    writeFileSync(path.join(library, 'zz-bad', 'SKILL.md'), '---\nname: Bad\ntier: domain\nkind: technique\n---\n\nNo domain.\n');
    const empty = mkdtempSync(path.join(os.tmpdir(), 'haste-skills-cli-'));
    const bad = await haste(empty, 'skills', 'import', library);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/zz-bad\/SKILL\.md: scope\.domain: domain skills need a domain/);
    expect(bad.stderr).not.toMatch(/\n\s+at /); // a sentence, no stack trace
    expect(await ls(empty)).toEqual([]);
  });
});
