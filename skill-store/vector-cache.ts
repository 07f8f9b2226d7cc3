import { TaskTypeSchema } from '../schemas/competition.js';
import { dot } from './embedder.js';
import { keepTop } from './top.js';
import { SKILL_TIERS, SkillStatusSchema } from '../schemas/skill.js';
import type { SkillFilter } from './store.js';

/** The payload fields every store filters on, flattened from a record. */
export interface SkillPayload {
  tier: string;
  domain: string | null;
  competition: string | null;
  status: string;
  /** Empty when the skill applies to any task type. */
  taskTypes: string[];
}

/** The slots (in slot order) that passed a filter; `marked[slot]` is 1 for each of them. */
export interface SelectedSlots {
  slots: Int32Array;
  marked: Uint8Array;
}

/** Position + 1 of each value in an enum's options (0 is kept for "none" / a free slot). */
const codesOf = (options: readonly string[]) => new Map(options.map((o, i) => [o, i + 1]));
const TIER_CODES = codesOf(SKILL_TIERS);
const STATUS_CODES = codesOf(SkillStatusSchema.options);
const TASK_TYPE_CODES = codesOf(TaskTypeSchema.options);

/** A bitmask with bit `code` set for every value; unknown values set no bit (they match nothing). */
function maskOf(values: readonly string[] | undefined, codes: Map<string, number>): number {
  if (!values) return ~1; // every code; bit 0 (a free slot) never matches
  let mask = 0;
  for (const v of values) {
    const code = codes.get(v);
    if (code !== undefined) mask |= 1 << code;
  }
  return mask;
}

/**
 * Every vector of the store in one Float32Array, beside its row id and its payload as small integer
 * codes, so a filtered exact cosine search scans typed arrays instead of reading blobs and objects,
 * and BM25 can be restricted to the filter's rows. Kept in step with the database by a sequence
 * number that every write transaction bumps (other processes' writes included).
 */
export class VectorCache {
  seq = -1;
  /** Occupied slots, and free ones below `end` (tier code 0). */
  private end = 0;
  private count = 0;
  private ids: (string | null)[] = [];
  private matrix: Float32Array;
  private rowids: Float64Array;
  private tiers: Uint8Array;
  private statuses: Uint8Array;
  private domains: Uint32Array;
  private competitions: Uint32Array;
  /** A bit per task type the skill names; 0 when it names none (applies to all). */
  private taskTypes: Uint32Array;
  private readonly slotOfId = new Map<string, number>();
  private readonly slotByRowid = new Map<number, number>();
  /** Domains and competitions are free-form: interned as 1, 2, …; 0 is null. */
  private readonly scopeCodes = new Map<string, number>();
  private free: number[] = [];

  constructor(private readonly dimension: number) {
    this.matrix = new Float32Array(dimension * 1024);
    this.rowids = new Float64Array(1024);
    this.tiers = new Uint8Array(1024);
    this.statuses = new Uint8Array(1024);
    this.domains = new Uint32Array(1024);
    this.competitions = new Uint32Array(1024);
    this.taskTypes = new Uint32Array(1024);
  }

  /** How many skills the cache holds. */
  get size(): number {
    return this.count;
  }

  /** One past the highest slot in use: the length of per-slot arrays. */
  get capacity(): number {
    return this.end;
  }

  private scopeCode(value: string | null): number {
    if (value === null) return 0;
    let code = this.scopeCodes.get(value);
    if (code === undefined) this.scopeCodes.set(value, (code = this.scopeCodes.size + 1));
    return code;
  }

  private grow(): void {
    const capacity = this.tiers.length * 2;
    const grown = <T extends Float32Array | Float64Array | Uint8Array | Uint32Array>(old: T, make: (n: number) => T, width = 1): T => {
      const next = make(capacity * width);
      next.set(old);
      return next;
    };
    this.matrix = grown(this.matrix, (n) => new Float32Array(n), this.dimension);
    this.rowids = grown(this.rowids, (n) => new Float64Array(n));
    this.tiers = grown(this.tiers, (n) => new Uint8Array(n));
    this.statuses = grown(this.statuses, (n) => new Uint8Array(n));
    this.domains = grown(this.domains, (n) => new Uint32Array(n));
    this.competitions = grown(this.competitions, (n) => new Uint32Array(n));
    this.taskTypes = grown(this.taskTypes, (n) => new Uint32Array(n));
  }

  /** Stores a skill; returns its slot. */
  put(id: string, rowid: number, payload: SkillPayload, vector: Float32Array): number {
    let slot = this.slotOfId.get(id);
    if (slot === undefined) {
      slot = this.free.pop() ?? this.end++;
      if (slot >= this.tiers.length) this.grow();
      this.slotOfId.set(id, slot);
      this.count++;
    } else if (this.slotByRowid.get(this.rowids[slot]!) === slot) {
      this.slotByRowid.delete(this.rowids[slot]!);
    }
    this.ids[slot] = id;
    this.rowids[slot] = rowid;
    // A deleted row's rowid may be reused by a new row before the deletion is synced: the newer row wins.
    this.slotByRowid.set(rowid, slot);
    this.tiers[slot] = TIER_CODES.get(payload.tier) ?? 0;
    this.statuses[slot] = STATUS_CODES.get(payload.status) ?? 0;
    this.domains[slot] = this.scopeCode(payload.domain);
    this.competitions[slot] = this.scopeCode(payload.competition);
    this.taskTypes[slot] = maskOf(payload.taskTypes, TASK_TYPE_CODES);
    this.matrix.set(vector, slot * this.dimension);
    return slot;
  }

  /** Drops a skill; returns the slot it had, if any. */
  remove(id: string): number | undefined {
    const slot = this.slotOfId.get(id);
    if (slot === undefined) return undefined;
    this.slotOfId.delete(id);
    if (this.slotByRowid.get(this.rowids[slot]!) === slot) this.slotByRowid.delete(this.rowids[slot]!);
    this.ids[slot] = null;
    this.tiers[slot] = 0;
    this.free.push(slot);
    this.count--;
    return slot;
  }

  /** The slots whose payload passes the filter (the same rules as the SQL filter of `list`). */
  select(filter: SkillFilter): SelectedSlots {
    const tierMask = maskOf(filter.tier, TIER_CODES);
    const statusMask = maskOf(filter.status, STATUS_CODES);
    // A domain or competition no skill has matches nothing (-1 is no code).
    const domain = filter.domain === undefined ? undefined : (this.scopeCodes.get(filter.domain) ?? -1);
    const competition = filter.competition === undefined ? undefined : (this.scopeCodes.get(filter.competition) ?? -1);
    const taskTypeBit = filter.taskType === undefined ? 0 : 1 << TASK_TYPE_CODES.get(filter.taskType)!;
    const slots = new Int32Array(this.count);
    const marked = new Uint8Array(this.end);
    let n = 0;
    for (let slot = 0; slot < this.end; slot++) {
      if (!((tierMask >> this.tiers[slot]!) & 1) || !((statusMask >> this.statuses[slot]!) & 1)) continue;
      if (domain !== undefined && this.domains[slot] !== domain) continue;
      if (competition !== undefined && this.competitions[slot] !== competition) continue;
      if (taskTypeBit !== 0 && this.taskTypes[slot] !== 0 && !(this.taskTypes[slot]! & taskTypeBit)) continue;
      slots[n++] = slot;
      marked[slot] = 1;
    }
    return { slots: slots.subarray(0, n), marked };
  }

  idOf(slot: number): string {
    return this.ids[slot]!;
  }

  rowidOf(slot: number): number {
    return this.rowids[slot]!;
  }

  /** The slot of a database rowid the cache holds (it holds every row of the snapshot it was synced to). */
  slotOfRowid(rowid: number): number {
    const slot = this.slotByRowid.get(rowid);
    if (slot === undefined) throw new Error(`vector cache: no skill with rowid ${rowid} (out of step with the database)`);
    return slot;
  }

  /** The `depth` most similar vectors among the slots, best first (ties in slot order). */
  nearest(query: Float32Array, slots: Int32Array, depth: number): { id: string; cosine: number }[] {
    const top: { id: string; cosine: number }[] = [];
    const ranksBefore = (a: { cosine: number }, b: { cosine: number }) => a.cosine > b.cosine;
    for (let k = 0; k < slots.length; k++) {
      const slot = slots[k]!;
      const cosine = dot(query, this.matrix, slot * this.dimension);
      if (top.length === depth && cosine <= top[depth - 1]!.cosine) continue; // the common case, without an object
      keepTop(top, { id: this.ids[slot]!, cosine }, depth, ranksBefore);
    }
    return top;
  }
}
