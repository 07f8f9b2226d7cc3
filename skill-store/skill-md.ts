import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseDocument, stringify } from 'yaml';
import { describeIssues } from '../schemas/issues.js';
import { createSkill, sameSkillState, skillId, SkillRecordSchema, type SkillRecord } from '../schemas/skill.js';
import { SkillImportError } from './jsonl.js';
import { eachSkill, type SkillStore } from './store.js';

/**
 * A skill library as folders people can read and curate: one folder per skill holding `SKILL.md`
 * (YAML front matter with every field but the body and the recipe, then the markdown body) and
 * `recipe.json`. Exported skills import back unchanged; a hand-written or edited skill (no id, or
 * an id its content no longer hashes to) imports as a new `candidate` and earns `active` like any other.
 */
export const SKILL_FILE = 'SKILL.md';
export const RECIPE_FILE = 'recipe.json';
const DESCRIPTION_LIMIT = 1024;
const UNSET_ID = '00000000-0000-5000-8000-000000000000';

/** An export that cannot go where it was asked to. */
export class SkillExportError extends Error {
  override name = 'SkillExportError';
}

/** The description a skill without one is shown with: its body's first paragraph, cut to the limit. */
export function derivedDescription(body: string): string {
  const first = body
    .trim()
    .split(/\n\s*\n/)[0]!
    .replace(/\s+/g, ' ')
    .trim();
  return first.length <= DESCRIPTION_LIMIT ? first : `${first.slice(0, DESCRIPTION_LIMIT - 1)}…`;
}

function folderName(skill: SkillRecord): string {
  const slug = skill.title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48)
    .replace(/-+$/, '');
  return `${skill.tier}-${slug || 'skill'}-${skill.id.slice(0, 8)}`;
}

/** The SKILL.md text of one skill: `name` and `description` first, as skill readers expect them. */
export function renderSkillMd(skill: SkillRecord): string {
  const { title, description, body, recipe: _recipe, ...fields } = skill;
  const front = { name: title, description: description ?? derivedDescription(body), ...fields };
  return `---\n${stringify(front, { lineWidth: 0 })}---\n\n${body.trim()}\n`;
}

/**
 * Writes every skill (all tiers and statuses) into `dir`, one folder each; returns the count. The
 * folders are written into a sibling temporary folder first and moved into place, so an interrupted
 * export leaves no half-written library.
 */
export async function exportSkillMd(store: SkillStore, dir: string): Promise<number> {
  if (existsSync(dir) && readdirSync(dir).length > 0) throw new SkillExportError(`${dir}: the export folder must be new or empty`);
  const staging = `${dir.replace(/\/+$/, '')}.partial-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  let count = 0;
  for await (const skill of eachSkill(store)) {
    const folder = path.join(staging, folderName(skill));
    mkdirSync(folder);
    writeFileSync(path.join(folder, SKILL_FILE), renderSkillMd(skill));
    writeFileSync(path.join(folder, RECIPE_FILE), `${JSON.stringify(skill.recipe, null, 2)}\n`);
    count++;
  }
  if (existsSync(dir)) rmSync(dir, { recursive: true });
  mkdirSync(path.dirname(path.resolve(dir)), { recursive: true });
  renameSync(staging, dir);
  return count;
}

type Problem = { line?: number; message: string };

/** Splits `---\n<yaml>\n---\n<body>`; throws a message naming what is wrong. */
function splitFrontMatter(text: string): { front: string; body: string } {
  const match = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?([\s\S]*)$/.exec(text);
  if (!match) throw new Error('must start with YAML front matter between two `---` lines');
  return { front: match[1]!, body: match[2]!.trim() };
}

/** One folder's skill, or the problems that name its file and field. */
function readSkillFolder(folder: string, now: Date): { skill?: SkillRecord; problems: Problem[]; file: string } {
  const skillFile = path.join(folder, SKILL_FILE);
  const recipeFile = path.join(folder, RECIPE_FILE);
  if (!existsSync(skillFile)) return { problems: [{ message: `${SKILL_FILE} is missing` }], file: skillFile };
  let front: string;
  let body: string;
  try {
    ({ front, body } = splitFrontMatter(readFileSync(skillFile, 'utf8')));
  } catch (err) {
    return { problems: [{ line: 1, message: (err as Error).message }], file: skillFile };
  }
  const doc = parseDocument(front);
  if (doc.errors.length > 0) return { problems: doc.errors.map((e) => ({ line: (e.linePos?.[0].line ?? 0) + 1, message: `front matter: ${e.message}` })), file: skillFile };
  const fields = doc.toJS() as Record<string, unknown> | null;
  if (!fields || typeof fields !== 'object' || Array.isArray(fields)) return { problems: [{ line: 2, message: 'front matter must be a mapping of fields' }], file: skillFile };
  let recipe: unknown = {};
  if (existsSync(recipeFile)) {
    try {
      recipe = JSON.parse(readFileSync(recipeFile, 'utf8'));
    } catch (err) {
      return { problems: [{ message: `not JSON (${(err as Error).message})` }], file: recipeFile };
    }
  }
  const { name, description, ...rest } = fields;
  const draft: Record<string, unknown> = { ...rest, title: name, body, recipe };
  // An explicit description is kept; the one an export derived from the body is not a new field.
  if (typeof description !== 'string' || description !== derivedDescription(body)) draft.description = description;
  const stamp = now.toISOString();
  // Hand-written skills have no id yet: a placeholder passes validation, the content id replaces it below.
  const parsed = SkillRecordSchema.safeParse({ id: UNSET_ID, createdAt: stamp, updatedAt: stamp, ...draft });
  if (!parsed.success) return { problems: [{ message: describeIssues(parsed.error).replace(/(^|; )title:/g, '$1name:') }], file: skillFile };
  const skill = parsed.data;
  const contentId = skillId(skill);
  if (rest.id === contentId) return { skill, problems: [], file: skillFile };
  // Hand-written (no id) or edited (content changed): a new candidate that must earn its place.
  const { id: previous, stats: _stats, version: _version, status: _status, statusReason: _reason, ...content } = skill;
  return {
    skill: createSkill({ ...content, status: 'candidate', supersedes: rest.id === undefined ? skill.supersedes : previous, createdAt: stamp, updatedAt: stamp }, now),
    problems: [],
    file: skillFile,
  };
}

/** Reads and validates every skill folder under `dir` whole; throws one error naming each bad file and field. */
export function readSkillMdLibrary(dir: string, now: Date = new Date()): SkillRecord[] {
  const folders = readdirSync(dir)
    .filter((name) => statSync(path.join(dir, name)).isDirectory())
    .sort();
  const skills: SkillRecord[] = [];
  const problems: Problem[] = [];
  const seen = new Map<string, string>();
  for (const name of folders) {
    const result = readSkillFolder(path.join(dir, name), now);
    const where = path.relative(dir, result.file);
    for (const p of result.problems) problems.push({ message: p.line === undefined ? `${where}: ${p.message}` : `${where}:${p.line}: ${p.message}` });
    if (!result.skill) continue;
    const first = seen.get(result.skill.id);
    if (first) problems.push({ message: `${where}: the same skill as ${first}` });
    else {
      seen.set(result.skill.id, where);
      skills.push(result.skill);
    }
  }
  if (folders.length === 0) problems.push({ message: `no skill folders (each holds a ${SKILL_FILE})` });
  if (problems.length) throw new SkillImportError(dir, problems, 'bad skill');
  return skills;
}

/**
 * Imports a SKILL.md library: validated whole first, then written in one batch (nothing half-imported).
 * A skill whose content id is unchanged but whose other fields were edited (its description, its
 * conditions) replaces the stored version as a candidate again: a person's edit has to earn `active`.
 */
export async function importSkillMd(store: SkillStore, dir: string, now: Date = new Date()): Promise<{ inserted: number; updated: number; unchanged: number }> {
  const skills = readSkillMdLibrary(dir, now);
  const batch: SkillRecord[] = [];
  for (const skill of skills) {
    const stored = await store.get(skill.id);
    const edited = stored !== null && stored.version === skill.version && !sameSkillState(stored, skill);
    batch.push(
      edited
        ? {
            ...skill,
            stats: stored.stats,
            version: stored.version + 1,
            status: 'candidate',
            statusReason: 'edited in a SKILL.md library: re-validating',
            updatedAt: now.toISOString(),
          }
        : skill,
    );
  }
  return store.upsert(batch);
}
