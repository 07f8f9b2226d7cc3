import type Database from 'better-sqlite3';
import { keepTop } from './top.js';
import type { VectorCache } from './vector-cache.js';

/** fts5Bm25Function's constants (sqlite3.c, fts5_aux.c). */
const K1 = 1.2;
const B = 0.75;
/** Postings kept in memory across all cached terms (8 bytes each); the least recently used terms go first. */
const MAX_CACHED_POSTINGS = 4_000_000;
/** A sync that rewrites more rows than this drops the cached postings instead of re-tokenizing the rows. */
const MAX_RETOKENIZED_ROWS = 512;

/** One term's documents: slots in the vector cache and the term's count in each. */
interface Postings {
  slots: Int32Array;
  counts: Uint32Array;
}

/** A matched row and its bm25() value (negative; lower is better, as FTS5 returns it). */
export interface Bm25Hit {
  slot: number;
  rowid: number;
  bm25: number;
}

/** SQLite's varint (big-endian 7-bit groups, the 9th byte whole), as FTS5 stores sizes and totals. */
function readVarint(bytes: Uint8Array, at: number): { value: number; next: number } {
  let value = 0;
  for (let i = 0; i < 8; i++) {
    const byte = bytes[at + i]!;
    value = value * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) return { value, next: at + i + 1 };
  }
  return { value: value * 256 + bytes[at + 8]!, next: at + 9 };
}

/**
 * FTS5's bm25() over a one-column FTS5 table, computed in memory so a filtered search pays only for
 * its own rows. In SQLite every query reads each term's whole doclist twice (matching, then IDF) and
 * looks up a docsize row per scored match: about 10 ms per search at 100k skills, whatever the
 * filter. Here a term's postings are read from the FTS5 index once (through fts5vocab) and kept
 * until rows containing it change; row lengths come from %_docsize and the table totals from the
 * FTS5 "averages" record, i.e. the very numbers bm25() reads, and the arithmetic is
 * fts5Bm25Function's, operation for operation, with the logarithm taken by SQLite's ln() (the same
 * libm log()): scores are bit-identical to bm25()'s. Tokens come from FTS5's own tokenizer, through
 * a temp FTS5 table with the same tokenize option; a query term it splits into several tokens (a
 * phrase) is not handled here (`search` returns null) and the caller asks FTS5.
 *
 * Slots are the vector cache's; the store reports every slot whose row changed (`forget`).
 * Call everything inside the read transaction that synced the cache.
 */
export class InMemoryBm25 {
  private readonly postings = new Map<string, Postings>();
  private cachedPostings = 0;
  /** The single FTS5 token of a query term, or null when FTS5 makes it anything else. */
  private readonly tokenOfTerm = new Map<string, string | null>();
  /** Tokens per row (%_docsize), NaN until read; indexed by slot. */
  private lengths = new Float64Array(0);
  /** Per-slot scratch for one search's scores. */
  private scores = new Float64Array(0);
  private readonly sql;

  constructor(db: Database.Database, table: string, tokenize: string) {
    db.exec(`CREATE VIRTUAL TABLE IF NOT EXISTS temp.${table}_terms USING fts5vocab(main, ${table}, instance);
      CREATE VIRTUAL TABLE IF NOT EXISTS temp.${table}_tokenizer USING fts5 (text, tokenize = '${tokenize}');
      CREATE VIRTUAL TABLE IF NOT EXISTS temp.${table}_tokenizer_terms USING fts5vocab(temp, ${table}_tokenizer, instance);`);
    this.sql = {
      postings: db.prepare(`SELECT json_group_array(doc) FROM temp.${table}_terms WHERE term = ?`).pluck(),
      totals: db.prepare(`SELECT block FROM main.${table}_data WHERE id = 1`).pluck(),
      // Hex and JSON: far cheaper to hand to JS than a row and a Buffer per document.
      lengths: db.prepare(`SELECT json_group_array(id), json_group_array(hex(sz)) FROM main.${table}_docsize WHERE id IN (SELECT value FROM json_each(?))`).raw(),
      ln: db.prepare('SELECT ln(?)').pluck(),
      tokenize: db.prepare(`INSERT INTO temp.${table}_tokenizer (rowid, text) VALUES (?, ?)`),
      tokenizeRows: db.prepare(`INSERT INTO temp.${table}_tokenizer (rowid, text) SELECT rowid, text FROM main.${table} WHERE rowid IN (SELECT value FROM json_each(?))`),
      tokens: db.prepare(`SELECT doc, term FROM temp.${table}_tokenizer_terms ORDER BY doc, offset`).raw(),
      clearTokenizer: db.prepare(`DELETE FROM temp.${table}_tokenizer`),
    };
  }

  /**
   * The rows in `slots` changed or went away: their lengths are read again when needed, and cached
   * postings are corrected by re-tokenizing the `changed` rows (or dropped, when they are many).
   */
  forget(slots: number[], changed: { slot: number; rowid: number }[]): void {
    for (const slot of slots) if (slot < this.lengths.length) this.lengths[slot] = NaN;
    if (this.postings.size === 0 || slots.length === 0) return;
    if (changed.length > MAX_RETOKENIZED_ROWS) {
      this.postings.clear();
      this.cachedPostings = 0;
      return;
    }
    const gone = new Set(slots);
    const added = new Map<string, { slots: number[]; counts: number[] }>();
    if (changed.length) {
      const slotOf = new Map(changed.map((c) => [c.rowid, c.slot]));
      let instances: [number, string][];
      try {
        this.sql.tokenizeRows.run(JSON.stringify(changed.map((c) => c.rowid)));
        instances = this.sql.tokens.all() as [number, string][];
      } catch (err) {
        this.postings.clear(); // never keep postings that missed a change
        this.cachedPostings = 0;
        throw err;
      } finally {
        this.sql.clearTokenizer.run();
      }
      // Instances come row by row, so a row's repeats of a term land on that term's last entry.
      for (const [doc, term] of instances) {
        if (!this.postings.has(term)) continue;
        const list = added.get(term) ?? { slots: [], counts: [] };
        const slot = slotOf.get(doc)!;
        if (list.slots[list.slots.length - 1] === slot) list.counts[list.counts.length - 1]!++;
        else {
          list.slots.push(slot);
          list.counts.push(1);
        }
        added.set(term, list);
      }
    }
    for (const [term, old] of this.postings) {
      const extra = added.get(term);
      const slotsOut: number[] = [];
      const countsOut: number[] = [];
      for (let i = 0; i < old.slots.length; i++) {
        if (gone.has(old.slots[i]!)) continue;
        slotsOut.push(old.slots[i]!);
        countsOut.push(old.counts[i]!);
      }
      if (extra) {
        slotsOut.push(...extra.slots);
        countsOut.push(...extra.counts);
      }
      this.cachedPostings += slotsOut.length - old.slots.length;
      this.postings.set(term, { slots: Int32Array.from(slotsOut), counts: Uint32Array.from(countsOut) });
    }
  }

  /** FTS5's tokens for each query term (one phrase each), or null if a term is not exactly one token. */
  private tokensOf(terms: string[]): string[] | null {
    const unknown = terms.filter((t) => !this.tokenOfTerm.has(t));
    if (unknown.length) {
      const tokens = new Map<number, string[]>();
      try {
        unknown.forEach((term, i) => this.sql.tokenize.run(i + 1, term));
        for (const [doc, token] of this.sql.tokens.all() as [number, string][]) tokens.set(doc, [...(tokens.get(doc) ?? []), token]);
      } finally {
        this.sql.clearTokenizer.run();
      }
      unknown.forEach((term, i) => {
        const found = tokens.get(i + 1) ?? [];
        this.tokenOfTerm.set(term, found.length === 1 ? found[0]! : null);
      });
      if (this.tokenOfTerm.size > 10_000) this.tokenOfTerm.clear();
    }
    const tokens = terms.map((t) => this.tokenOfTerm.get(t)!);
    return tokens.every((t) => t !== null) ? tokens : null;
  }

  /** A token's postings, from the index when not cached (most recently used last, for eviction). */
  private postingsOf(token: string, slotOfRowid: (rowid: number) => number): Postings {
    let found = this.postings.get(token);
    if (found) {
      this.postings.delete(token);
    } else {
      // One row per instance, in rowid order: count the instances of each row.
      const docs = JSON.parse(this.sql.postings.get(token) as string) as number[];
      const slots: number[] = [];
      const counts: number[] = [];
      for (let i = 0; i < docs.length; i++) {
        if (i > 0 && docs[i] === docs[i - 1]) counts[counts.length - 1]!++;
        else {
          slots.push(slotOfRowid(docs[i]!));
          counts.push(1);
        }
      }
      found = { slots: Int32Array.from(slots), counts: Uint32Array.from(counts) };
      this.cachedPostings += slots.length;
      for (const [oldest, postings] of this.postings) {
        if (this.cachedPostings <= MAX_CACHED_POSTINGS) break;
        this.postings.delete(oldest);
        this.cachedPostings -= postings.slots.length;
      }
    }
    this.postings.set(token, found);
    return found;
  }

  /** Reads the lengths of the slots not known yet. */
  private readLengths(slots: number[], rowidOf: (slot: number) => number, capacity: number): void {
    if (this.lengths.length < capacity) {
      const grown = new Float64Array(Math.max(capacity, this.lengths.length * 2)).fill(NaN);
      grown.set(this.lengths);
      this.lengths = grown;
    }
    const unknown = slots.filter((s) => Number.isNaN(this.lengths[s]!));
    if (unknown.length === 0) return;
    const slotOf = new Map(unknown.map((s) => [rowidOf(s), s]));
    const [rowids, sizes] = (this.sql.lengths.get(JSON.stringify([...slotOf.keys()])) as [string, string]).map((json) => JSON.parse(json) as unknown[]);
    rowids!.forEach((rowid, i) => (this.lengths[slotOf.get(rowid as number)!] = readVarint(Buffer.from(sizes![i] as string, 'hex'), 0).value));
  }

  /**
   * The `depth` best rows among the marked slots for the terms joined by OR, ordered as
   * `ORDER BY bm25(table), rowid`; null when a term is not a single FTS5 token (ask FTS5 instead).
   */
  search(terms: string[], marked: Uint8Array, depth: number, cache: Pick<VectorCache, 'capacity' | 'rowidOf' | 'slotOfRowid'>): Bm25Hit[] | null {
    const tokens = this.tokensOf(terms);
    if (!tokens) return null;
    const lists = tokens.map((t) => this.postingsOf(t, (rowid) => cache.slotOfRowid(rowid)));
    if (this.scores.length < marked.length) this.scores = new Float64Array(Math.max(marked.length, this.scores.length * 2)).fill(-1);
    const scores = this.scores; // -1: not touched by this search; reset below
    const touched: number[] = [];
    for (const { slots } of lists) {
      for (let i = 0; i < slots.length; i++) {
        const slot = slots[i]!;
        if (marked[slot] && scores[slot] === -1) {
          scores[slot] = 0.0;
          touched.push(slot);
        }
      }
    }
    try {
      if (touched.length === 0) return [];
      this.readLengths(touched, (slot) => cache.rowidOf(slot), cache.capacity);

      // fts5Bm25GetData: totals from the averages record (varint rows, then tokens per column).
      const totals = this.sql.totals.get() as Buffer;
      const rows = readVarint(totals, 0);
      const tokenTotal = readVarint(totals, rows.next).value;
      const avgdl = tokenTotal / rows.value;
      // fts5Bm25Function, per phrase in query order; a phrase absent from a row adds +0, which changes nothing.
      for (const { slots, counts } of lists) {
        const hits = slots.length;
        let idf = this.sql.ln.get((rows.value - hits + 0.5) / (hits + 0.5)) as number;
        if (idf <= 0.0) idf = 1e-6;
        for (let i = 0; i < hits; i++) {
          const slot = slots[i]!;
          if (!marked[slot]) continue;
          const f = counts[i]!;
          const D = this.lengths[slot]!;
          scores[slot]! += idf * ((f * (K1 + 1.0)) / (f + K1 * (1 - B + (B * D) / avgdl)));
        }
      }
      const top: Bm25Hit[] = [];
      const ranksBefore = (a: Bm25Hit, b: Bm25Hit) => a.bm25 < b.bm25 || (a.bm25 === b.bm25 && a.rowid < b.rowid);
      for (const slot of touched) keepTop(top, { slot, rowid: cache.rowidOf(slot), bm25: -1.0 * scores[slot]! }, depth, ranksBefore);
      return top;
    } finally {
      for (const slot of touched) scores[slot] = -1;
    }
  }
}
