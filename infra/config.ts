import path from 'node:path';
import { z } from 'zod';
import { PROJECT_ROOT } from './paths.js';
import type { SandboxConfig } from './sandbox.js';

export { PROJECT_ROOT };

export { TASK_QUEUES } from '../schemas/task-queues.js';

const EnvSchema = z.object({
  HASTE_HOME: z.string().min(1).default(path.join(PROJECT_ROOT, '.haste')),
  TEMPORAL_ADDRESS: z
    .string()
    .regex(/^[^:\s]+:\d+$/, 'host:port, e.g. 127.0.0.1:7233')
    .default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_UI_PORT: z.coerce.number().int().min(1).max(65535).default(8233),
  TEMPORAL_CLI_PATH: z.string().min(1).optional(),
  HASTE_PYTHON: z.string().min(1).optional(),
  HASTE_GPU_SLOTS: z.coerce.number().int().min(1).max(64).optional(),
  HASTE_SANDBOX: z.enum(['on', 'off'], { message: "'on' (default: bubblewrap sandbox) or 'off' (run solution code unsandboxed; trusted machines only)" }).default('on'),
  HASTE_SANDBOX_MEMORY_MB: z.coerce.number().int().min(256).default(8192),
  HASTE_SANDBOX_CPU_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .default(4 * 3600),
  HASTE_SANDBOX_MAX_PROCESSES: z.coerce.number().int().min(8).default(256),
  HASTE_SANDBOX_WALL_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .default(6 * 3600),
  // Skill store: Qdrant when QDRANT_URL is set, else the embedded SQLite file in HASTE_HOME.
  QDRANT_URL: z.url('a Qdrant REST URL, e.g. http://localhost:6333').optional(),
  QDRANT_API_KEY: z.string().min(1).optional(),
  HASTE_QDRANT_COLLECTION: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and - only')
    .default('haste-skills'),
  // Applied when the collection is created (an existing collection keeps its own).
  HASTE_QDRANT_REPLICATION_FACTOR: z.coerce.number().int('a whole number of copies, e.g. 2').min(1).max(16).default(1),
  HASTE_QDRANT_SHARDS: z.coerce.number().int('a whole number of shards, e.g. 2').min(1).max(256).default(1),
  HASTE_QDRANT_ON_DISK_PAYLOAD: z.enum(['true', 'false'], "'true' (default: payloads on disk) or 'false' (in memory)").default('true'),
  HASTE_QDRANT_FULL_SCAN_KB: z.coerce.number().int('a whole number of KiB of vectors, e.g. 1000').min(1).default(1000),
  HASTE_QDRANT_MAX_REQUEST_MB: z.coerce.number().positive("a size in MiB below the server's max_request_size_mb (32 by default)").max(1024).default(8),
  HASTE_EMBEDDER: z.enum(['minilm', 'openai', 'hashing'], 'minilm (default, ships in .venv), openai (any OpenAI-compatible endpoint) or hashing').default('minilm'),
  HASTE_EMBEDDING_MODEL: z.string().min(1).default('text-embedding-3-small'),
  HASTE_EMBEDDING_DIMENSIONS: z.coerce.number().int().positive().optional(),
  HASTE_EMBEDDING_BASE_URL: z.url('an OpenAI-compatible base URL, e.g. http://localhost:8000/v1').optional(),
  OPENAI_BASE_URL: z.url('an OpenAI-compatible base URL, e.g. http://localhost:8000/v1').optional(),
  OPENAI_API_KEY: z.string().min(1).optional(),
  // LLM agents: OPENAI_BASE_URL when set, else the local server `haste dev up --llm` started.
  HASTE_LLM_MODEL: z.string().min(1).optional(),
  HASTE_LLM_CONTEXT_TOKENS: z.coerce.number().int('a whole number of tokens').min(256, 'at least 256 tokens').max(1_000_000).default(1536),
  HASTE_LLM_TIMEOUT_SECONDS: z.coerce.number().positive().default(120),
  // Distillation: a technique (or template) becomes a domain skill once it helped on this many competitions of the domain.
  HASTE_PROMOTE_DOMAIN_AFTER: z.coerce.number().int('a whole number of competitions').min(1, 'at least 1 competition').default(2),
});

export interface SkillStoreConfig {
  sqliteFile: string;
  qdrant?: {
    url: string;
    apiKey?: string;
    collection: string;
    settings: { replicationFactor: number; shards: number; onDiskPayload: boolean; fullScanThresholdKb: number };
    maxRequestBytes: number;
  };
  embedder: { kind: 'minilm' } | { kind: 'hashing' } | { kind: 'openai'; baseURL?: string; apiKey: string; model: string; dimensions?: number };
}

export interface HasteConfig {
  home: string;
  temporalAddress: string;
  namespace: string;
  uiPort: number;
  temporalCliPath?: string;
  python: string;
  gpuSlots?: number;
  competitionsDir: string;
  artifactsDir: string;
  runsDir: string;
  /** How solution code is confined (infra/sandbox.ts); per training attempt. */
  sandbox: SandboxConfig;
  skills: SkillStoreConfig;
  llm: LlmConfig;
  /** Distillation defaults (a distillSkills run's `policy` still overrides them). */
  distill: { promoteDomainAfter: number };
}

export interface LlmConfig {
  /** An OpenAI-compatible endpoint; absent: the local server under HASTE_HOME (infra/llm-server.ts). */
  baseURL?: string;
  apiKey: string;
  /** Absent: the local server's model, or gpt-4o-mini on a given endpoint. */
  model?: string;
  /** Budget for a prompt's variable part (skills, run history); estimated at ~4 characters a token. */
  contextTokens: number;
  timeoutSeconds: number;
}

/** Reads HASTE's settings from the environment; a bad value fails naming the variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): HasteConfig {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message} (got ${JSON.stringify(env[String(i.path[0])])})`);
    throw new Error(`invalid HASTE environment:\n  ${problems.join('\n  ')}`);
  }
  const e = parsed.data;
  const home = path.resolve(e.HASTE_HOME);
  return {
    home,
    temporalAddress: e.TEMPORAL_ADDRESS,
    namespace: e.TEMPORAL_NAMESPACE,
    uiPort: e.TEMPORAL_UI_PORT,
    temporalCliPath: e.TEMPORAL_CLI_PATH,
    python: e.HASTE_PYTHON ?? path.join(PROJECT_ROOT, '.venv', 'bin', 'python'),
    gpuSlots: e.HASTE_GPU_SLOTS,
    competitionsDir: path.join(home, 'competitions'),
    artifactsDir: path.join(home, 'artifacts'),
    runsDir: path.join(home, 'runs'),
    sandbox: {
      mode: e.HASTE_SANDBOX === 'off' ? 'off' : 'bwrap',
      limits: {
        memoryMb: e.HASTE_SANDBOX_MEMORY_MB,
        cpuSeconds: e.HASTE_SANDBOX_CPU_SECONDS,
        maxProcesses: e.HASTE_SANDBOX_MAX_PROCESSES,
        wallSeconds: e.HASTE_SANDBOX_WALL_SECONDS,
      },
    },
    skills: {
      sqliteFile: path.join(home, 'skills.sqlite'),
      qdrant: e.QDRANT_URL
        ? {
            url: e.QDRANT_URL,
            apiKey: e.QDRANT_API_KEY,
            collection: e.HASTE_QDRANT_COLLECTION,
            settings: {
              replicationFactor: e.HASTE_QDRANT_REPLICATION_FACTOR,
              shards: e.HASTE_QDRANT_SHARDS,
              onDiskPayload: e.HASTE_QDRANT_ON_DISK_PAYLOAD === 'true',
              fullScanThresholdKb: e.HASTE_QDRANT_FULL_SCAN_KB,
            },
            maxRequestBytes: Math.floor(e.HASTE_QDRANT_MAX_REQUEST_MB * 2 ** 20),
          }
        : undefined,
      embedder:
        e.HASTE_EMBEDDER === 'openai'
          ? {
              kind: 'openai',
              baseURL: e.HASTE_EMBEDDING_BASE_URL ?? e.OPENAI_BASE_URL,
              apiKey: e.OPENAI_API_KEY ?? 'none',
              model: e.HASTE_EMBEDDING_MODEL,
              dimensions: e.HASTE_EMBEDDING_DIMENSIONS,
            }
          : { kind: e.HASTE_EMBEDDER },
    },
    llm: {
      baseURL: e.OPENAI_BASE_URL,
      apiKey: e.OPENAI_API_KEY ?? 'none',
      model: e.HASTE_LLM_MODEL,
      contextTokens: e.HASTE_LLM_CONTEXT_TOKENS,
      timeoutSeconds: e.HASTE_LLM_TIMEOUT_SECONDS,
    },
    distill: { promoteDomainAfter: e.HASTE_PROMOTE_DOMAIN_AFTER },
  };
}

export function uiAddress(config: HasteConfig): string {
  const host = config.temporalAddress.split(':')[0];
  return `http://${host}:${config.uiPort}`;
}
