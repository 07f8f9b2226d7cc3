import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { textTokens } from './bm25.js';
import type { EmbedderSource } from './embedder.js';
import { dot, QueryEmbeddings } from './embedder.js';
import { payloadPredicate, type SkillPayload } from './filter.js';
import { sameSkillState, SkillRecordSchema, skillSearchText, type SkillRecord, type SkillStatus } from './schema.js';
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
CREATE VIRTUAL TABLE IF NOT EXISTS skills_fts USING fts5 (text, tokenize = 'porter unicode61 remove_diacritics 2');
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

/**
 * Every vector of the store in one Float32Array, with the payload needed to pre-filter, so exact
 * cosine search scans memory instead of reading blobs. Kept in step with the database by a sequence
 * number that every write transaction bumps (other processes' writes included).
 */
class VectorCache {
  seq = -1;
  private ids: (string | null)[] = [];
  private payloads: (SkillPayload | null)[] = [];
  private matrix: Float32Array;
  private slots = new Map<string, number>();
  private free: number[] = [];

  constructor(private readonly dimension: number) {
    this.matrix = new Float32Array(dimension * 1024);
  }

  put(id: string, payload: SkillPayload, vector: Float32Array): void {
    let slot = this.slots.get(id);
    if (slot === undefined) {
      slot = this.free.pop() ?? this.ids.length;
      if ((slot + 1) * this.dimension > this.matrix.length) {
        const grown = new Float32Array(this.matrix.length * 2);
        grown.set(this.matrix);
        this.matrix = grown;
      }
      this.slots.set(id, slot);
    }
    this.ids[slot] = id;
    this.payloads[slot] = payload;
    this.matrix.set(vector, slot * this.dimension);
  }

  remove(id: string): void {
    const slot = this.slots.get(id);
    if (slot === undefined) return;
    this.slots.delete(id);
    this.ids[slot] = null;
    this.payloads[slot] = null;
    this.free.push(slot);
  }

  /** The `depth` most similar vectors among those whose payload passes, best first. */
  nearest(query: Float32Array, accept: (p: SkillPayload) => boolean, depth: number): { id: string; cosine: number }[] {
    const top: { id: string; cosine: number }[] = [];
    let floor = -Infinity;
    for (let slot = 0; slot < this.ids.length; slot++) {
      const payload = this.payloads[slot];
      if (!payload || !accept(payload)) continue;
      const cosine = dot(query, this.matrix, slot * this.dimension);
      if (top.length === depth && cosine <= floor) continue;
      let i = top.length - 1;
      if (top.length < depth) top.push({ id: '', cosine: 0 });
      else i--;
      while (i >= 0 && top[i]!.cosine < cosine) {
        top[i + 1] = top[i]!;
        i--;
      }
      top[i + 1] = { id: this.ids[slot]!, cosine };
      if (top.length === depth) floor = top[depth - 1]!.cosine;
    }
    return top;
  }
}

export interface SqliteStoreOptions {
  /** The database file, e.g. HASTE_HOME/skills.sqlite (created with its folder). */
  file: string;
  embedder: EmbedderSource;
  /** How long a writer waits for another process's write lock before failing (default 10 s). */
  busyTimeoutMs?: number;
}

/**
 * The embedded skill store: one SQLite file in WAL mode (readers never block the writer, so the
 * worker can write while the CLI reads), FTS5 for BM25, exact cosine over float32 vectors on the
 * pre-filtered set. Every write is one IMMEDIATE transaction: a process killed mid-write leaves the
 * previous state, never part of a skill or part of a batch.
 */
export class SqliteSkillStore implements SkillStore {
  readonly location: string;
  private readonly db: Database.Database;
  private readonly cache: VectorCache;
  private readonly queries: QueryEmbeddings;

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
    this.cache = new VectorCache(options.embedder.dimension);
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
    return Number((this.db.prepare("SELECT value FROM meta WHERE key = 'seq'").get() as { value: string }).value);
  }

  /** Brings the vector cache up to the database's sequence number (cheap when nothing changed). */
  private syncCache(): void {
    const seq = this.currentSeq();
    if (seq === this.cache.seq) return;
    const rows = this.db.prepare('SELECT id, tier, domain, competition, status, task_types, vector FROM skills WHERE seq > ?').all(this.cache.seq) as SkillRow[];
    for (const row of rows) {
      const vector = new Float32Array(row.vector.buffer.slice(row.vector.byteOffset, row.vector.byteOffset + row.vector.byteLength));
      this.cache.put(row.id, payloadOf(row), vector);
    }
    const gone = this.db.prepare('SELECT id FROM tombstones WHERE seq > ?').all(this.cache.seq) as { id: string }[];
    for (const { id } of gone) if (!rows.some((r) => r.id === id)) this.cache.remove(id);
    this.cache.seq = seq;
  }

  private readRecord(id: string): SkillRecord | null {
    const row = this.db.prepare('SELECT record FROM skills WHERE id = ?').get(id) as { record: string } | undefined;
    return row ? SkillRecordSchema.parse(JSON.parse(row.record)) : null;
  }

  /** Writes one record and its FTS row inside the caller's transaction. */
  private writeRow(skill: SkillRecord, vector: Float32Array, seq: number): void {
    const payload = {
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
    };
    const { rowid } = this.db
      .prepare(
        `INSERT INTO skills (id, tier, domain, competition, status, task_types, version, record, vector, seq)
         VALUES (@id, @tier, @domain, @competition, @status, @task_types, @version, @record, @vector, @seq)
         ON CONFLICT (id) DO UPDATE SET tier = @tier, domain = @domain, competition = @competition, status = @status,
           task_types = @task_types, version = @version, record = @record, vector = @vector, seq = @seq
         RETURNING rowid`,
      )
      .get(payload) as { rowid: number };
    this.db.prepare('DELETE FROM skills_fts WHERE rowid = ?').run(rowid);
    this.db.prepare('INSERT INTO skills_fts (rowid, text) VALUES (?, ?)').run(rowid, skillSearchText(skill));
    this.db.prepare('DELETE FROM tombstones WHERE id = ?').run(skill.id);
  }

  private nextSeq(): number {
    const seq = this.currentSeq() + 1;
    this.db.prepare("UPDATE meta SET value = ? WHERE key = 'seq'").run(String(seq));
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
    const pending = records.filter((r) => {
      const stored = this.readRecord(r.id);
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
    let dense: { id: string; cosine: number }[] = [];
    if (q.mode !== 'text') {
      const vector = q.vector ?? (await this.queries.embed(q.text));
      this.syncCache();
      dense = this.cache.nearest(vector, payloadPredicate(q.filter), depth);
    }
    const text = q.mode === 'dense' ? [] : this.textSearch(q.text, q.filter, depth);
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
  }

  /** FTS5 BM25 over title, body and recipe; any query term may match (OR), rarer terms weigh more. */
  private textSearch(text: string, filter: SkillFilter, depth: number): { id: string; bm25: number }[] {
    const terms = [...new Set(textTokens(text))];
    if (terms.length === 0) return [];
    const match = terms.map((t) => `"${t.replace(/"/g, '""')}"`).join(' OR ');
    const { where, params } = filterSql(filter);
    return this.db
      .prepare(
        `SELECT s.id AS id, bm25(skills_fts) AS bm25 FROM skills_fts JOIN skills s ON s.rowid = skills_fts.rowid
         WHERE skills_fts MATCH ? AND ${where} ORDER BY bm25 LIMIT ?`,
      )
      .all(match, ...params, depth) as { id: string; bm25: number }[];
  }

  async list(filter: SkillFilter = {}, page: { limit?: number; after?: string } = {}): Promise<SkillRecord[]> {
    const { where, params } = filterSql(SkillFilterSchema.parse(filter));
    const rows = this.db
      .prepare(`SELECT record FROM skills s WHERE ${where} AND s.id > ? ORDER BY s.id LIMIT ?`)
      .all(...params, page.after ?? '', page.limit ?? -1) as { record: string }[];
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
        const row = this.db.prepare('SELECT vector FROM skills WHERE id = ?').get(id) as { vector: Buffer };
        const vector = new Float32Array(row.vector.buffer.slice(row.vector.byteOffset, row.vector.byteOffset + row.vector.byteLength));
        this.writeRow(next, vector, this.nextSeq());
        return next;
      })
      .immediate();
  }

  async recordOutcome(id: string, outcome: SkillOutcome): Promise<SkillRecord> {
    return this.modify(id, (s) => applyOutcome(s, outcome));
  }

  async setStatus(id: string, status: SkillStatus, reason: string): Promise<SkillRecord> {
    return this.modify(id, (s) => ({ ...s, status, statusReason: reason }));
  }

  async delete(id: string): Promise<boolean> {
    return this.db
      .transaction(() => {
        const row = this.db.prepare('SELECT rowid FROM skills WHERE id = ?').get(id) as { rowid: number } | undefined;
        if (!row) return false;
        const seq = this.nextSeq();
        this.db.prepare('DELETE FROM skills_fts WHERE rowid = ?').run(row.rowid);
        this.db.prepare('DELETE FROM skills WHERE id = ?').run(id);
        this.db.prepare('INSERT INTO tombstones (id, seq) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET seq = excluded.seq').run(id, seq);
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
