import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SkillImportError } from '../../skill-store/jsonl.js';
import { createSkill, skillId } from '../../schemas/skill.js';
import { exportSkillMd, importSkillMd, readSkillMdLibrary, RECIPE_FILE, SKILL_FILE, SkillExportError } from '../../skill-store/skill-md.js';
import { labelledSkills, tempSkillStores } from '../helpers/skills.js';

const openStore = tempSkillStores('skill-md');
const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'haste-skill-md-'));

/** A library with used, evidenced, described skills in every tier and status. */
async function filledStore() {
  const store = openStore();
  const skills = labelledSkills();
  skills[0] = { ...skills[0]!, description: 'Stop boosting once a validation fold stops improving.' };
  await store.upsert(skills);
  await store.recordOutcome(skills[2]!.id, { delta: 0.013, won: true, key: 'wf/run-1', competition: 'titanic' });
  await store.setStatus(skills[4]!.id, 'deprecated', 'superseded by a better augmentation skill');
  return store;
}

function writeSkill(dir: string, folder: string, skillMd: string, recipe?: unknown): void {
  mkdirSync(path.join(dir, folder), { recursive: true });
  writeFileSync(path.join(dir, folder, SKILL_FILE), skillMd);
  if (recipe !== undefined) writeFileSync(path.join(dir, folder, RECIPE_FILE), JSON.stringify(recipe));
}

describe('SKILL.md libraries', () => {
  it('export -> import is lossless: every field of every skill comes back as stored', async () => {
    const store = await filledStore();
    const dir = path.join(tmp(), 'library');
    const count = await exportSkillMd(store, dir);
    expect(count).toBe((await store.list()).length);
    expect(readdirSync(dir)).toHaveLength(count);
    const one = readdirSync(dir).find((f) => f.startsWith('global-early-stopping'))!;
    const text = readFileSync(path.join(dir, one, SKILL_FILE), 'utf8');
    expect(text).toMatch(/^---\nname: Early stopping on a validation fold\ndescription: Stop boosting once/);
    expect(text).toMatch(/\n---\n\nStop training once the validation score/);

    const copy = openStore();
    expect(await importSkillMd(copy, dir)).toEqual({ inserted: count, updated: 0, unchanged: 0 });
    expect(await copy.list()).toEqual(await store.list());
    // Importing the same library again changes nothing.
    expect(await importSkillMd(copy, dir)).toEqual({ inserted: 0, updated: 0, unchanged: count });
  });

  it('refuses to export into a folder that already holds something', async () => {
    const store = await filledStore();
    const dir = tmp();
    writeFileSync(path.join(dir, 'keep.txt'), 'mine');
    await expect(exportSkillMd(store, dir)).rejects.toBeInstanceOf(SkillExportError);
    expect(readdirSync(dir)).toEqual(['keep.txt']);
  });

  it('a hand-written skill (no id) imports as a candidate, whatever status it claims', async () => {
    const dir = tmp();
    writeSkill(
      dir,
      'log-target',
      [
        '---',
        'name: Train on log1p of a skewed positive target',
        'description: When the metric is RMSLE and the target is positive and skewed, fit on log1p(target) and invert.',
        'tier: domain',
        'scope: { domain: tabular }',
        'kind: technique',
        'status: active',
        'conditions: { taskTypes: [regression], targetSkew: { min: 1 } }',
        '---',
        '',
        'RMSLE is RMSE on log1p; fitting there matches the loss to the metric.',
      ].join('\n'),
      { template: 'hist_gradient_boosting', preprocessing: ['log1p-target'], params: {} },
    );
    const [skill] = readSkillMdLibrary(dir);
    expect(skill).toMatchObject({
      status: 'candidate',
      version: 1,
      tier: 'domain',
      scope: { domain: 'tabular' },
      conditions: { taskTypes: ['regression'], targetSkew: { min: 1 } },
    });
    expect(skill!.description).toMatch(/^When the metric is RMSLE/);
    expect(skill!.recipe.preprocessing).toEqual(['log1p-target']);
    expect(skill!.id).toBe(skillId(skill!));
    expect(skill!.stats.uses).toBe(0);
  });

  it('an edited exported skill becomes a new candidate that supersedes the old one', async () => {
    const store = await filledStore();
    const dir = path.join(tmp(), 'library');
    await exportSkillMd(store, dir);
    const folder = readdirSync(dir).find((f) => f.startsWith('domain-gradient-boosting'))!;
    const file = path.join(dir, folder, SKILL_FILE);
    const original = (await store.list()).find((s) => s.title.startsWith('Gradient boosting'))!;
    const text = readFileSync(file, 'utf8');
    const bodyStart = text.indexOf('\n---\n') + 5;
    writeFileSync(file, text.slice(0, bodyStart) + text.slice(bodyStart).replace('learning rate 0.05', 'learning rate 0.03'));
    const edited = readSkillMdLibrary(dir).find((s) => s.title.startsWith('Gradient boosting'))!;
    expect(edited.id).not.toBe(original.id);
    expect(edited).toMatchObject({ status: 'candidate', version: 1, supersedes: original.id, stats: { uses: 0 } });
    expect(edited.body).toMatch(/learning rate 0\.03/);
  });

  it('editing conditions in place keeps the id and stats but makes the skill a candidate again', async () => {
    const store = await filledStore();
    const dir = path.join(tmp(), 'library');
    await exportSkillMd(store, dir);
    const folder = readdirSync(dir).find((f) => f.startsWith('domain-gradient-boosting'))!;
    const file = path.join(dir, folder, SKILL_FILE);
    const original = (await store.list()).find((s) => s.title.startsWith('Gradient boosting'))!;
    writeFileSync(file, readFileSync(file, 'utf8').replace(/numericShare:\n(\s+)min: 0.6/, 'numericShare:\n$1min: 0.8'));
    expect(await importSkillMd(store, dir)).toMatchObject({ inserted: 0, updated: 1 });
    const after = (await store.get(original.id))!;
    expect(after).toMatchObject({ status: 'candidate', version: original.version + 1, stats: original.stats, conditions: { numericShare: { min: 0.8 } } });
  });

  it('a bad SKILL.md is refused with its file and field named, and nothing of the library is imported', async () => {
    const dir = tmp();
    const good = createSkill({ tier: 'global', kind: 'technique', title: 'A good skill', body: 'Fine.', status: 'active' });
    writeSkill(dir, 'a-good', `---\nname: ${good.title}\ntier: global\nkind: technique\n---\n\nFine.\n`);
    writeSkill(dir, 'b-bad-tier', '---\nname: Wrong tier\ntier: planet\nkind: technique\n---\n\nBody.\n');
    writeSkill(dir, 'c-no-front-matter', 'Just text, no front matter.\n');
    writeSkill(dir, 'd-bad-recipe', '---\nname: Bad recipe\ntier: global\nkind: technique\n---\n\nBody.\n', { template: '', params: {} });
    mkdirSync(path.join(dir, 'e-empty'));
    const store = openStore();
    const error = await importSkillMd(store, dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SkillImportError);
    const message = (error as Error).message;
    expect(message).toMatch(/4 bad skills, nothing imported/);
    expect(message).toMatch(/b-bad-tier\/SKILL\.md: tier: /);
    expect(message).toMatch(/c-no-front-matter\/SKILL\.md:1: must start with YAML front matter/);
    expect(message).toMatch(/d-bad-recipe\/SKILL\.md: recipe\.template: /);
    expect(message).toMatch(/e-empty\/SKILL\.md: SKILL\.md is missing/);
    expect(await store.list()).toEqual([]);
    rmSync(path.join(dir, 'b-bad-tier'), { recursive: true });
    expect(existsSync(path.join(dir, 'a-good'))).toBe(true);
  });
});
