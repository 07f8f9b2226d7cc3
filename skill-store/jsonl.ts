import { createWriteStream, readFileSync } from 'node:fs';
import { once } from 'node:events';
import { describeIssues } from '../schemas/issues.js';
import { SkillRecordSchema, type SkillRecord } from '../schemas/skill.js';
import { eachSkill, type SkillStore } from './store.js';

/** An import source (a JSONL file, a SKILL.md folder) with problems; nothing of it was imported. */
export class SkillImportError extends Error {
  constructor(
    readonly file: string,
    /** Each problem, with its line where one applies. */
    readonly problems: { line?: number; message: string }[],
    noun = 'bad line',
  ) {
    const listed = problems.map((p) => (p.line === undefined ? p.message : `line ${p.line}: ${p.message}`)).join('\n  ');
    super(`${file}: ${problems.length} ${noun}${problems.length === 1 ? '' : 's'}, nothing imported:\n  ${listed}`);
    this.name = 'SkillImportError';
  }
}

/** Writes every skill (all tiers and statuses) as one JSON object per line, ordered by id; returns the count. */
export async function exportSkills(store: SkillStore, file: string): Promise<number> {
  const out = createWriteStream(file, { encoding: 'utf8' });
  let count = 0;
  for await (const skill of eachSkill(store)) {
    if (!out.write(`${JSON.stringify(skill)}\n`)) await once(out, 'drain');
    count++;
  }
  out.end();
  await once(out, 'finish');
  return count;
}

/** Parses and validates a whole JSONL file; every bad line is reported with its number. */
export function readSkillsJsonl(file: string): SkillRecord[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const skills: SkillRecord[] = [];
  const problems: { line: number; message: string }[] = [];
  const seen = new Map<string, number>();
  lines.forEach((text, i) => {
    if (text.trim() === '') return;
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      problems.push({ line: i + 1, message: `not JSON (${(err as Error).message})` });
      return;
    }
    const parsed = SkillRecordSchema.safeParse(raw);
    if (!parsed.success) {
      problems.push({ line: i + 1, message: describeIssues(parsed.error) });
      return;
    }
    const first = seen.get(parsed.data.id);
    if (first !== undefined) {
      problems.push({ line: i + 1, message: `skill ${parsed.data.id} already appears on line ${first}` });
      return;
    }
    seen.set(parsed.data.id, i + 1);
    skills.push(parsed.data);
  });
  if (problems.length) throw new SkillImportError(file, problems);
  return skills;
}

/**
 * Imports a JSONL export: the file is validated whole first, then written in one batch, so a bad
 * line or a version conflict imports nothing. Vectors are recomputed with the store's embedder.
 */
export async function importSkills(store: SkillStore, file: string): Promise<{ inserted: number; updated: number; unchanged: number }> {
  return store.upsert(readSkillsJsonl(file));
}
