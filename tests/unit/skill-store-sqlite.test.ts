import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { textTokens } from '../../skill-store/bm25.js';
import { lazyEmbedder } from '../../skill-store/embedder.js';
import { HashingEmbedder } from '../../skill-store/hashing-embedder.js';
import { createSkill, type SkillRecord } from '../../schemas/skill.js';
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

  // Filters apply before ranking (dense, and BM25 in memory) or to FTS5's ranking (a query FTS5 must
  // rank itself, see below): either way a filtered search equals the unfiltered one filtered afterwards.
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
      for (const text of ['gradient boosting for binary tabular data', 'gradient boosting a\u19b0b']) {
        const everything = await store.search({ text, mode, limit: 1000 });
        expect(everything.length).toBeGreaterThan(50);
        for (const filter of filters) {
          const filtered = await store.search({ text, mode, filter, limit: 1000 });
          const expected = everything.filter((h) => passes(byId.get(h.skill.id)!, filter));
          expect(
            filtered.map((h) => [h.skill.id, h.score]),
            `${text} ${JSON.stringify(filter)}`,
          ).toEqual(expected.map((h) => [h.skill.id, h.score]));
        }
      }
    });
  }
});

/** FTS5's own ranking of the whole store for a text, as the store's text search defines it. */
function fts5Ranking(file: string, text: string): [string, number][] {
  const match = [...new Set(textTokens(text))].map((t) => `"${t}"`).join(' OR ');
  const db = new Database(file, { readonly: true });
  try {
    return db
      .prepare('SELECT s.id, bm25(skills_fts) FROM skills_fts JOIN skills s ON s.rowid = skills_fts.rowid WHERE skills_fts MATCH ? ORDER BY 2, s.rowid')
      .raw()
      .all(match) as [string, number][];
  } finally {
    db.close();
  }
}

describe('SqliteSkillStore text ranking', () => {
  it("equals FTS5's bm25() to the bit, also after another connection's writes", async () => {
    const file = tmpFile();
    const reader = SqliteSkillStore.open({ file, embedder });
    const writer = SqliteSkillStore.open({ file, embedder });
    // Common words (IDF at its floor), rare ones, stems, repeats, an unknown word, and a term FTS5
    // splits in two (U+19B0 is a letter to textTokens, a separator to FTS5): FTS5 ranks that query itself.
    const texts = ['gradient boosting', 'boosted gradients for tabular data data', 'variant 7 early stopping on vision', 'nothing-matches-this', 'class weights a\u19b0b'];
    const check = async (stage: string) => {
      for (const text of texts) {
        const hits = await reader.search({ text, mode: 'text', limit: 1000 });
        expect(
          hits.map((h) => [h.skill.id, -h.score]),
          `${stage}: ${text}`,
        ).toEqual(fts5Ranking(file, text).slice(0, 1000));
      }
    };
    try {
      const skills = library(240);
      await writer.upsert(skills.slice(0, 200));
      await check('initial');
      await writer.upsert(skills.slice(200)); // new rows
      await writer.upsert(skills.slice(0, 30).map((s, i) => ({ ...s, body: `${s.body} Rewritten ${i % 2 ? 'with gradient boosting' : 'for vision'}.`, version: 2 }))); // new texts
      for (const s of skills.slice(30, 40)) await writer.delete(s.id);
      await writer.setStatus(skills[50]!.id, 'retired', 'stopped helping'); // same text, new version
      await check('after writes');
      await writer.upsert(library(2000).slice(240)); // more rows than are re-tokenized: cached terms are dropped
      await check('after a bulk write');
    } finally {
      await reader.close();
      await writer.close();
    }
  });
});

describe('SqliteSkillStore vector cache', () => {
  it("sees another connection's inserts, status changes and deletes, also when a deleted row's rowid is reused", async () => {
    const file = tmpFile();
    const reader = SqliteSkillStore.open({ file, embedder });
    const writer = SqliteSkillStore.open({ file, embedder });
    const draft = (title: string) =>
      createSkill({ tier: 'domain', scope: { domain: 'tabular' }, kind: 'technique', title, body: `${title}: gradient boosting with early stopping.`, status: 'active' });
    const [kept, dropped, replacement] = [draft('Kept skill'), draft('Dropped skill'), draft('Replacement skill')];
    const filter: SkillFilter = { tier: ['domain'], status: ['active'] };
    const found = async () =>
      Object.fromEntries(
        await Promise.all(
          (['hybrid', 'dense', 'text'] as const).map(async (mode) => [
            mode,
            (await reader.search({ text: 'gradient boosting', filter, mode, limit: 10 })).map((h) => h.skill.title).sort(),
          ]),
        ),
      );
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
