import { createHash } from 'node:crypto';
import { normalise, type Embedder } from './embedder.js';
import { textTokens } from './bm25.js';

/**
 * Feature hashing of word unigrams and bigrams into a signed 384-dimensional vector: a real but
 * lexical-only method (no synonyms), for machines without the model package. Chosen only through
 * HASTE_EMBEDDER=hashing, and announced on stderr every time it is loaded, because retrieval
 * quality is visibly lower than with the sentence model.
 */
export class HashingEmbedder implements Embedder {
  readonly id = 'feature-hashing-v1-384';
  readonly dimension = 384;

  constructor(warn: (message: string) => void = (m) => process.stderr.write(`${m}\n`)) {
    warn(
      'haste: WARNING: skills are embedded with feature hashing (HASTE_EMBEDDER=hashing), not a sentence model: semantic matches will be missed; unset HASTE_EMBEDDER to use all-MiniLM-L6-v2',
    );
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    return texts.map((text) => {
      const vector = new Float32Array(this.dimension);
      const tokens = textTokens(text);
      const features = [...tokens, ...tokens.slice(1).map((t, i) => `${tokens[i]} ${t}`)];
      for (const feature of features) {
        const h = createHash('md5').update(feature).digest();
        const index = h.readUInt32LE(0) % this.dimension;
        vector[index] = vector[index]! + ((h[4]! & 1) === 0 ? 1 : -1);
      }
      return normalise(vector);
    });
  }

  async close(): Promise<void> {}
}
