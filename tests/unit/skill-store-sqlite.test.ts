import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lazyEmbedder } from '../../skill-store/embedder.js';
import { HashingEmbedder } from '../../skill-store/hashing-embedder.js';
import { createSkill, type SkillRecord } from '../../skill-store/schema.js';
import { SqliteSkillStore } from '../../skill-store/sqlite.js';
import type { SkillFilter } from '../../skill-store/store.js';

const hashing = new HashingEmbedder(() => {});
const embedder = lazyEmbedder(hashing.id, hashing.dimension, async () => hashing);
const tmpFile = () => path.join(mkdtempSync(path.join(os.tmpdir(), 'haste-sqlite-store-')), 'skills.sqlite');

const DOMAINS = ['tabular', 'vision', 'text'];
const TOPICS = ['gradient boosting', 'early stopping', 'target encoding', 'data augmentation', 'class weights', 'lag features'];
const TASK_TYPES = ['binary', 'multiclass', 'regression', 'forecasting'] as const;

/** A varied library: every tier, several domains and competitions, statuses and task types. */
function library(size: number): SkillRecord[] {
  return Array.from({ length: size }, (_, i) => {
    const domain = DOMAINS[i % DOMAINS.length]!;
    const tier = i % 10 === 0 ? 'global' : i % 2 === 0 ? 'domain' : 'task';
    const competition = `${domain}-comp-${i % 4}`;
    const topic = TOPICS[(i * 7) % TOPICS.length]!;
    return createSkill(
      {
        tier,
        scope: tier === 'global' ? {} : tier === 'domain' ? { domain } : { domain, competition },
        kind: 'technique',
        title: `${topic} for ${domain} number ${i}`,
        body: `Use ${topic} on ${domain} data${i % 3 === 0 ? ' with gradient boosting' : ''}; variant ${i % 11}.`,
        conditions: { taskTypes: i % 3 === 0 ? [] : [TASK_TYPES[i % 4]!] },
        status: i % 5 === 0 ? 'candidate' : 'active',
      },
      new Date('2026-01-01T00:00:00Z'),
    );
  });
}

/** The filter's documented meaning, written out independently of the store. */
function passes(s: SkillRecord, f: SkillFilter): boolean {
  return (
    (!f.tier || f.tier.includes(s.tier)) &&
    (!f.status || f.status.includes(s.status)) &&
    (f.domain === undefined || s.scope.domain === f.domain) &&
    (f.competition === undefined || s.scope.competition === f.competition) &&
    (f.taskType === undefined || s.conditions.taskTypes.length === 0 || s.conditions.taskTypes.includes(f.taskType))
  );
}

describe('SqliteSkillStore search', () => {
  const skills = library(300);
  let store: SqliteSkillStore;
  beforeAll(async () => {
    store = SqliteSkillStore.open({ file: tmpFile(), embedder });
    await store.upsert(skills);
  });
  afterAll(async () => store?.close());

  // Narrow filters restrict BM25 to the filter's rows inside SQLite, broad ones filter its ranking:
  // either way a filtered search must equal the unfiltered one with the filter applied afterwards.
  const filters: SkillFilter[] = [
    { tier: ['global'], status: ['active'], taskType: 'binary' },
    { tier: ['domain'], status: ['active'], taskType: 'regression', domain: 'tabular' },
    { tier: ['task'], status: ['active', 'candidate'], taskType: 'multiclass', domain: 'vision', competition: 'vision-comp-1' },
    { tier: ['task', 'domain'] },
    { status: ['active'] },
    { domain: 'no-such-domain' },
  ];
  for (const mode of ['text', 'dense'] as const) {
    it(`${mode} search inside a filter ranks and scores exactly as the unfiltered search filtered afterwards`, async () => {
      const byId = new Map(skills.map((s) => [s.id, s]));
      const text = 'gradient boosting for binary tabular data';
      const everything = await store.search({ text, mode, limit: 1000 });
      expect(everything.length).toBeGreaterThan(50);
      for (const filter of filters) {
        const filtered = await store.search({ text, mode, filter, limit: 1000 });
        const expected = everything.filter((h) => passes(byId.get(h.skill.id)!, filter));
        expect(filtered.map((h) => [h.skill.id, h.score]), JSON.stringify(filter)).toEqual(expected.map((h) => [h.skill.id, h.score]));
      }
    });
  }
});

describe('SqliteSkillStore vector cache', () => {
  it("sees another connection's inserts, status changes and deletes, also when a deleted row's rowid is reused", async () => {
    const file = tmpFile();
    const reader = SqliteSkillStore.open({ file, embedder });
    const writer = SqliteSkillStore.open({ file, embedder });
    const draft = (title: string) => createSkill({ tier: 'domain', scope: { domain: 'tabular' }, kind: 'technique', title, body: `${title}: gradient boosting with early stopping.`, status: 'active' });
    const [kept, dropped, replacement] = [draft('Kept skill'), draft('Dropped skill'), draft('Replacement skill')];
    const filter: SkillFilter = { tier: ['domain'], status: ['active'] };
    const found = async () =>
      Object.fromEntries(await Promise.all((['hybrid', 'dense', 'text'] as const).map(async (mode) => [mode, (await reader.search({ text: 'gradient boosting', filter, mode, limit: 10 })).map((h) => h.skill.title).sort()])));
    const everyMode = (titles: string[]) => ({ hybrid: titles, dense: titles, text: titles });
    try {
      await writer.upsert([kept, dropped]);
      expect(await found()).toEqual(everyMode(['Dropped skill', 'Kept skill']));

      await writer.setStatus(kept.id, 'deprecated', 'superseded');
      expect(await found()).toEqual(everyMode(['Dropped skill']));

      const rowidOf = (id: string) => {
        const db = new Database(file, { readonly: true });
        try {
          return (db.prepare('SELECT rowid FROM skills WHERE id = ?').pluck().get(id) as number | undefined) ?? null;
        } finally {
          db.close();
        }
      };
      const droppedRowid = rowidOf(dropped.id);
      await writer.delete(dropped.id);
      await writer.upsert([replacement]);
      expect(rowidOf(replacement.id)).toBe(droppedRowid); // SQLite reused the rowid: the cache must follow the id
      expect(await found()).toEqual(everyMode(['Replacement skill']));
    } finally {
      await reader.close();
      await writer.close();
    }
  });
});
