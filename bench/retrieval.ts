/**
 * Skill retrieval latency (p50/p99) at 1k, 10k and 100k skills, and ingest rate, on the embedded
 * store and, in the same run, on Qdrant when QDRANT_URL is set (its collection is dropped at the end),
 * then both side by side. Run: npm run bench:retrieval (HASTE_BENCH_SIZES=1000,10000 for a shorter run)
 *
 * Embedding 100k texts with MiniLM on 2 cores would take about an hour, so the library's vectors
 * come from a cache: 512 real MiniLM embeddings of distinct skill texts, and each synthetic skill's
 * vector is a normalised blend of two of them plus noise. Ingest with real embedding is measured
 * separately at 1k. Query latency is measured with the query already embedded (the store's part),
 * and the query embedding's own latency is printed beside it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { QdrantClient } from '@qdrant/js-client-rest';
import { lazyEmbedder, normalise, type Embedder, type EmbedderSource } from '../skill-store/embedder.js';
import { embedderFromConfig } from '../skill-store/open.js';
import { QdrantSkillStore } from '../skill-store/qdrant.js';
import { createSkill, skillSearchText, type SkillRecord } from '../schemas/skill.js';
import { SqliteSkillStore } from '../skill-store/sqlite.js';
import type { SkillFilter, SkillStore } from '../skill-store/store.js';

/** HASTE_BENCH_SIZES=1000,10000 runs a shorter bench (default 1k, 10k and 100k skills). */
const SIZES = (process.env.HASTE_BENCH_SIZES ?? '1000,10000,100000').split(',').map((s) => {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`HASTE_BENCH_SIZES: whole numbers of skills separated by commas, e.g. 1000,10000 (got ${JSON.stringify(process.env.HASTE_BENCH_SIZES)})`);
  return n;
});
const QUERIES = 300;
const BATCH = 1_000;
const DOMAINS = ['tabular', 'vision', 'text', 'time-series', 'audio', 'graph'];
const TOPICS = [
  'gradient boosting',
  'early stopping',
  'target encoding',
  'data augmentation',
  'learning rate warmup',
  'class weights',
  'lag features',
  'tf-idf',
  'dropout',
  'feature scaling',
  'stacking',
  'pseudo labelling',
  'k-fold validation',
  'log target',
  'mixup',
  'label smoothing',
];
const TASK_TYPES = ['binary', 'multiclass', 'regression', 'forecasting'] as const;

/** A small LCG; the seed is mixed first, or the first draws of neighbouring seeds would be nearly equal. */
function rng(seed: number) {
  let s = Math.imul(seed ^ (seed >>> 16), 0x45d9f3b);
  s = Math.imul(s ^ (s >>> 16), 0x45d9f3b);
  s = (s ^ (s >>> 16)) >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

function syntheticSkill(i: number): SkillRecord {
  const r = rng(i + 1);
  const tierRoll = r();
  const domain = DOMAINS[Math.floor(r() * DOMAINS.length)]!;
  const topic = TOPICS[Math.floor(r() * TOPICS.length)]!;
  const tier = tierRoll < 0.1 ? 'global' : tierRoll < 0.5 ? 'domain' : 'task';
  const competition = `${domain}-comp-${Math.floor(r() * 200)}`;
  return createSkill(
    {
      tier,
      scope: tier === 'global' ? {} : tier === 'domain' ? { domain } : { domain, competition },
      kind: 'technique',
      title: `${topic} for ${domain} #${i}`,
      body: `Use ${topic} on ${domain} data: variant ${i % 97}, learning rate ${(r() * 0.3).toFixed(3)}, ${Math.floor(r() * 128)} leaves, seen on ${competition}.`,
      conditions: { taskTypes: r() < 0.5 ? [] : [TASK_TYPES[Math.floor(r() * 4)]!] },
      status: r() < 0.8 ? 'active' : 'candidate',
    },
    new Date('2026-01-01T00:00:00Z'),
  );
}

/** Vectors looked up by text: blends of real MiniLM vectors (see the header). */
function cachedEmbedder(id: string, dimension: number, base: Float32Array[]): EmbedderSource {
  const embedder: Embedder = {
    id,
    dimension,
    async embed(texts) {
      return texts.map((t) => {
        let h = 2166136261;
        for (let i = 0; i < t.length; i++) h = Math.imul(h ^ t.charCodeAt(i), 16777619) >>> 0;
        const r = rng(h);
        const a = base[Math.floor(r() * base.length)]!;
        const b = base[Math.floor(r() * base.length)]!;
        const w = 0.5 + 0.5 * r();
        const v = new Float32Array(dimension);
        for (let d = 0; d < dimension; d++) v[d] = w * a[d]! + (1 - w) * b[d]! + (r() - 0.5) * 0.02;
        return normalise(v);
      });
    },
    async close() {},
  };
  return lazyEmbedder(id, dimension, async () => embedder);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function timeQueries(run: (i: number) => Promise<unknown>): Promise<{ p50: number; p99: number }> {
  for (let i = 0; i < 10; i++) await run(i); // warm-up (caches, JIT)
  const times: number[] = [];
  for (let i = 0; i < QUERIES; i++) {
    const t = performance.now();
    await run(i);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p99: percentile(times, 99) };
}

const fmt = (ms: number) => `${ms.toFixed(2)} ms`;

interface SizeResult {
  size: number;
  ingest: number;
  perTier: { p50: number; p99: number };
  unfiltered: { p50: number; p99: number };
}

async function benchStore(
  name: string,
  open: (embedder: EmbedderSource) => Promise<SkillStore>,
  embedder: EmbedderSource,
  queryVectors: Float32Array<ArrayBuffer>[],
  /** Waits until the store has finished the work an ingest leaves behind (Qdrant's index building). */
  settle: () => Promise<void> = async () => {},
): Promise<SizeResult[]> {
  let loaded = 0;
  const results: SizeResult[] = [];
  const store = await open(embedder);
  try {
    for (const size of SIZES) {
      const t = performance.now();
      for (let start = loaded; start < size; start += BATCH) {
        await store.upsert(Array.from({ length: Math.min(BATCH, size - start) }, (_, k) => syntheticSkill(start + k)));
      }
      const seconds = (performance.now() - t) / 1000;
      const ingest = Math.round((size - loaded) / seconds);
      console.log(`${name} ${String(size).padStart(6)} skills: ingest ${ingest} skills/s (cached vectors; ${size - loaded} in ${seconds.toFixed(1)} s)`);
      loaded = size;
      await settle();
      const tiered: SkillFilter[] = [
        { tier: ['global'], status: ['active'], taskType: 'binary' },
        { tier: ['domain'], status: ['active'], taskType: 'binary', domain: 'tabular' },
        { tier: ['task'], status: ['active'], taskType: 'binary', domain: 'tabular', competition: 'tabular-comp-7' },
      ];
      const text = (i: number) => `${TOPICS[i % TOPICS.length]} for a binary tabular competition with mixed features`;
      const perTier = await timeQueries((i) => store.search({ text: text(i), vector: queryVectors[i % queryVectors.length], filter: tiered[i % 3]!, limit: 20 }));
      const unfiltered = await timeQueries((i) => store.search({ text: text(i), vector: queryVectors[i % queryVectors.length], limit: 20 }));
      console.log(`  hybrid search, one tier's filter (what an episode runs): p50 ${fmt(perTier.p50)}  p99 ${fmt(perTier.p99)}`);
      console.log(`  hybrid search, no filter (all ${size} skills scanned):   p50 ${fmt(unfiltered.p50)}  p99 ${fmt(unfiltered.p99)}`);
      results.push({ size, ingest, perTier, unfiltered });
      // The orchestrator worker opens the store per retrieval: the first searches also fill its caches.
      const reopened = await open(embedder);
      const first = performance.now();
      for (const filter of tiered) await reopened.search({ text: text(0), vector: queryVectors[0], filter, limit: 20 });
      console.log(`  the three tier searches on a newly opened store (caches filled on the way): ${fmt(performance.now() - first)}`);
      await reopened.close();
    }
  } finally {
    await store.close();
  }
  return results;
}

const minilmSource = embedderFromConfig({ kind: 'minilm' });
const minilm = await minilmSource.load();
const baseTexts = Array.from({ length: 512 }, (_, i) => skillSearchText(syntheticSkill(1_000_000 + i)));
let t = performance.now();
const base = await minilm.embed(baseTexts);
console.log(`MiniLM (int8 ONNX, onnxruntime-node): ${Math.round(baseTexts.length / ((performance.now() - t) / 1000))} texts/s when embedding skills in batches of 32`);
const queryVectors = (await minilm.embed(TOPICS.map((topic) => `${topic} for a binary tabular competition with mixed features`))) as Float32Array<ArrayBuffer>[];
const queryEmbedding = await timeQueries((i) => minilm.embed([`${TOPICS[i % TOPICS.length]} for a binary tabular competition, query ${i}`]));
console.log(`MiniLM query embedding: p50 ${fmt(queryEmbedding.p50)}  p99 ${fmt(queryEmbedding.p99)} (added once per tier search in an episode)`);

// Real end-to-end ingest (embedding included) on 1k skills.
const realDir = mkdtempSync(path.join(os.tmpdir(), 'haste-bench-real-'));
const real = SqliteSkillStore.open({ file: path.join(realDir, 'skills.sqlite'), embedder: minilmSource });
t = performance.now();
for (let start = 0; start < 1_000; start += 250) await real.upsert(Array.from({ length: 250 }, (_, k) => syntheticSkill(start + k)));
console.log(`embedded store, 1000 skills with real MiniLM embedding: ingest ${Math.round(1_000 / ((performance.now() - t) / 1000))} skills/s`);
await real.close();
rmSync(realDir, { recursive: true, force: true });

const cached = cachedEmbedder(minilmSource.id, minilmSource.dimension, base);
const dir = mkdtempSync(path.join(os.tmpdir(), 'haste-bench-'));
const side: [string, SizeResult[]][] = [];
try {
  side.push([
    'embedded (SQLite)',
    await benchStore('embedded (SQLite)', async (e) => SqliteSkillStore.open({ file: path.join(dir, 'skills.sqlite'), embedder: e }), cached, queryVectors),
  ]);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

if (process.env.QDRANT_URL) {
  const url = process.env.QDRANT_URL;
  const apiKey = process.env.QDRANT_API_KEY;
  const collection = `haste-bench-${process.pid}-${Date.now()}`;
  const admin = new QdrantClient({ url, apiKey, checkCompatibility: false });
  // Searches are timed once the server has finished indexing what was ingested (status green), as
  // a library that is not being bulk-loaded is; the wait is printed.
  const indexed = async () => {
    const t = performance.now();
    while ((await admin.getCollection(collection)).status !== 'green') await new Promise((resolve) => setTimeout(resolve, 500));
    console.log(`  Qdrant finished indexing ${((performance.now() - t) / 1000).toFixed(1)} s after the ingest; searches are timed from then`);
  };
  try {
    side.push(['Qdrant', await benchStore('Qdrant', (e) => QdrantSkillStore.open({ url, apiKey, collection, embedder: e }), cached, queryVectors, indexed)]);
  } finally {
    // The bench drops what it created.
    if ((await admin.collectionExists(collection)).exists) await admin.deleteCollection(collection);
  }
} else {
  console.log('Qdrant: not measured (QDRANT_URL is not set)');
}

// Side by side, per size: what an episode's tier search costs, and ingest with cached vectors.
console.log('\nstore              skills   tier search p50 / p99     no filter p50 / p99      ingest (cached vectors)');
for (const [name, results] of side) {
  for (const r of results) {
    console.log(
      `${name.padEnd(18)} ${String(r.size).padStart(6)}   ${fmt(r.perTier.p50).padStart(9)} / ${fmt(r.perTier.p99).padStart(9)}   ${fmt(r.unfiltered.p50).padStart(9)} / ${fmt(r.unfiltered.p99).padStart(9)}   ${r.ingest} skills/s`,
    );
  }
}
await minilm.close();
