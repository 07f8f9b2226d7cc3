/** Turns texts into vectors. The store records `id` and `dimension` and refuses vectors of another embedder. */
export interface Embedder {
  /** Names the model and its settings; two embedders with the same id give comparable vectors. */
  readonly id: string;
  readonly dimension: number;
  /** One L2-normalised vector per text, in order. */
  embed(texts: string[]): Promise<Float32Array[]>;
  close(): Promise<void>;
}

/** Scales a vector to unit length in place (cosine then equals the dot product). */
export function normalise(vector: Float32Array): Float32Array {
  let norm = 0;
  for (let i = 0; i < vector.length; i++) norm += vector[i]! * vector[i]!;
  norm = Math.sqrt(norm);
  if (norm > 0) for (let i = 0; i < vector.length; i++) vector[i] = vector[i]! / norm;
  return vector;
}

/** Dot product of two equal-length vectors, unrolled by four (the hot loop of exact search). */
export function dot(a: Float32Array, b: Float32Array, offsetB = 0): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  const n = a.length;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    s0 += a[i]! * b[offsetB + i]!;
    s1 += a[i + 1]! * b[offsetB + i + 1]!;
    s2 += a[i + 2]! * b[offsetB + i + 2]!;
    s3 += a[i + 3]! * b[offsetB + i + 3]!;
  }
  for (; i < n; i++) s0 += a[i]! * b[offsetB + i]!;
  return s0 + s1 + s2 + s3;
}

/**
 * An embedder known by id and dimension before its model is loaded, so a store can check what it
 * holds, and list or retire skills, without paying for the model.
 */
export interface EmbedderSource {
  readonly id: string;
  readonly dimension: number;
  /** Loads the model on first call; later calls return the same embedder. */
  load(): Promise<Embedder>;
}

/** Wraps a loader so the model is loaded at most once per process. */
export function lazyEmbedder(id: string, dimension: number, loader: () => Promise<Embedder>): EmbedderSource {
  let loading: Promise<Embedder> | undefined;
  return {
    id,
    dimension,
    load() {
      loading ??= loader().then((e) => {
        if (e.id !== id || e.dimension !== dimension) throw new Error(`embedder loaded as ${e.id}/${e.dimension}, expected ${id}/${dimension}`);
        return e;
      });
      return loading;
    },
  };
}

/** Remembers the embeddings of recent query texts: tiered retrieval searches the same text once per tier. */
export class QueryEmbeddings {
  private readonly cache = new Map<string, Float32Array>();

  constructor(
    private readonly source: EmbedderSource,
    private readonly capacity = 64,
  ) {}

  async embed(text: string): Promise<Float32Array> {
    const known = this.cache.get(text);
    if (known) return known;
    const [vector] = await (await this.source.load()).embed([text]);
    this.cache.set(text, vector!);
    if (this.cache.size > this.capacity) this.cache.delete(this.cache.keys().next().value!);
    return vector!;
  }
}
