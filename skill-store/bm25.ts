/**
 * Words as BM25 sees them in the Qdrant store (the SQLite store uses FTS5's own tokenizer):
 * lowercase letter/digit runs, common English function words dropped.
 */
const STOPWORDS = new Set(
  'a an and are as at be but by for from has have if in into is it its of on or so such that the their then there these they this to was were will with'.split(' '),
);

export function textTokens(text: string): string[] {
  return (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter((t) => !STOPWORDS.has(t));
}

/** 32-bit FNV-1a: a stable index for a token in the sparse vector space. */
function tokenIndex(token: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < token.length; i++) {
    h ^= token.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

export interface SparseVector {
  indices: number[];
  values: number[];
}

const K1 = 1.2;
const B = 0.75;
/** Typical skill length in tokens, for BM25's length normalisation (the corpus average is not known per point). */
const AVERAGE_DOCUMENT_TOKENS = 80;

/**
 * A document's BM25 term weights, tf·(k1+1)/(tf + k1·(1−b+b·len/avg)); Qdrant multiplies in the IDF
 * at query time (sparse vector `modifier: idf`), which makes the dot product with a query of ones BM25.
 */
export function bm25Document(text: string): SparseVector {
  const tokens = textTokens(text);
  const counts = new Map<number, number>();
  for (const t of tokens) counts.set(tokenIndex(t), (counts.get(tokenIndex(t)) ?? 0) + 1);
  const norm = K1 * (1 - B + (B * tokens.length) / AVERAGE_DOCUMENT_TOKENS);
  const indices = [...counts.keys()].sort((a, b) => a - b);
  return { indices, values: indices.map((i) => (counts.get(i)! * (K1 + 1)) / (counts.get(i)! + norm)) };
}

/** A query's sparse vector: each distinct term once. */
export function bm25Query(text: string): SparseVector {
  const indices = [...new Set(textTokens(text).map(tokenIndex))].sort((a, b) => a - b);
  return { indices, values: indices.map(() => 1) };
}
