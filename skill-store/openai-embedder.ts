import OpenAI from 'openai';
import { normalise, type Embedder } from './embedder.js';

/** Dimensions of well-known models, so the store can be opened without a probe call. */
const KNOWN_DIMENSIONS: Record<string, number> = {
  'text-embedding-3-small': 1536,
  'text-embedding-3-large': 3072,
  'text-embedding-ada-002': 1536,
};

export interface OpenAiEmbedderSettings {
  baseURL: string;
  apiKey: string;
  model: string;
  /** Required for models not in KNOWN_DIMENSIONS; also sent as `dimensions` to models that can shorten (v3). */
  dimensions?: number;
}

const BATCH = 128;

/** Any OpenAI-compatible /embeddings endpoint (OpenAI, vLLM, TEI, Ollama) through the `openai` SDK. */
export class OpenAiEmbedder implements Embedder {
  readonly id: string;
  readonly dimension: number;
  private readonly client: OpenAI;

  constructor(private readonly settings: OpenAiEmbedderSettings) {
    const dimension = settings.dimensions ?? KNOWN_DIMENSIONS[settings.model];
    if (dimension === undefined) {
      throw new Error(`HASTE_EMBEDDING_DIMENSIONS is required for embedding model ${settings.model} (known: ${Object.keys(KNOWN_DIMENSIONS).join(', ')})`);
    }
    this.dimension = dimension;
    this.id = `openai:${settings.model}:${dimension}`;
    this.client = new OpenAI({ baseURL: settings.baseURL, apiKey: settings.apiKey, maxRetries: 3 });
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (let i = 0; i < texts.length; i += BATCH) {
      const batch = texts.slice(i, i + BATCH);
      const shortens = this.settings.dimensions !== undefined && this.settings.model.startsWith('text-embedding-3');
      const response = await this.client.embeddings.create({
        model: this.settings.model,
        input: batch,
        encoding_format: 'float',
        ...(shortens ? { dimensions: this.settings.dimensions } : {}),
      });
      const ordered = [...response.data].sort((a, b) => a.index - b.index);
      for (const item of ordered) {
        if (item.embedding.length !== this.dimension) {
          throw new Error(`embedding model ${this.settings.model} returned ${item.embedding.length} dimensions, HASTE_EMBEDDING_DIMENSIONS says ${this.dimension}`);
        }
        out.push(normalise(Float32Array.from(item.embedding)));
      }
    }
    return out;
  }

  async close(): Promise<void> {}
}
