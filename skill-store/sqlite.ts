import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { textTokens } from './bm25.js';
import type { EmbedderSource } from './embedder.js';
import { QueryEmbeddings } from './embedder.js';
import { sameSkillState, SkillRecordSchema, skillSearchText, type SkillRecord, type SkillStatus } from '../schemas/skill.js';
import {
  EmbedderMismatchError,
  FUSION_DEPTH,
  fuseByReciprocalRank,
  SkillFilterSchema,
  SkillNotFoundError,
  SkillSearchSchema,
  VersionConflictError,
  type SkillFilter,
  type SkillHit,
  type SkillOutcome,
  type SkillSearch,
  type SkillStore,
  applyOutcome,
} from './store.js';
import { InMemoryBm25 } from './fts5-bm25.js';
import { VectorCache, type SelectedSlots, type SkillPayload } from './vector-cache.js';

/** FTS5's tokenizer for skill text; the in-memory BM25 tokenizes queries and changed rows with the same one. */
const TOKENIZE = 'porter unicode61 remove_diacritics 2';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS skills (
  id TEXT PRIMARY KEY,
  tier TEXT NOT NULL,
  domain TEXT,
  competition TEXT,
  status TEXT NOT NULL,
  task_types TEXT NOT NULL,
  version INTEGER NOT NULL,
  record TEXT NOT NULL,
  vector BLOB NOT NULL,
  seq INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS skills_by_scope ON skills (tier, domain, status);
CREATE INDEX IF NOT EXISTS skills_by_seq ON skills (seq);
CREATE TABLE IF NOT EXISTS tombstones (id TEXT PRIMARY KEY, seq INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS use_keys (skill_id TEXT NOT NULL, key TEXT NOT NULL, PRIMARY KEY (skill_id, key)) WITHOUT ROWID;
CREATE VIRTUAL TABLE IF NOT EXISTS skills_fts USING fts5 (text, tokenize = '${TOKENIZE}');
`;

interface SkillRow {
  rowid: number;
  id: string;
  tier: string;
  domain: string | null;
  competition: string | null;
  status: string;
  task_types: string;
  version: number;
  record: string;
  vector: Buffer;
  seq: number;
}

/** A stored vector blob as a Float32Array of its own (blobs need not be 4-byte aligned). */
function vectorOf(blob: Buffer): Float32Array {
  return new Float32Array(blob.buffer.slice(blob.byteOffset, blob.byteOffset + blob.byteLength));
}

function payloadOf(row: Pick<SkillRow, 'tier' | 'domain' | 'competition' | 'status' | 'task_types'>): SkillPayload {
  return { tier: row.tier, domain: row.domain, competition: row.competition, status: row.status, taskTypes: row.task_types ? row.task_types.split(',') : [] };
}

/** The filter as SQL over the skills table (aliased s). */
function filterSql(filter: SkillFilter): { where: string; params: unknown[] } {
  const clauses: string[] = [];
  const params: unknown[] = [];
  if (filter.tier) {
    clauses.push(`s.tier IN (${filter.tier.map(() => '?').join(',')})`);
    params.push(...filter.tier);
  }
  if (filter.status) {
    clauses.push(`s.status IN (${filter.status.map(() => '?').join(',')})`);
    params.push(...filter.status);
  }
  if (filter.domain !== undefined) {
    clauses.push('s.domain = ?');
    params.push(filter.domain);
  }
  if (filter.competition !== undefined) {
    clauses.push('s.competition = ?');
    params.push(filter.competition);
  }
  if (filter.taskType !== undefined) {
    clauses.push(`(s.task_types = '' OR (',' || s.task_types || ',') LIKE ?)`);
    params.push(`%,${filter.taskType},%`);
  }
  return { where: clauses.length ? clauses.join(' AND ') : '1', params };
}

export interface SqliteStoreOptions {
  /** The database file, e.g. HASTE_HOME/skills.sqlite (created with its folder). */
  file: string;
  embedder: EmbedderSource;
  /** How long a writer waits for another process's write lock before failing (default 10 s). */
  busyTimeoutMs?: number;
}

/** Every statement the store runs more than once, prepared once per connection. */
function prepareStatements(db: Database.Database) {
  return {
    seq: db.prepare("SELECT value FROM meta WHERE key = 'seq'").pluck(),
    setSeq: db.prepare("UPDATE meta SET value = ? WHERE key = 'seq'"),
    changedSince: db.prepare('SELECT rowid, id, tier, domain, competition, status, task_types, vector FROM skills WHERE seq > ?'),
    deletedSince: db.prepare('SELECT id FROM tombstones WHERE seq > ?').pluck(),
    record: db.prepare('SELECT record FROM skills WHERE id = ?').pluck(),
    vector: db.prepare('SELECT vector FROM skills WHERE id = ?').pluck(),
    rowid: db.prepare('SELECT rowid FROM skills WHERE id = ?').pluck(),
    writeSkill: db
      .prepare(
        `INSERT INTO skills (id, tier, domain, competition, status, task_types, version, record, vector, seq)
         VALUES (@id, @tier, @domain, @competition, @status, @task_types, @version, @record, @vector, @seq)
         ON CONFLICT (id) DO UPDATE SET tier = @tier, domain = @domain, competition = @competition, status = @status,
           task_types = @task_types, version = @version, record = @record, vector = @vector, seq = @seq
         RETURNING rowid`,
      )
      .pluck(),
    deleteSkill: db.prepare('DELETE FROM skills WHERE id = ?'),
    useKeyCounted: db.prepare('SELECT 1 FROM use_keys WHERE skill_id = ? AND key = ?').pluck(),
    countUseKey: db.prepare('INSERT INTO use_keys (skill_id, key) VALUES (?, ?)'),
    forgetUseKeys: db.prepare('DELETE FROM use_keys WHERE skill_id = ?'),
    deleteText: db.prepare('DELETE FROM skills_fts WHERE rowid = ?'),
    writeText: db.prepare('INSERT INTO skills_fts (rowid, text) VALUES (?, ?)'),
    clearTombstone: db.prepare('DELETE FROM tombstones WHERE id = ?'),
    writeTombstone: db.prepare('INSERT INTO tombstones (id, seq) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET seq = excluded.seq'),
    // Only for queries the in-memory BM25 leaves to FTS5 (see textSearch).
    textRanked: db.prepare('SELECT rowid, bm25(skills_fts) AS bm25 FROM skills_fts WHERE skills_fts MATCH ? ORDER BY bm25, rowid'),
  };
}

/**
 * The embedded skill store: one SQLite file in WAL mode (readers never block the writer, so the
 * worker can write while the CLI reads), FTS5 for the text index with its bm25() ranking (computed
 * in memory, see InMemoryBm25), exact cosine over float32 vectors on the pre-filtered set. Every write is one IMMEDIATE transaction: a process killed mid-write leaves the
 * previous state, never part of a skill or part of a batch. Searches read one snapshot (a read
 * transaction), so the in-memory vector cache, BM25 and the records returned always agree.
 */
export class SqliteSkillStore implements SkillStore {
  readonly location: string;
  private readonly db: Database.Database;
  private readonly sql: ReturnType<typeof prepareStatements>;
  private readonly cache: VectorCache;
  private readonly bm25: InMemoryBm25;
  private readonly queries: QueryEmbeddings;
  private readonly inReadTransaction: <T>(read: () => T) => T;

  private constructor(private readonly options: SqliteStoreOptions) {
    this.location = options.file;
    this.queries = new QueryEmbeddings(options.embedder);
    mkdirSync(path.dirname(options.file), { recursive: true });
    this.db = new Database(options.file);
    this.db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 10_000}`);
    this.db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode: a killed process never corrupts or half-applies a commit; only an OS crash may drop the last commits.
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(SCHEMA);
    this.sql = prepareStatements(this.db);
    this.cache = new VectorCache(options.embedder.dimension);
    this.bm25 = new InMemoryBm25(this.db, 'skills_fts', TOKENIZE);
    const transaction = this.db.transaction((read: () => unknown) => read());
    this.inReadTransaction = <T>(read: () => T) => transaction.deferred(read) as T;
  }

  /** Opens (or creates) the store; throws EmbedderMismatchError if it holds another embedder's vectors. */
  static open(options: SqliteStoreOptions): SqliteSkillStore {
    const store = new SqliteSkillStore(options);
    try {
      store.claimEmbedder();
    } catch (err) {
      store.db.close();
      throw err;
    }
    return store;
  }

  private claimEmbedder(): void {
    const { id, dimension } = this.options.embedder;
    this.db
      .transaction(() => {
        const read = (key: string) => (this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value;
        const storedId = read('embedder_id');
        if (storedId === undefined) {
          const set = this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
          set.run('embedder_id', id);
          set.run('embedder_dimension', String(dimension));
          set.run('seq', '0');
          return;
        }
        const storedDimension = Number(read('embedder_dimension'));
        if (storedId !== id || storedDimension !== dimension) {
          throw new EmbedderMismatchError(this.location, { id: storedId, dimension: storedDimension }, { id, dimension });
        }
      })
      .immediate();
  }

  private currentSeq(): number {
    return Number(this.sql.seq.get());
  }

  /** Brings the vector cache and the in-memory BM25 up to the database's sequence number (cheap when nothing changed); call inside a read transaction. */
  private syncCache(): void {
    const seq = this.currentSeq();
    if (seq === this.cache.seq) return;
    const rewritten = new Set<string>();
    const changed: { slot: number; rowid: number }[] = [];
    for (const row of this.sql.changedSince.iterate(this.cache.seq) as IterableIterator<SkillRow>) {
      changed.push({ slot: this.cache.put(row.id, row.rowid, payloadOf(row), vectorOf(row.vector)), rowid: row.rowid });
      rewritten.add(row.id);
    }
    const slots = changed.map((c) => c.slot);
    for (const id of this.sql.deletedSince.all(this.cache.seq) as string[]) {
      const slot = rewritten.has(id) ? undefined : this.cache.remove(id);
      if (slot !== undefined) slots.push(slot);
    }
    this.bm25.forget(slots, changed);
    this.cache.seq = seq;
  }

  private readRecord(id: string): SkillRecord | null {
    const record = this.sql.record.get(id) as string | undefined;
    return record === undefined ? null : SkillRecordSchema.parse(JSON.parse(record));
  }

  /** Writes one record and its FTS row inside the caller's transaction. */
  private writeRow(skill: SkillRecord, vector: Float32Array, seq: number): void {
    const rowid = this.sql.writeSkill.get({
      id: skill.id,
      tier: skill.tier,
      domain: skill.scope.domain ?? null,
      competition: skill.scope.competition ?? null,
      status: skill.status,
      task_types: skill.conditions.taskTypes.join(','),
      version: skill.version,
      record: JSON.stringify(skill),
      vector: Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength),
      seq,
    }) as number;
    this.sql.deleteText.run(rowid);
    this.sql.writeText.run(rowid, skillSearchText(skill));
    this.sql.clearTombstone.run(skill.id);
  }

  private nextSeq(): number {
    const seq = this.currentSeq() + 1;
    this.sql.setSeq.run(String(seq));
    return seq;
  }

  async upsert(skills: SkillRecord[]): Promise<{ inserted: number; updated: number; unchanged: number }> {
    const records = skills.map((s) => SkillRecordSchema.parse(s));
    const ids = new Set<string>();
    for (const r of records) {
      if (ids.has(r.id)) throw new Error(`upsert: skill ${r.id} appears twice in one batch; write one version per call`);
      ids.add(r.id);
    }
    // Embed outside the transaction (it is slow), only what is not already stored as is.
    const seen = new Set<string>();
    const pending = records.filter((r) => {
      const stored = this.readRecord(r.id);
      if (stored) seen.add(r.id);
      return !stored || !sameSkillState(stored, r);
    });
    const embedder = pending.length ? await this.options.embedder.load() : null;
    const vectors = embedder ? await embedder.embed(pending.map(skillSearchText)) : [];
    const vectorOf = new Map(pending.map((r, i) => [r.id, vectors[i]!]));
    const counts = { inserted: 0, updated: 0, unchanged: 0 };
    this.db
      .transaction(() => {
        const seq = this.nextSeq();
        for (const record of records) {
          // Checked again under the write lock: another process may have written since we looked.
          const stored = this.readRecord(record.id);
          if (stored && sameSkillState(stored, record)) {
            counts.unchanged++;
            continue;
          }
          if (stored && record.version !== stored.version + 1) throw new VersionConflictError(record.id, stored.version, record.version);
          // Deleted since we read it: this was an update, and an update never re-creates a deleted skill.
          if (!stored && seen.has(record.id)) throw new VersionConflictError(record.id, 0, record.version);
          const vector = vectorOf.get(record.id);
          if (!vector) throw new Error(`skill ${record.id} changed while this batch was embedded; retry the upsert`);
          this.writeRow(record, vector, seq);
          if (stored) counts.updated++;
          else counts.inserted++;
        }
      })
      .immediate();
    return counts;
  }

  async get(id: string): Promise<SkillRecord | null> {
    return this.readRecord(id);
  }

  async search(query: SkillSearch): Promise<SkillHit[]> {
    const q = SkillSearchSchema.parse(query);
    const depth = Math.max(FUSION_DEPTH, q.limit);
    const vector = q.mode === 'text' ? null : (q.vector ?? (await this.queries.embed(q.text)));
    return this.inReadTransaction(() => {
      this.syncCache();
      const selected = this.cache.select(q.filter);
      const dense = vector ? this.cache.nearest(vector, selected.slots, depth) : [];
      const text = q.mode === 'dense' ? [] : this.textSearch(q.text, selected, depth);
      const ranked =
        q.mode === 'hybrid'
          ? fuseByReciprocalRank(dense, text)
          : q.mode === 'dense'
            ? dense.map((d, i) => ({ id: d.id, score: d.cosine, denseRank: i + 1, cosine: d.cosine }))
            : text.map((t, i) => ({ id: t.id, score: -t.bm25, textRank: i + 1 }));
      const hits: SkillHit[] = [];
      for (const r of ranked.slice(0, q.limit)) {
        const skill = this.readRecord(r.id);
        if (skill) hits.push({ ...r, skill });
      }
      return hits;
    });
  }

  /**
   * FTS5 BM25 over title, body and recipe among the selected skills; any query term may match (OR),
   * rarer terms weigh more; equal scores in rowid order. Computed in memory (InMemoryBm25) and by
   * FTS5 only for queries it cannot reproduce. Call inside the read transaction that synced the cache.
   */
  private textSearch(text: string, selected: SelectedSlots, depth: number): { id: string; bm25: number }[] {
    const terms = [...new Set(textTokens(text))];
    if (terms.length === 0 || selected.slots.length === 0) return [];
    const inMemory = this.bm25.search(terms, selected.marked, depth, this.cache);
    if (inMemory) return inMemory.map((h) => ({ id: this.cache.idOf(h.slot), bm25: h.bm25 }));
    return this.textSearchInSqlite(terms, selected, depth);
  }

  /** textSearch by FTS5's bm25() itself: the same ranking, at FTS5's cost (it scores every match). */
  private textSearchInSqlite(terms: string[], selected: SelectedSlots, depth: number): { id: string; bm25: number }[] {
    const match = terms.map((t) => `"${t.replace(/"/g, '""')}"`).join(' OR ');
    const out: { id: string; bm25: number }[] = [];
    for (const r of this.sql.textRanked.iterate(match) as IterableIterator<{ rowid: number; bm25: number }>) {
      const slot = this.cache.slotOfRowid(r.rowid);
      if (!selected.marked[slot]) continue;
      out.push({ id: this.cache.idOf(slot), bm25: r.bm25 });
      if (out.length === depth) break;
    }
    return out;
  }

  async list(filter: SkillFilter = {}, page: { limit?: number; after?: string } = {}): Promise<SkillRecord[]> {
    const { where, params } = filterSql(SkillFilterSchema.parse(filter));
    const rows = this.db.prepare(`SELECT record FROM skills s WHERE ${where} AND s.id > ? ORDER BY s.id LIMIT ?`).all(...params, page.after ?? '', page.limit ?? -1) as {
      record: string;
    }[];
    return rows.map((r) => SkillRecordSchema.parse(JSON.parse(r.record)));
  }

  /** Read-modify-write under the write lock, so concurrent outcomes from several workers all count. */
  private modify(id: string, change: (skill: SkillRecord) => SkillRecord): SkillRecord {
    return this.db
      .transaction(() => {
        const stored = this.readRecord(id);
        if (!stored) throw new SkillNotFoundError(id);
        const changed = change(stored);
        if (changed === stored) return stored; // nothing to write (e.g. a use already counted)
        const next = SkillRecordSchema.parse({ ...changed, version: stored.version + 1, updatedAt: new Date().toISOString() });
        this.writeRow(next, vectorOf(this.sql.vector.get(id) as Buffer), this.nextSeq());
        return next;
      })
      .immediate();
  }

  async recordOutcome(id: string, outcome: SkillOutcome): Promise<SkillRecord> {
    // Every key is remembered (not only the recent uses'), so a late retry of a use never counts twice.
    return this.modify(id, (s) => {
      if (outcome.key === undefined) return applyOutcome(s, outcome);
      if (this.sql.useKeyCounted.get(id, outcome.key)) return s;
      this.sql.countUseKey.run(id, outcome.key);
      return applyOutcome(s, outcome);
    });
  }

  async setStatus(id: string, status: SkillStatus, reason: string): Promise<SkillRecord> {
    return this.modify(id, (s) => ({ ...s, status, statusReason: reason }));
  }

  async delete(id: string): Promise<boolean> {
    return this.db
      .transaction(() => {
        const rowid = this.sql.rowid.get(id) as number | undefined;
        if (rowid === undefined) return false;
        const seq = this.nextSeq();
        this.sql.deleteText.run(rowid);
        this.sql.deleteSkill.run(id);
        this.sql.forgetUseKeys.run(id);
        this.sql.writeTombstone.run(id, seq);
        return true;
      })
      .immediate();
  }

  /** An online backup to `destination` (default: next to the store, stamped with the time). */
  async snapshot(destination?: string): Promise<string> {
    const target = destination ?? `${this.location.replace(/\.sqlite$/, '')}.snapshot-${new Date().toISOString().replace(/[:.]/g, '-')}.sqlite`;
    await this.db.backup(target);
    return target;
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
