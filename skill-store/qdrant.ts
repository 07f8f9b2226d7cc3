import { QdrantClient } from '@qdrant/js-client-rest';
import { bm25Document, bm25Query } from './bm25.js';
import { QueryEmbeddings, type EmbedderSource } from './embedder.js';
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

type Filter = { must: Record<string, unknown>[] };

const SPARSE = 'bm25';
/** Marks "any task type" in the task_types payload, so one `match any` covers both cases. */
const ANY_TASK_TYPE = '*';
/** Optimistic read-modify-write retries before a stats or status change gives up. */
const MODIFY_ATTEMPTS = 8;

/** The dense vector's name carries the embedder id, so a collection can never mix two embedders. */
function denseVectorName(embedderId: string): string {
  return `dense:${embedderId}`;
}

function qdrantFilter(filter: SkillFilter): Filter {
  const must: Record<string, unknown>[] = [];
  if (filter.tier) must.push({ key: 'tier', match: { any: filter.tier } });
  if (filter.status) must.push({ key: 'status', match: { any: filter.status } });
  if (filter.domain !== undefined) must.push({ key: 'scope.domain', match: { value: filter.domain } });
  if (filter.competition !== undefined) must.push({ key: 'scope.competition', match: { value: filter.competition } });
  if (filter.taskType !== undefined) must.push({ key: 'task_types', match: { any: [filter.taskType, ANY_TASK_TYPE] } });
  return { must };
}

function payloadOf(skill: SkillRecord): Record<string, unknown> {
  return { ...skill, task_types: skill.conditions.taskTypes.length ? skill.conditions.taskTypes : [ANY_TASK_TYPE] };
}

function recordOf(payload: Record<string, unknown> | null | undefined): SkillRecord {
  const { task_types: _t, ...record } = payload ?? {};
  return SkillRecordSchema.parse(record);
}

export interface QdrantStoreOptions {
  url: string;
  apiKey?: string;
  collection: string;
  embedder: EmbedderSource;
}

/**
 * The production skill store: one Qdrant collection with a named dense vector (cosine) and a sparse
 * BM25 vector (IDF applied by Qdrant), payload indexes on tier, domain, competition, status, task
 * type and version. All writes wait for the server to apply them (`wait: true`). Version checks use
 * Qdrant's conditional upsert (`update_filter` on the stored version) and are verified by reading
 * back, so two writers racing on one skill cannot both win.
 */
export class QdrantSkillStore implements SkillStore {
  readonly location: string;
  private readonly dense: string;
  private readonly queries: QueryEmbeddings;

  private constructor(
    private readonly client: QdrantClient,
    private readonly options: QdrantStoreOptions,
  ) {
    this.location = `${options.url} collection ${options.collection}`;
    this.dense = denseVectorName(options.embedder.id);
    this.queries = new QueryEmbeddings(options.embedder);
  }

  /** Connects, creates the collection and its payload indexes on first use, and checks the embedder. */
  static async open(options: QdrantStoreOptions): Promise<QdrantSkillStore> {
    const client = new QdrantClient({ url: options.url, apiKey: options.apiKey, checkCompatibility: false });
    const store = new QdrantSkillStore(client, options);
    try {
      await store.ensureCollection();
    } catch (err) {
      if (err instanceof EmbedderMismatchError) throw err;
      throw new Error(`cannot use Qdrant at QDRANT_URL=${options.url} (collection ${options.collection}): ${(err as Error).message}; check QDRANT_URL and QDRANT_API_KEY, or unset QDRANT_URL to use the embedded store`);
    }
    return store;
  }

  private async ensureCollection(): Promise<void> {
    const { collection, embedder } = this.options;
    const { exists } = await this.client.collectionExists(collection);
    if (!exists) {
      await this.client.createCollection(collection, {
        vectors: { [this.dense]: { size: embedder.dimension, distance: 'Cosine' } },
        sparse_vectors: { [SPARSE]: { modifier: 'idf' } },
      });
      const indexes: [string, 'keyword' | 'integer'][] = [
        ['tier', 'keyword'],
        ['status', 'keyword'],
        ['scope.domain', 'keyword'],
        ['scope.competition', 'keyword'],
        ['task_types', 'keyword'],
        ['version', 'integer'],
      ];
      for (const [field_name, field_schema] of indexes) {
        await this.client.createPayloadIndex(collection, { field_name, field_schema, wait: true });
      }
    }
    const info = await this.client.getCollection(collection);
    const vectors = info.config.params.vectors as Record<string, { size: number }> | undefined;
    const ours = vectors?.[this.dense];
    if (!ours || ours.size !== embedder.dimension) {
      const [name, params] = Object.entries(vectors ?? {})[0] ?? ['(none)', { size: 0 }];
      throw new EmbedderMismatchError(this.location, { id: name.replace(/^dense:/, ''), dimension: params.size }, embedder);
    }
  }

  private async fetch(ids: string[], withVector = false): Promise<Map<string, { record: SkillRecord; vector?: unknown }>> {
    if (ids.length === 0) return new Map();
    const points = await this.client.retrieve(this.options.collection, { ids, with_payload: true, with_vector: withVector });
    return new Map(points.map((p) => [String(p.id), { record: recordOf(p.payload), vector: p.vector }]));
  }

  async upsert(skills: SkillRecord[]): Promise<{ inserted: number; updated: number; unchanged: number }> {
    const records = skills.map((s) => SkillRecordSchema.parse(s));
    if (new Set(records.map((r) => r.id)).size !== records.length) throw new Error('upsert: a skill appears twice in one batch; write one version per call');
    const stored = await this.fetch(records.map((r) => r.id));
    const counts = { inserted: 0, updated: 0, unchanged: 0 };
    const writes: SkillRecord[] = [];
    // Every version is checked before anything is written, so a conflict leaves the batch unwritten.
    for (const record of records) {
      const current = stored.get(record.id)?.record;
      if (current && sameSkillState(current, record)) counts.unchanged++;
      else if (current && record.version !== current.version + 1) throw new VersionConflictError(record.id, current.version, record.version);
      else writes.push(record);
    }
    if (writes.length === 0) return counts;
    const embedder = await this.options.embedder.load();
    const vectors = await embedder.embed(writes.map(skillSearchText));
    const point = (r: SkillRecord, i: number) => ({
      id: r.id,
      vector: { [this.dense]: Array.from(vectors[i]!), [SPARSE]: bm25Document(skillSearchText(r)) },
      payload: payloadOf(r),
    });
    const inserts = writes.map((r, i) => ({ r, p: point(r, i) })).filter(({ r }) => !stored.has(r.id));
    if (inserts.length) {
      await this.client.upsert(this.options.collection, { wait: true, points: inserts.map(({ p }) => p), update_mode: 'insert_only' });
    }
    // Updates grouped by the version they expect to replace: the server applies each only over that version.
    const updates = writes.map((r, i) => ({ r, p: point(r, i) })).filter(({ r }) => stored.has(r.id));
    for (const expected of new Set(updates.map(({ r }) => r.version - 1))) {
      const group = updates.filter(({ r }) => r.version - 1 === expected);
      await this.client.upsert(this.options.collection, {
        wait: true,
        points: group.map(({ p }) => p),
        update_filter: { must: [{ key: 'version', match: { value: expected } }] },
      });
    }
    const after = await this.fetch(writes.map((r) => r.id));
    for (const record of writes) {
      const now = after.get(record.id)?.record;
      if (!now || !sameSkillState(now, record)) throw new VersionConflictError(record.id, now?.version ?? 0, record.version);
      if (stored.has(record.id)) counts.updated++;
      else counts.inserted++;
    }
    return counts;
  }

  async get(id: string): Promise<SkillRecord | null> {
    return (await this.fetch([id])).get(id)?.record ?? null;
  }

  async search(query: SkillSearch): Promise<SkillHit[]> {
    const q = SkillSearchSchema.parse(query);
    const depth = Math.max(FUSION_DEPTH, q.limit);
    const filter = qdrantFilter(q.filter);
    const searches: Record<string, unknown>[] = [];
    if (q.mode !== 'text') {
      const vector = q.vector ?? (await this.queries.embed(q.text));
      searches.push({ query: Array.from(vector), using: this.dense, filter, limit: depth, with_payload: true });
    }
    const sparse = bm25Query(q.text);
    if (q.mode !== 'dense' && sparse.indices.length) searches.push({ query: sparse, using: SPARSE, filter, limit: depth, with_payload: true });
    if (searches.length === 0) return [];
    const results = await this.client.queryBatch(this.options.collection, { searches: searches as never });
    const records = new Map<string, SkillRecord>();
    const lists = results.map((r) =>
      r.points.map((p) => {
        records.set(String(p.id), recordOf(p.payload));
        return { id: String(p.id), score: p.score };
      }),
    );
    const dense = q.mode === 'text' ? [] : lists[0]!.map((p) => ({ id: p.id, cosine: p.score }));
    const text = q.mode === 'dense' ? [] : (lists[q.mode === 'text' ? 0 : 1] ?? []);
    const ranked =
      q.mode === 'hybrid'
        ? fuseByReciprocalRank(dense, text)
        : q.mode === 'dense'
          ? dense.map((d, i) => ({ id: d.id, score: d.cosine, denseRank: i + 1, cosine: d.cosine }))
          : text.map((t, i) => ({ id: t.id, score: t.score, textRank: i + 1 }));
    return ranked.slice(0, q.limit).map((r) => ({ ...r, skill: records.get(r.id)! }));
  }

  async list(filter: SkillFilter = {}, page: { limit?: number; after?: string } = {}): Promise<SkillRecord[]> {
    const f = qdrantFilter(SkillFilterSchema.parse(filter));
    const out: SkillRecord[] = [];
    let offset: string | undefined = page.after;
    const wanted = page.limit ?? Infinity;
    while (out.length < wanted) {
      const batch = await this.client.scroll(this.options.collection, { filter: f, limit: 256, offset, with_payload: true, with_vector: false });
      for (const p of batch.points) if (String(p.id) !== page.after) out.push(recordOf(p.payload));
      if (batch.next_page_offset === null || batch.next_page_offset === undefined) break;
      offset = String(batch.next_page_offset);
    }
    return out.slice(0, wanted);
  }

  /** Optimistic read-modify-write: the payload is set only where the version is still the one read. */
  private async modify(id: string, change: (skill: SkillRecord) => SkillRecord): Promise<SkillRecord> {
    for (let attempt = 0; attempt < MODIFY_ATTEMPTS; attempt++) {
      const stored = await this.get(id);
      if (!stored) throw new SkillNotFoundError(id);
      const changed = change(stored);
      if (changed === stored) return stored; // nothing to write (e.g. a use already counted)
      const next = SkillRecordSchema.parse({ ...changed, version: stored.version + 1, updatedAt: new Date().toISOString() });
      await this.client.setPayload(this.options.collection, {
        wait: true,
        payload: payloadOf(next),
        filter: { must: [{ has_id: [id] }, { key: 'version', match: { value: stored.version } }] },
      });
      const now = await this.get(id);
      if (now && sameSkillState(now, next)) return now;
    }
    throw new Error(`skill ${id} kept changing under ${MODIFY_ATTEMPTS} attempts to update it; retry later`);
  }

  async recordOutcome(id: string, outcome: SkillOutcome): Promise<SkillRecord> {
    return this.modify(id, (s) => applyOutcome(s, outcome));
  }

  async setStatus(id: string, status: SkillStatus, reason: string): Promise<SkillRecord> {
    return this.modify(id, (s) => ({ ...s, status, statusReason: reason }));
  }

  async delete(id: string): Promise<boolean> {
    if (!(await this.get(id))) return false;
    await this.client.delete(this.options.collection, { wait: true, points: [id] });
    return true;
  }

  /** A server-side collection snapshot; returns its name (download it from Qdrant's snapshot API). */
  async snapshot(): Promise<string> {
    const snapshot = await this.client.createSnapshot(this.options.collection, { wait: true });
    if (!snapshot) throw new Error(`Qdrant at ${this.options.url} returned no snapshot description`);
    return snapshot.name;
  }

  async close(): Promise<void> {}
}
