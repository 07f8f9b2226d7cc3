import { createHash, randomBytes } from 'node:crypto';
import { QdrantClient } from '@qdrant/js-client-rest';
import { z } from 'zod';
import { bm25Document, bm25Query } from './bm25.js';
import { QueryEmbeddings, type EmbedderSource } from './embedder.js';
import { sameSkillState, SkillRecordSchema, skillSearchText, type SkillRecord, type SkillStatus } from '../schemas/skill.js';
import {
  EmbedderMismatchError,
  FUSION_DEPTH,
  fuseByReciprocalRank,
  REMEMBERED_USE_KEYS,
  SkillFilterSchema,
  SkillNotFoundError,
  SkillSearchSchema,
  SkillStoreError,
  VersionConflictError,
  type SkillFilter,
  type SkillHit,
  type SkillOutcome,
  type SkillSearch,
  type SkillStore,
  applyOutcome,
} from './store.js';

type Condition = Record<string, unknown>;
type Filter = { must: Condition[] };
type Payload = Record<string, unknown>;
type Vectors = Record<string, unknown>;

const SPARSE = 'bm25';
/** Marks "any task type" in the task_types payload, so one `match any` covers both cases. */
const ANY_TASK_TYPE = '*';
/** update_mode (insert_only / update_only) came in 1.17; older servers ignore it and overwrite. */
const MINIMUM_SERVER = '1.17.0';

// Payload fields of the store's own, never part of a record:
/** A random token naming the write that produced the point's current state (compare-and-swap key). */
const TOKEN = '_w';
/** The tokens of the states before it, newest first: tells a writer whether its write landed. */
const HISTORY = '_h';
/** Hashes of the use keys already counted (REMEMBERED_USE_KEYS of them), so a retried use counts once. */
const USE_KEYS = '_k';
const HIDDEN = [TOKEN, HISTORY, USE_KEYS, 'task_types'];
const HISTORY_LENGTH = 32;

const INDEXED_FIELDS = ['tier', 'status', 'scope.domain', 'scope.competition', 'task_types', TOKEN];

const DEFAULT_MAX_REQUEST_BYTES = 8 * 2 ** 20;
/** Upper bounds of a number's JSON text plus its comma: a dense component (see denseJson), and any other. */
const DENSE_NUMBER_BYTES = 14;
const NUMBER_BYTES = 24;
const IDS_PER_READ = 1000;
/** Points per write request (within the byte and strict-mode limits): small enough for writes to overlap. */
const POINTS_PER_WRITE = 250;
/** Write requests in flight at once (see writePoints). */
const WRITES_IN_FLIGHT = 2;
/** A read-modify-write that keeps losing to other writers gives up after this long. */
const MODIFY_DEADLINE_MS = 60_000;

const isUuid = (id: string) => z.uuid().safeParse(id).success;
const newToken = () => randomBytes(9).toString('base64url');
/**
 * A deleter's claim is a token of its own kind, stamped with its time: while it is fresh nobody
 * overwrites it (updates wait or conflict), so the claimer's delete is the one that removes the
 * skill; a claim older than CLAIM_STALE_MS is taken to be a dead deleter's and treated as any token.
 */
const CLAIM_STALE_MS = 30_000;
const newClaim = () => `del.${Date.now().toString(36)}.${randomBytes(6).toString('base64url')}`;
function isFreshClaim(token: string): boolean {
  if (!token.startsWith('del.')) return false;
  return Date.now() - Number.parseInt(token.split('.')[1] ?? '', 36) < CLAIM_STALE_MS;
}
const useKeyHash = (key: string) => createHash('sha256').update(key).digest('base64url').slice(0, 12);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `work` on every item, at most `limit` at once; once all started ones have settled, throws the first failure. */
async function eachConcurrently<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const lane = async () => {
    while (!failure && next < items.length) {
      const item = items[next++]!;
      try {
        await work(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  if (failure) throw failure.error;
}

/**
 * A dense vector for a request body, rounded to 9 decimals: below float32's own precision for unit
 * vectors' components, and about half the JSON of full doubles (less to print, send and parse).
 */
function denseJson(vector: Float32Array): number[] {
  return Array.from(vector, (x) => Math.round(x * 1e9) / 1e9);
}

/**
 * The dense vector's name carries the embedder id, so a collection can never mix two embedders.
 * Qdrant (>= 1.18) forbids < > : " / \ | ? * and control characters in names, so everything but
 * letters, digits, '.', '_' and '-' is percent-encoded (reversibly, for the mismatch message).
 */
export function denseVectorName(embedderId: string): string {
  const encoded = Array.from(new TextEncoder().encode(embedderId), (b) =>
    /[A-Za-z0-9._-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`,
  ).join('');
  const name = `dense-${encoded}`;
  return name.length <= 200 ? name : `dense-sha256-${createHash('sha256').update(embedderId).digest('hex')}`;
}

/** The embedder id a dense vector name was made from (also the `dense:<id>` names of adapters before 1.18). */
function embedderIdOf(vectorName: string): string {
  if (vectorName.startsWith('dense:')) return vectorName.slice('dense:'.length);
  if (vectorName.startsWith('dense-sha256-')) return `(an embedder id hashed to ${vectorName})`;
  if (!vectorName.startsWith('dense-')) return vectorName;
  try {
    return decodeURIComponent(vectorName.slice('dense-'.length));
  } catch {
    return vectorName;
  }
}

/** The smallest canonical (lowercase) UUID above `text` in string order, or null when there is none. */
export function smallestUuidAbove(text: string): string | null {
  const dash = (i: number) => i === 8 || i === 13 || i === 18 || i === 23;
  const fits = (i: number, c: string) => (dash(i) ? c === '-' : /^[0-9a-f]$/.test(c));
  const fill = (from: number) => Array.from({ length: 36 - from }, (_, k) => (dash(from + k) ? '-' : '0')).join('');
  let best: string | null = null;
  // A candidate shares text's first i characters and then exceeds it; the longest shared prefix gives the smallest.
  for (let i = 0; i <= Math.min(text.length, 35); i++) {
    if (i > 0 && !fits(i - 1, text[i - 1]!)) break;
    if (i === text.length) best = text + fill(i);
    else {
      const options = dash(i) ? ['-'] : [...'0123456789abcdef'];
      const next = options.find((c) => c > text[i]!);
      if (next) best = text.slice(0, i) + next + fill(i + 1);
    }
  }
  return best;
}

function qdrantFilter(filter: SkillFilter): Filter {
  const must: Condition[] = [];
  if (filter.tier) must.push({ key: 'tier', match: { any: filter.tier } });
  if (filter.status) must.push({ key: 'status', match: { any: filter.status } });
  if (filter.domain !== undefined) must.push({ key: 'scope.domain', match: { value: filter.domain } });
  if (filter.competition !== undefined) must.push({ key: 'scope.competition', match: { value: filter.competition } });
  if (filter.taskType !== undefined) must.push({ key: 'task_types', match: { any: [filter.taskType, ANY_TASK_TYPE] } });
  return { must };
}

/** A point's state: the record, and the store's bookkeeping beside it. */
interface PointState {
  record: SkillRecord;
  token: string;
  history: string[];
  useKeys: string[];
  /** The payload as stored, to restore it when a failed batch is rolled back. */
  payload: Payload;
}

function stateOf(payload: Payload | null | undefined): PointState {
  const { task_types: _t, [TOKEN]: token, [HISTORY]: history, [USE_KEYS]: useKeys, ...record } = payload ?? {};
  return {
    record: SkillRecordSchema.parse(record),
    token: typeof token === 'string' ? token : '',
    history: Array.isArray(history) ? history.filter((t): t is string => typeof t === 'string') : [],
    useKeys: Array.isArray(useKeys) ? useKeys.filter((k): k is string => typeof k === 'string') : [],
    payload: payload ?? {},
  };
}

function payloadOf(skill: SkillRecord, token: string, before: PointState | undefined, useKeys = before?.useKeys ?? []): Payload {
  return {
    ...skill,
    task_types: skill.conditions.taskTypes.length ? skill.conditions.taskTypes : [ANY_TASK_TYPE],
    [TOKEN]: token,
    [HISTORY]: before ? [before.token, ...before.history].filter(Boolean).slice(0, HISTORY_LENGTH) : [],
    [USE_KEYS]: useKeys,
  };
}

/**
 * Whether the write that produced `token` over the state `previous` landed, judged by a point's
 * tokens now: ours in view means it landed; the replaced state in view with another successor
 * means it lost; neither in a full history means too many writes followed to tell.
 */
function landed(now: { token: string; history: string[] } | undefined, token: string, previous?: string): boolean | 'unknown' {
  if (!now) return false;
  const chain = [now.token, ...now.history];
  if (chain.includes(token)) return true;
  if (previous !== undefined && chain.includes(previous)) return false;
  return chain.length > HISTORY_LENGTH ? 'unknown' : false;
}

function compareVersions(a: string, b: string): number {
  const parts = (v: string) =>
    v
      .split(/[.-]/)
      .slice(0, 3)
      .map((p) => Number.parseInt(p, 10) || 0);
  const [x, y] = [parts(a), parts(b)];
  for (let i = 0; i < 3; i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}

/** The server's own reason for a failed request: Qdrant puts it in the body's status.error. */
function reasonOf(err: unknown): string {
  if (err && typeof err === 'object' && 'status' in err && 'data' in err) {
    const { status, data } = err as { status: number; data: unknown };
    const said = (data as { status?: { error?: unknown } } | null)?.status?.error;
    const text = typeof said === 'string' ? said : typeof data === 'string' && data.trim() ? data.trim().slice(0, 500) : String((err as { message?: unknown }).message);
    return `${text} (HTTP ${status})`;
  }
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause as { code?: string; message?: string; errors?: { message?: string }[] } | undefined;
    const detail = cause?.code ?? cause?.message ?? cause?.errors?.[0]?.message;
    return detail ? `${err.message} (${detail})` : err.message;
  }
  return String(err);
}

/** Socket errors (undici's and Node's) that mean the connection closed with no answer read. */
const DROPPED = new Set(['UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'ECONNRESET', 'EPIPE']);
function droppedConnection(err: unknown): boolean {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string' && DROPPED.has(e.code)) return true;
  }
  return false;
}

export interface QdrantCollectionSettings {
  /** Copies of each shard (default 1); more needs a cluster of that many nodes. */
  replicationFactor?: number;
  /** Shards the collection is split into (default 1). */
  shards?: number;
  /** Keep payloads on disk rather than in memory (default true, Qdrant's own default). */
  onDiskPayload?: boolean;
  /**
   * Filters matching fewer vectors than this (in KiB of vectors) are searched exhaustively, others
   * through the HNSW graph (default 1000, ~650 MiniLM vectors). Qdrant's own default (10,000) scanned
   * a tier's ~5,000 skills of 100k one by one: 5.6 ms a search against 1.6 ms through the graph.
   */
  fullScanThresholdKb?: number;
}

const DEFAULT_FULL_SCAN_THRESHOLD_KB = 1000;

export interface QdrantStoreOptions {
  url: string;
  apiKey?: string;
  collection: string;
  embedder: EmbedderSource;
  /** Applied when the collection is created; an existing collection keeps its own. */
  settings?: QdrantCollectionSettings;
  /** The largest JSON body one write request may carry (default 8 MiB; Qdrant refuses over 32 MiB by default). */
  maxRequestBytes?: number;
}

/**
 * The production skill store: one Qdrant collection with a named dense vector (cosine) and a sparse
 * BM25 vector (IDF applied by Qdrant), payload indexes on everything the store filters on. Every
 * write waits for the server to apply it and is a compare-and-swap on the point's write token
 * (insert_only for new skills, update_only plus a filter on the token for changes), read back to see
 * whether it landed, so concurrent writers can neither lose a change nor resurrect a deleted skill.
 */
export class QdrantSkillStore implements SkillStore {
  readonly location: string;
  private dense: string;
  private readonly queries: QueryEmbeddings;
  private readonly maxRequestBytes: number;
  /** Strict mode's limits on this collection, so requests stay inside them. */
  private maxPointsPerWrite = Infinity;
  private maxConditionValues = Infinity;
  /** This handle's read-modify-writes of one skill run one after another (other handles still race). */
  private readonly modifying = new Map<string, Promise<unknown>>();

  private constructor(
    private readonly client: QdrantClient,
    private readonly options: QdrantStoreOptions,
  ) {
    this.location = `${options.url} collection ${options.collection}`;
    this.dense = denseVectorName(options.embedder.id);
    this.queries = new QueryEmbeddings(options.embedder);
    this.maxRequestBytes = options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
  }

  /**
   * Connects, checks the server's version, creates the collection on first use (safely when several
   * processes do it at once), repairs missing payload indexes and text-index settings, and checks
   * that the collection holds this embedder's vectors.
   */
  static async open(options: QdrantStoreOptions): Promise<QdrantSkillStore> {
    // Identity encoding: on reused connections gzip added ~40 ms to every search.
    const client = new QdrantClient({ url: options.url, apiKey: options.apiKey, checkCompatibility: false, headers: { 'accept-encoding': 'identity' } });
    const store = new QdrantSkillStore(client, options);
    await store.ensureCollection();
    return store;
  }

  /** Runs one request; a failure becomes a SkillStoreError naming the server, the step and its reason. */
  /**
   * One request, its failure a SkillStoreError with the server's reason. A connection the server
   * closed before answering (a kept-alive socket it timed out as the request left) is tried once
   * more: every request here is a read or a write conditional on the state it replaces and read back,
   * so sending it twice changes nothing; the snapshot, which would be taken twice, opts out.
   */
  private async call<T>(step: string, request: () => Promise<T>, retryDropped = true): Promise<T> {
    try {
      try {
        return await request();
      } catch (err) {
        if (!retryDropped || !droppedConnection(err)) throw err;
        return await request();
      }
    } catch (err) {
      throw new SkillStoreError(`Qdrant at ${this.options.url} (collection ${this.options.collection}): ${step} failed: ${reasonOf(err)}`, { cause: err });
    }
  }

  /**
   * PUT of points, sent with fetch directly: the client serialises bodies through a replacer
   * function, which doubled the time to print a batch's vectors (the bulk of an import's cost).
   */
  private async putPoints(step: string, body: Record<string, unknown>): Promise<void> {
    const url = `${this.options.url.replace(/\/+$/, '')}/collections/${encodeURIComponent(this.options.collection)}/points?wait=true`;
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json', 'accept-encoding': 'identity' };
    if (this.options.apiKey) headers['api-key'] = this.options.apiKey;
    await this.call(step, async () => {
      const response = await fetch(url, { method: 'PUT', headers, body: JSON.stringify(body) });
      const text = await response.text();
      if (!response.ok) {
        let data: unknown = text;
        try {
          data = JSON.parse(text);
        } catch {
          // not JSON: the text itself is the reason
        }
        throw Object.assign(new Error(response.statusText), { status: response.status, data });
      }
    });
  }

  private async ensureCollection(): Promise<void> {
    const { collection, embedder, url } = this.options;
    const { version } = await this.call('asking the server for its version (check QDRANT_URL and QDRANT_API_KEY)', () => this.client.versionInfo());
    if (compareVersions(version, MINIMUM_SERVER) < 0) {
      throw new SkillStoreError(
        `Qdrant at ${url} is version ${version}, but HASTE needs ${MINIMUM_SERVER} or newer (older servers ignore update_mode and would overwrite concurrent changes): upgrade it, or unset QDRANT_URL to use the embedded store`,
      );
    }
    const { exists } = await this.call('checking the collection', () => this.client.collectionExists(collection));
    if (!exists) await this.createCollection();
    const info = await this.call('reading the collection', () => this.client.getCollection(collection));

    const vectors = (info.config.params.vectors ?? {}) as Record<string, { size?: number }>;
    const ours = [this.dense, `dense:${embedder.id}`].find((name) => vectors[name]?.size === embedder.dimension);
    if (!ours) {
      const [name, params] = Object.entries(vectors)[0] ?? ['(none)', { size: 0 }];
      throw new EmbedderMismatchError(this.location, { id: embedderIdOf(name), dimension: params.size ?? 0 }, embedder);
    }
    this.dense = ours;

    const sparse = (info.config.params.sparse_vectors ?? {}) as Record<string, { modifier?: string | null }>;
    if (!sparse[SPARSE]) {
      throw new SkillStoreError(
        `Qdrant at ${url}: collection ${collection} has no sparse vector "${SPARSE}" for text search, and Qdrant cannot add one to an existing collection: export the skills, point HASTE_QDRANT_COLLECTION at a new collection and import them`,
      );
    }
    if (sparse[SPARSE].modifier !== 'idf') {
      await this.call('setting IDF on the text index', () => this.client.updateCollection(collection, { sparse_vectors: { [SPARSE]: { modifier: 'idf' } } }));
    }
    // A creator that died before its index loop (or an older adapter) leaves indexes missing: add them.
    const indexed = new Set(Object.keys(info.payload_schema ?? {}));
    for (const field of INDEXED_FIELDS.filter((f) => !indexed.has(f))) {
      try {
        await this.client.createPayloadIndex(collection, { field_name: field, field_schema: 'keyword', wait: true });
      } catch (err) {
        // Another process opening the collection at the same time may have created it first.
        const now = await this.call('reading the collection', () => this.client.getCollection(collection));
        if (!(field in (now.payload_schema ?? {})))
          throw new SkillStoreError(`Qdrant at ${url} (collection ${collection}): creating the payload index on ${field} failed: ${reasonOf(err)}`, { cause: err });
      }
    }
    const strict = info.config.strict_mode_config as { enabled?: boolean | null; upsert_max_batchsize?: number | null; condition_max_size?: number | null } | null | undefined;
    if (strict?.enabled) {
      this.maxPointsPerWrite = strict.upsert_max_batchsize ?? Infinity;
      this.maxConditionValues = strict.condition_max_size ?? Infinity;
    }
    await this.assignMissingTokens();
  }

  private async createCollection(): Promise<void> {
    const { collection, embedder, settings = {} } = this.options;
    try {
      await this.client.createCollection(collection, {
        vectors: { [this.dense]: { size: embedder.dimension, distance: 'Cosine' } },
        sparse_vectors: { [SPARSE]: { modifier: 'idf' } },
        replication_factor: settings.replicationFactor,
        shard_number: settings.shards,
        on_disk_payload: settings.onDiskPayload,
        hnsw_config: { full_scan_threshold: settings.fullScanThresholdKb ?? DEFAULT_FULL_SCAN_THRESHOLD_KB },
      });
    } catch (err) {
      // Another process created it first (workers open a store per activity): theirs is as good as ours.
      const { exists } = await this.call('checking the collection', () => this.client.collectionExists(collection));
      if (!exists) throw new SkillStoreError(`Qdrant at ${this.options.url}: creating collection ${collection} failed: ${reasonOf(err)}`, { cause: err });
    }
  }

  /** Points written before write tokens existed get one, so compare-and-swap can name their state. */
  private async assignMissingTokens(): Promise<void> {
    for (;;) {
      const { points } = await this.call('looking for points without a write token', () =>
        this.client.scroll(this.options.collection, { filter: { must: [{ is_empty: { key: TOKEN } }] }, limit: 64, with_payload: false, with_vector: false }),
      );
      if (points.length === 0) return;
      await Promise.all(
        points.map((p) =>
          this.call('giving a point its write token', () =>
            this.client.setPayload(this.options.collection, {
              wait: true,
              payload: { [TOKEN]: newToken(), [HISTORY]: [], [USE_KEYS]: [] },
              filter: { must: [{ has_id: [p.id] }, { is_empty: { key: TOKEN } }] },
            }),
          ),
        ),
      );
    }
  }

  /** Point states by id, read in requests of bounded size; ids that are not UUIDs are simply absent. */
  private async readStates(ids: string[], payload: boolean | { include: string[] } | { exclude: string[] } = true): Promise<Map<string, Payload>> {
    const valid = [...new Set(ids.filter(isUuid))];
    const out = new Map<string, Payload>();
    for (let start = 0; start < valid.length; start += IDS_PER_READ) {
      const points = await this.call('reading skills', () =>
        this.client.retrieve(this.options.collection, { ids: valid.slice(start, start + IDS_PER_READ), with_payload: payload, with_vector: false }),
      );
      // Keyed by Qdrant's canonical id (lowercase): look ids up lowercased.
      for (const p of points) out.set(String(p.id), p.payload ?? {});
    }
    return out;
  }

  private async readTokens(ids: string[]): Promise<Map<string, { token: string; history: string[]; version: number }>> {
    const payloads = await this.readStates(ids, { include: [TOKEN, HISTORY, 'version'] });
    return new Map(
      [...payloads].map(([id, p]) => [id, { token: String(p[TOKEN] ?? ''), history: Array.isArray(p[HISTORY]) ? (p[HISTORY] as string[]) : [], version: Number(p.version ?? 0) }]),
    );
  }

  async upsert(skills: SkillRecord[]): Promise<{ inserted: number; updated: number; unchanged: number }> {
    const records = skills.map((s) => SkillRecordSchema.parse(s));
    const ids = new Set<string>();
    for (const r of records) {
      if (ids.has(r.id)) throw new Error(`upsert: skill ${r.id} appears twice in one batch; write one version per call`);
      ids.add(r.id);
    }
    const counts = { inserted: 0, updated: 0, unchanged: 0 };
    if (records.length === 0) return counts;
    const stored = new Map([...(await this.readStates([...ids]))].map(([id, p]) => [id, stateOf(p)]));
    const writes: { record: SkillRecord; before?: PointState }[] = [];
    // Every version is checked before anything is written, so a plain conflict writes nothing at all.
    for (const record of records) {
      const before = stored.get(record.id.toLowerCase());
      if (before && isFreshClaim(before.token)) throw new VersionConflictError(record.id, 0, record.version);
      if (before && sameSkillState(before.record, record)) counts.unchanged++;
      else if (before && record.version !== before.record.version + 1) throw new VersionConflictError(record.id, before.record.version, record.version);
      else writes.push({ record, before });
    }
    if (writes.length === 0) return counts;
    const embedder = await this.options.embedder.load();
    const vectors = await embedder.embed(writes.map((w) => skillSearchText(w.record)));
    const points: PendingPoint[] = writes.map(({ record, before }, i) => {
      const token = newToken();
      return {
        id: record.id,
        version: record.version,
        token,
        before,
        vector: { [this.dense]: denseJson(vectors[i]!), [SPARSE]: bm25Document(skillSearchText(record)) },
        payload: payloadOf(record, token, before),
      };
    });
    const updates = points.filter((p) => p.before);
    const inserts = points.filter((p) => !p.before);
    const sent: PendingPoint[] = [];
    let sameAsOurs: number;
    try {
      // Updates first and checked before any insert: a conflict there leaves nothing to undo.
      sameAsOurs = await this.writePoints(updates, sent);
      sameAsOurs += await this.writePoints(inserts, sent);
    } catch (err) {
      await this.rollBack(sent, err);
      throw err;
    }
    counts.unchanged += sameAsOurs;
    counts.updated += updates.filter((p) => !p.sameAsOurs).length;
    counts.inserted += inserts.filter((p) => !p.sameAsOurs).length;
    return counts;
  }

  /** Chunks of at most maxRequestBytes (and strict mode's batch and condition limits). */
  private chunks(points: PendingPoint[]): PendingPoint[][] {
    const out: PendingPoint[][] = [];
    let chunk: PendingPoint[] = [];
    let bytes = 0;
    for (const p of points) {
      const size =
        JSON.stringify(p.payload).length +
        this.options.embedder.dimension * DENSE_NUMBER_BYTES +
        2 * (p.vector[SPARSE] as { indices: number[] }).indices.length * NUMBER_BYTES +
        200;
      if (chunk.length && (bytes + size > this.maxRequestBytes || chunk.length >= Math.min(POINTS_PER_WRITE, this.maxPointsPerWrite, this.maxConditionValues))) {
        out.push(chunk);
        chunk = [];
        bytes = 0;
      }
      chunk.push(p);
      bytes += size;
    }
    if (chunk.length) out.push(chunk);
    return out;
  }

  /**
   * Sends new points as insert_only and changed ones as update_only over the exact state they replace,
   * each chunk read back once written (see verifyLanded); returns how many another writer had already
   * stored as ours. Chunks overlap: the next one's JSON is printed while Qdrant parses and applies the
   * last. All chunks started have settled before a failure is thrown, so `sent` is whole for a rollback.
   */
  private async writePoints(points: PendingPoint[], sent: PendingPoint[]): Promise<number> {
    let sameAsOurs = 0;
    await eachConcurrently(this.chunks(points), WRITES_IN_FLIGHT, async (chunk) => {
      sent.push(...chunk);
      const updating = chunk[0]!.before !== undefined;
      await this.putPoints(`writing ${chunk.length} skills`, {
        points: chunk.map((p) => ({ id: p.id, vector: p.vector, payload: p.payload })),
        ...(updating
          ? { update_mode: 'update_only', update_filter: { must: [{ key: TOKEN, match: { any: chunk.map((p) => p.before!.token) } }] } }
          : { update_mode: 'insert_only' }),
      });
      sameAsOurs += await this.verifyLanded(chunk);
    });
    return sameAsOurs;
  }

  /**
   * Reads back what was written; the first point that did not land is a conflict, unless another
   * writer stored the very same state meanwhile (a retried write racing the original): that point is
   * marked sameAsOurs and counted as unchanged. Returns how many were.
   */
  private async verifyLanded(points: PendingPoint[]): Promise<number> {
    if (points.length === 0) return 0;
    const now = await this.readTokens(points.map((p) => p.id));
    const lost = points.filter((p) => {
      const current = now.get(p.id.toLowerCase());
      // A new point that is gone already landed and was deleted since: nothing of ours to report.
      if (!current && !p.before) return false;
      return landed(current, p.token, p.before?.token) !== true;
    });
    if (lost.length === 0) return 0;
    const states = await this.readStates(lost.map((p) => p.id));
    for (const p of lost) {
      const payload = states.get(p.id.toLowerCase());
      const current = payload && !isFreshClaim(stateOf(payload).token) ? stateOf(payload).record : undefined;
      if (!current || !sameSkillState(current, stateOf(p.payload).record)) throw new VersionConflictError(p.id, current?.version ?? 0, p.version);
      p.sameAsOurs = true;
    }
    return lost.length;
  }

  /** Undoes what a failed batch wrote, where the point still holds this batch's state. */
  private async rollBack(sent: PendingPoint[], cause: unknown): Promise<void> {
    if (sent.length === 0) return;
    try {
      const inserted = sent.filter((p) => !p.before);
      const updated = sent.filter((p) => p.before);
      const step = Math.min(IDS_PER_READ, this.maxConditionValues);
      for (let start = 0; start < inserted.length; start += step) {
        const part = inserted.slice(start, start + step);
        await this.call('undoing the inserts of a failed batch', () =>
          this.client.delete(this.options.collection, {
            wait: true,
            filter: { must: [{ has_id: part.map((p) => p.id) }, { key: TOKEN, match: { any: part.map((p) => p.token) } }] },
          }),
        );
      }
      if (updated.length) {
        // The previous vectors are recomputed (the embedder is deterministic) rather than read before every write.
        const embedder = await this.options.embedder.load();
        const dense = await embedder.embed(updated.map((p) => skillSearchText(p.before!.record)));
        const restore = updated.map((p, i) => ({ ...p, vector: { [this.dense]: denseJson(dense[i]!), [SPARSE]: bm25Document(skillSearchText(p.before!.record)) } }));
        for (const chunk of this.chunks(restore)) {
          await this.putPoints('restoring the skills a failed batch changed', {
            points: chunk.map((p) => ({ id: p.id, vector: p.vector, payload: p.before!.payload })),
            update_mode: 'update_only',
            update_filter: { must: [{ key: TOKEN, match: { any: chunk.map((p) => p.token) } }] },
          });
        }
      }
    } catch (err) {
      throw new SkillStoreError(
        `${(cause as Error).message}; undoing the part of the batch already written failed too, so some of its ${sent.length} skills may remain (${(err as Error).message})`,
        { cause },
      );
    }
  }

  async get(id: string): Promise<SkillRecord | null> {
    const payload = (await this.readStates([id], { exclude: HIDDEN })).get(id.toLowerCase());
    return payload ? stateOf(payload).record : null;
  }

  async search(query: SkillSearch): Promise<SkillHit[]> {
    const q = SkillSearchSchema.parse(query);
    const depth = Math.max(FUSION_DEPTH, q.limit);
    const filter = qdrantFilter(q.filter);
    const searches: Record<string, unknown>[] = [];
    if (q.mode !== 'text') {
      const vector = q.vector ?? (await this.queries.embed(q.text));
      searches.push({ query: denseJson(vector), using: this.dense, filter, limit: depth, with_payload: false });
    }
    const sparse = bm25Query(q.text);
    if (q.mode !== 'dense' && sparse.indices.length) searches.push({ query: sparse, using: SPARSE, filter, limit: depth, with_payload: false });
    if (searches.length === 0) return [];
    // Ids and scores only: the payloads of the few hits kept are fetched after fusion.
    const results = await this.call('searching', () => this.client.queryBatch(this.options.collection, { searches: searches as never }));
    const lists = results.map((r) => r.points.map((p) => ({ id: String(p.id), score: p.score })));
    const dense = q.mode === 'text' ? [] : lists[0]!.map((p) => ({ id: p.id, cosine: p.score }));
    const text = q.mode === 'dense' ? [] : (lists[q.mode === 'text' ? 0 : 1] ?? []);
    const ranked = (
      q.mode === 'hybrid'
        ? fuseByReciprocalRank(dense, text)
        : q.mode === 'dense'
          ? dense.map((d, i) => ({ id: d.id, score: d.cosine, denseRank: i + 1, cosine: d.cosine }))
          : text.map((t, i) => ({ id: t.id, score: t.score, textRank: i + 1 }))
    ).slice(0, q.limit);
    const payloads = await this.readStates(
      ranked.map((r) => r.id),
      { exclude: HIDDEN },
    );
    const hits: SkillHit[] = [];
    // A skill deleted between the two requests is left out.
    for (const r of ranked) {
      const payload = payloads.get(r.id);
      if (payload) hits.push({ ...r, skill: stateOf(payload).record });
    }
    return hits;
  }

  async list(filter: SkillFilter = {}, page: { limit?: number; after?: string } = {}): Promise<SkillRecord[]> {
    const f = qdrantFilter(SkillFilterSchema.parse(filter));
    const out: SkillRecord[] = [];
    const wanted = page.limit ?? Infinity;
    // Ids are UUIDs, listed in string order: an `after` that is not one continues from the next UUID above it.
    let offset: string | undefined = page.after ? (isUuid(page.after) ? page.after.toLowerCase() : (smallestUuidAbove(page.after) ?? undefined)) : undefined;
    if (page.after && offset === undefined) return [];
    while (out.length < wanted) {
      const limit = Math.min(256, wanted - out.length + 1);
      const batch = await this.call('listing skills', () =>
        this.client.scroll(this.options.collection, { filter: f, limit, offset, with_payload: { exclude: HIDDEN }, with_vector: false }),
      );
      for (const p of batch.points) if (String(p.id) !== page.after?.toLowerCase()) out.push(stateOf(p.payload).record);
      if (batch.next_page_offset === null || batch.next_page_offset === undefined) break;
      offset = String(batch.next_page_offset);
    }
    return out.slice(0, wanted);
  }

  /** One read-modify-write at a time per skill on this handle; handles in other processes race (see modify). */
  private serialised<T>(id: string, run: () => Promise<T>): Promise<T> {
    const previous = this.modifying.get(id) ?? Promise.resolve();
    const next = previous.then(run, run);
    const tail = next.catch(() => undefined);
    this.modifying.set(id, tail);
    void tail.then(() => {
      if (this.modifying.get(id) === tail) this.modifying.delete(id);
    });
    return next;
  }

  /**
   * Optimistic read-modify-write: the new payload replaces the old one only where the point still
   * holds the state read (its write token), then the tokens read back say whether it landed. Losers
   * back off at random and retry on the newer state; a write is never applied twice.
   */
  private modify(id: string, change: (state: PointState) => { record: SkillRecord; useKeys?: string[] } | null): Promise<SkillRecord> {
    if (!isUuid(id)) return Promise.reject(new SkillNotFoundError(id));
    return this.serialised(id, async () => {
      const deadline = Date.now() + MODIFY_DEADLINE_MS;
      for (let attempt = 0; ; attempt++) {
        const payload = (await this.readStates([id])).get(id.toLowerCase());
        if (!payload) throw new SkillNotFoundError(id);
        const state = stateOf(payload);
        if (isFreshClaim(state.token)) {
          // Being deleted: wait for the deleter rather than overwrite its claim (usually: not found next).
          if (Date.now() > deadline) throw new SkillStoreError(`skill ${id} stayed claimed for deletion for ${MODIFY_DEADLINE_MS / 1000} s; retry later`);
          await sleep(Math.random() * Math.min(200, 2 ** attempt));
          continue;
        }
        const changed = change(state);
        if (!changed) return state.record; // nothing to write (e.g. a use already counted)
        const next = SkillRecordSchema.parse({ ...changed.record, version: state.record.version + 1, updatedAt: new Date().toISOString() });
        const token = newToken();
        await this.call(`updating skill ${id}`, () =>
          this.client.overwritePayload(this.options.collection, {
            wait: true,
            payload: payloadOf(next, token, state, changed.useKeys),
            filter: { must: [{ has_id: [id] }, { key: TOKEN, match: { value: state.token } }] },
          }),
        );
        const now = (await this.readTokens([id])).get(id.toLowerCase());
        const outcome = landed(now, token, state.token);
        if (outcome === true) return next;
        if (outcome === 'unknown') {
          throw new SkillStoreError(
            `Qdrant at ${this.options.url}: skill ${id} changed more than ${HISTORY_LENGTH} times while it was being updated, so whether this update landed cannot be told; read it before retrying`,
          );
        }
        if (Date.now() > deadline)
          throw new SkillStoreError(`skill ${id} kept changing for ${MODIFY_DEADLINE_MS / 1000} s of attempts to update it (${attempt + 1} attempts); retry later`);
        await sleep(Math.random() * Math.min(200, 2 ** attempt));
      }
    });
  }

  async recordOutcome(id: string, outcome: SkillOutcome): Promise<SkillRecord> {
    const hash = outcome.key === undefined ? undefined : useKeyHash(outcome.key);
    return this.modify(id, (state) => {
      if (hash && state.useKeys.includes(hash)) return null;
      const record = applyOutcome(state.record, outcome);
      if (record === state.record) return null;
      return { record, useKeys: hash ? [...state.useKeys, hash].slice(-REMEMBERED_USE_KEYS) : state.useKeys };
    });
  }

  async setStatus(id: string, status: SkillStatus, reason: string): Promise<SkillRecord> {
    return this.modify(id, (state) => ({ record: { ...state.record, status, statusReason: reason } }));
  }

  /**
   * Claims the point by swapping in a token of its own, then deletes it only where that claim still
   * stands: of concurrent deletes exactly one reports true, and a concurrent change is not lost silently.
   */
  async delete(id: string): Promise<boolean> {
    if (!isUuid(id)) return false;
    const deadline = Date.now() + MODIFY_DEADLINE_MS;
    for (let attempt = 0; ; attempt++) {
      const state = (await this.readTokens([id])).get(id.toLowerCase());
      if (!state) return false;
      if (Date.now() > deadline) throw new SkillStoreError(`skill ${id} kept changing for ${MODIFY_DEADLINE_MS / 1000} s of attempts to delete it; retry later`);
      if (!isFreshClaim(state.token)) {
        const claim = newClaim();
        await this.call(`claiming skill ${id} for deletion`, () =>
          this.client.setPayload(this.options.collection, {
            wait: true,
            payload: { [TOKEN]: claim, [HISTORY]: [state.token, ...state.history].slice(0, HISTORY_LENGTH) },
            filter: { must: [{ has_id: [id] }, { key: TOKEN, match: { value: state.token } }] },
          }),
        );
        if ((await this.readTokens([id])).get(id.toLowerCase())?.token === claim) {
          await this.call(`deleting skill ${id}`, () =>
            this.client.delete(this.options.collection, { wait: true, filter: { must: [{ has_id: [id] }, { key: TOKEN, match: { value: claim } }] } }),
          );
          if (!(await this.readTokens([id])).has(id.toLowerCase())) return true;
        }
      }
      // Another deleter holds a claim (or changed the skill first): see what remains after a moment.
      await sleep(Math.random() * Math.min(200, 2 ** attempt));
    }
  }

  /** A server-side collection snapshot; returns its name (download it from Qdrant's snapshot API). */
  async snapshot(): Promise<string> {
    const snapshot = await this.call('creating a snapshot', () => this.client.createSnapshot(this.options.collection, { wait: true }), false);
    if (!snapshot) throw new SkillStoreError(`Qdrant at ${this.options.url} returned no snapshot description`);
    return snapshot.name;
  }

  async close(): Promise<void> {}
}

interface PendingPoint {
  id: string;
  version: number;
  token: string;
  /** Did not land, but another writer stored the same state (see verifyLanded). */
  sameAsOurs?: boolean;
  before?: PointState;
  vector: Vectors;
  payload: Payload;
}
