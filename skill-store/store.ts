import { z } from 'zod';
import { TaskTypeSchema } from '../schemas/competition.js';
import { SkillStatusSchema, SkillTierSchema, type SkillRecord, type SkillStatus } from '../schemas/skill.js';

/** Payload filters every store applies before ranking. Arrays mean "any of". */
export const SkillFilterSchema = z.strictObject({
  tier: z.array(SkillTierSchema).optional(),
  domain: z.string().optional(),
  competition: z.string().optional(),
  /** Skills whose conditions name this task type, or name none. */
  taskType: TaskTypeSchema.optional(),
  status: z.array(SkillStatusSchema).optional(),
});
export type SkillFilter = z.infer<typeof SkillFilterSchema>;

export const SearchModeSchema = z.enum(['hybrid', 'dense', 'text']);

export const SkillSearchSchema = z.strictObject({
  text: z.string().min(1, 'a search text'),
  filter: SkillFilterSchema.default({}),
  limit: z.number().int().positive().max(1000).default(10),
  mode: SearchModeSchema.default('hybrid'),
  /** The query's embedding when the caller already has it (same embedder); computed from `text` otherwise. */
  vector: z.instanceof(Float32Array).optional(),
});
export type SkillSearch = z.input<typeof SkillSearchSchema>;

/**
 * How hybrid search fuses its two rankings, identically in every store: reciprocal rank fusion.
 * Each retriever (dense cosine, BM25) returns its top `FUSION_DEPTH` matches inside the filter;
 * a skill's score is the sum over retrievers of 1 / (RRF_K + rank), rank starting at 1. RRF needs
 * no score calibration between cosine and BM25, which live on unrelated scales.
 */
export const RRF_K = 60;
export const FUSION_DEPTH = 100;

export interface SkillHit {
  skill: SkillRecord;
  /** The fused score (hybrid), cosine similarity (dense) or negated BM25 rank value (text); higher is better. */
  score: number;
  denseRank?: number;
  textRank?: number;
  cosine?: number;
}

/** Fuses ranked id lists by reciprocal rank fusion (see RRF_K). */
export function fuseByReciprocalRank(
  dense: { id: string; cosine: number }[],
  text: { id: string }[],
): { id: string; score: number; denseRank?: number; textRank?: number; cosine?: number }[] {
  const fused = new Map<string, { id: string; score: number; denseRank?: number; textRank?: number; cosine?: number }>();
  dense.forEach((d, i) => fused.set(d.id, { id: d.id, score: 1 / (RRF_K + i + 1), denseRank: i + 1, cosine: d.cosine }));
  text.forEach((t, i) => {
    const entry = fused.get(t.id) ?? { id: t.id, score: 0 };
    entry.score += 1 / (RRF_K + i + 1);
    entry.textRank = i + 1;
    fused.set(t.id, entry);
  });
  return [...fused.values()].sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1));
}

/**
 * A write that assumed another state of the skill than the store holds. `storedVersion` 0: the
 * skill was deleted after the writer read it (an update never re-creates a deleted skill).
 */
export class VersionConflictError extends Error {
  constructor(
    readonly skillId: string,
    readonly storedVersion: number,
    readonly writtenVersion: number,
  ) {
    super(
      storedVersion === 0
        ? `skill ${skillId} was deleted while version ${writtenVersion} of it was being written, so nothing of the batch was written (write it again to re-create it)`
        : `skill ${skillId}: the store holds version ${storedVersion}, so version ${writtenVersion} cannot be written ` +
            `(write version ${storedVersion + 1} based on the stored record, or the identical version ${storedVersion} to retry)`,
    );
    this.name = 'VersionConflictError';
  }
}

/**
 * The store's backend refused or failed a request (server unreachable, too old, misconfigured, or
 * an error answered by it). The message is one sentence naming the store and the server's reason.
 */
export class SkillStoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SkillStoreError';
  }
}

/** The store was created with another embedder: vectors of two models are not comparable. */
export class EmbedderMismatchError extends Error {
  constructor(where: string, stored: { id: string; dimension: number }, configured: { id: string; dimension: number }) {
    super(
      `${where} holds vectors from embedder ${stored.id} (dimension ${stored.dimension}) but HASTE_EMBEDDER gives ${configured.id} ` +
        `(dimension ${configured.dimension}): set HASTE_EMBEDDER back, or export the skills, point the store elsewhere and import them (import re-embeds)`,
    );
    this.name = 'EmbedderMismatchError';
  }
}

export class SkillNotFoundError extends Error {
  constructor(readonly skillId: string) {
    super(`no skill ${skillId} in the store (see \`haste skills ls\`)`);
    this.name = 'SkillNotFoundError';
  }
}

export interface SkillOutcome {
  /** Improvement over the baseline the skill was measured against (positive is better). */
  delta: number;
  won: boolean;
  /** Where it was used; kept in the skill's recent uses. */
  competition?: string;
  /** Identifies this use (e.g. workflowId/runId): reporting the same key again changes nothing. */
  key?: string;
}

/** How many recent uses a skill keeps (decay and validation look at these). */
export const RECENT_OUTCOMES = 20;

/**
 * How many use keys a store remembers per skill beyond the recent uses, so a retried report of a
 * use is not counted twice even after this many newer uses (the embedded store remembers all).
 */
export const REMEMBERED_USE_KEYS = 512;

/**
 * Counts one use into a skill's stats (running mean delta over all uses, the newest uses kept);
 * returns the very same record when the use's key was already counted, so retries are free.
 */
export function applyOutcome(skill: SkillRecord, outcome: SkillOutcome): SkillRecord {
  const key = outcome.key ?? `use-${skill.stats.uses + 1}`;
  if (outcome.key !== undefined && skill.stats.recent.some((r) => r.key === outcome.key)) return skill;
  const uses = skill.stats.uses + 1;
  return {
    ...skill,
    stats: {
      uses,
      wins: skill.stats.wins + (outcome.won ? 1 : 0),
      losses: skill.stats.losses + (outcome.won ? 0 : 1),
      meanDelta: skill.stats.meanDelta + (outcome.delta - skill.stats.meanDelta) / uses,
      recent: [...skill.stats.recent, { key, competition: outcome.competition ?? '', delta: outcome.delta, won: outcome.won }].slice(-RECENT_OUTCOMES),
    },
  };
}

/**
 * The skill library, whatever holds it. Every method validates its input. Both stores honour the
 * same contract, held by tests/unit/skill-store-contract.test.ts:
 * - open() of a new store by several processes at once: all succeed, one store results; open()
 *   also repairs what a crashed creator left missing (indexes, text-index settings).
 * - Ids that are not UUIDs are valid questions with empty answers (get: null, delete: false,
 *   list after them: the ids above them in string order); recordOutcome/setStatus: not found.
 * - A server's failures (Qdrant: unreachable, too old, refusing a request) are a SkillStoreError
 *   whose message carries the server's own reason; the CLI prints it as one sentence, exit 2.
 */
export interface SkillStore {
  /** Where the skills live, for messages: a file path or a Qdrant URL and collection. */
  readonly location: string;

  /**
   * Writes skills, all or none: a batch that fails writes nothing (SQLite: one transaction; Qdrant:
   * sent in requests of bounded size, each point verified, and what landed is rolled back when any
   * point fails, so a reader may glimpse part of a failing batch but it never stays). Per skill: a
   * new id is inserted; the identical state at the stored version is a no-op (a retried write);
   * version n+1 replaces version n; anything else throws VersionConflictError. A skill deleted
   * after the batch read it is a conflict too (an update never re-creates a deleted skill).
   */
  upsert(skills: SkillRecord[]): Promise<{ inserted: number; updated: number; unchanged: number }>;

  /** The skill with this id, or null. */
  get(id: string): Promise<SkillRecord | null>;

  /** Skills ranked for a text inside the filter; hybrid by default (see RRF_K for the fusion). */
  search(query: SkillSearch): Promise<SkillHit[]>;

  /** All skills inside the filter, ordered by id; `after` continues from the last id of a page. */
  list(filter?: SkillFilter, page?: { limit?: number; after?: string }): Promise<SkillRecord[]>;

  /**
   * Counts one use of a skill and its outcome into the running stats (mean delta over uses).
   * Exactly once per call under any number of concurrent writers; a use reported again with the
   * same key changes nothing (see REMEMBERED_USE_KEYS). Returns the record this use produced.
   */
  recordOutcome(id: string, outcome: SkillOutcome): Promise<SkillRecord>;

  /** Moves a skill to another status with the reason kept on the record; bumps its version. */
  setStatus(id: string, status: SkillStatus, reason: string): Promise<SkillRecord>;

  /** Removes a skill for good (retiring keeps it); true for exactly one of concurrent deletes of it. */
  delete(id: string): Promise<boolean>;

  /** A consistent copy of the whole store; returns where it went (a file, or the snapshot's name). */
  snapshot(destination?: string): Promise<string>;

  close(): Promise<void>;
}

/** Every skill in the store (all tiers and statuses), ordered by id, fetched a page at a time. */
export async function* eachSkill(store: SkillStore, pageSize = 500): AsyncGenerator<SkillRecord> {
  let after: string | undefined;
  for (;;) {
    const page = await store.list({}, { limit: pageSize, after });
    yield* page;
    if (page.length < pageSize) return;
    after = page.at(-1)!.id;
  }
}
