import type { SkillStoreConfig } from '../infra/config.js';
import { lazyEmbedder, type EmbedderSource } from './embedder.js';
import { HashingEmbedder } from './hashing-embedder.js';
import { MiniLmEmbedder } from './minilm.js';
import { OpenAiEmbedder } from './openai-embedder.js';
import { QdrantSkillStore } from './qdrant.js';
import { SqliteSkillStore } from './sqlite.js';
import type { SkillStore } from './store.js';

// One model per process and embedder id: the worker and the CLI open stores often, the model once.
const sources = new Map<string, EmbedderSource>();

/** The configured embedder (HASTE_EMBEDDER), not yet loaded. */
export function embedderFromConfig(config: SkillStoreConfig['embedder']): EmbedderSource {
  const key = JSON.stringify(config);
  let source = sources.get(key);
  if (!source) {
    if (config.kind === 'minilm') source = lazyEmbedder('all-MiniLM-L6-v2-onnx-int8', 384, () => MiniLmEmbedder.load());
    else if (config.kind === 'hashing') {
      const embedder = new HashingEmbedder();
      source = lazyEmbedder(embedder.id, embedder.dimension, async () => embedder);
    } else {
      if (!config.baseURL) throw new Error('HASTE_EMBEDDER=openai needs HASTE_EMBEDDING_BASE_URL (or OPENAI_BASE_URL), e.g. http://localhost:8000/v1');
      const embedder = new OpenAiEmbedder({ baseURL: config.baseURL, apiKey: config.apiKey, model: config.model, dimensions: config.dimensions });
      source = lazyEmbedder(embedder.id, embedder.dimension, async () => embedder);
    }
    sources.set(key, source);
  }
  return source;
}

/** Qdrant when QDRANT_URL is set, else the embedded SQLite store in HASTE_HOME. */
export async function openSkillStore(config: SkillStoreConfig, embedder: EmbedderSource = embedderFromConfig(config.embedder)): Promise<SkillStore> {
  if (config.qdrant) return QdrantSkillStore.open({ ...config.qdrant, embedder });
  return SqliteSkillStore.open({ file: config.sqliteFile, embedder });
}
