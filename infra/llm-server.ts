import { execFile, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { z } from 'zod';
import { PROJECT_ROOT, type HasteConfig } from './config.js';
import { freePort } from './ephemeral.js';

/** The name the local server answers to (`model` in requests); any name works with one model loaded. */
export const LOCAL_MODEL_ALIAS = 'qwen2.5-coder-0.5b-instruct-q4_k_m';

const RecordSchema = z.object({
  pid: z.number().int().positive(),
  baseURL: z.url(),
  model: z.string().min(1),
  modelFile: z.string().min(1),
  logFile: z.string().min(1),
  startedAt: z.string(),
});
export type LocalLlmRecord = z.infer<typeof RecordSchema>;

export interface LlmServerOptions {
  /** Context window in tokens; prompts are kept under HASTE_LLM_CONTEXT_TOKENS plus the reply. */
  contextTokens?: number;
  /** The build is ~17 min the first time on a busy 2-core machine; start-up itself takes seconds. */
  timeoutMs?: number;
  /** Progress lines (install and start). */
  log?: (line: string) => void;
}

function recordFile(config: HasteConfig): string {
  return path.join(config.home, 'llm', 'server.json');
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The server recorded under HASTE_HOME, running or not (a dead one is an unreachable endpoint, not a missing one). */
export function readRecord(config: HasteConfig): LocalLlmRecord | null {
  try {
    return RecordSchema.parse(JSON.parse(readFileSync(recordFile(config), 'utf8')));
  } catch {
    return null;
  }
}

/** The local server `haste dev up --llm` started for this HASTE_HOME, if it is still running. */
export function localLlmServer(config: HasteConfig): LocalLlmRecord | null {
  const record = readRecord(config);
  return record && isAlive(record.pid) ? record : null;
}

async function healthy(baseURL: string): Promise<boolean> {
  try {
    // llama-server answers /health with 503 while it loads the model, 200 once it can serve.
    const res = await fetch(new URL('/health', baseURL), { signal: AbortSignal.timeout(2000) });
    return res.ok;
  } catch {
    return false;
  }
}

/** Builds or reuses llama-server and the model (infra/llm-install.sh; cached under ~/.cache/haste). */
export async function installLocalLlm(options: { timeoutMs?: number } = {}): Promise<{ server: string; model: string }> {
  const { stdout } = await promisify(execFile)('bash', [path.join(PROJECT_ROOT, 'infra', 'llm-install.sh'), 'all'], {
    cwd: PROJECT_ROOT,
    timeout: options.timeoutMs ?? 60 * 60_000,
    maxBuffer: 1 << 20,
  }).catch((err: Error & { stderr?: string }) => {
    throw new Error(`installing the local LLM failed: ${err.stderr?.trim().split('\n').slice(-8).join('\n') || err.message}`);
  });
  const value = (key: string) => stdout.match(new RegExp(`^${key}=(.+)$`, 'm'))?.[1];
  const server = value('server');
  const model = value('model');
  if (!server || !model) throw new Error(`infra/llm-install.sh printed no server=/model= paths:\n${stdout}`);
  return { server, model };
}

/**
 * Starts llama-server with the local model on a free loopback port, unless the one recorded under
 * HASTE_HOME still answers; records its URL and pid there so workers and the CLI find it. One slot
 * and one thread (`-t 1 -tb 1`): on a shared 2-core machine more threads were ~10× slower.
 */
export async function startLlmServer(config: HasteConfig, options: LlmServerOptions = {}): Promise<LocalLlmRecord> {
  const running = localLlmServer(config);
  if (running && (await healthy(running.baseURL))) return running;
  if (running) await stopLlmServer(config);
  const log = options.log ?? (() => undefined);
  const started = Date.now();
  const { server, model } = await installLocalLlm({ timeoutMs: options.timeoutMs });
  if (Date.now() - started > 5000) log(`local LLM installed in ${((Date.now() - started) / 60_000).toFixed(1)} min (cached for next time)`);
  const port = await freePort();
  const dir = path.dirname(recordFile(config));
  mkdirSync(dir, { recursive: true });
  const logFile = path.join(dir, 'server.log');
  const args = [
    '-m',
    model,
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    '-t',
    '1',
    '-tb',
    '1',
    '-np',
    '1',
    '-c',
    String(options.contextTokens ?? 4096),
    '--alias',
    LOCAL_MODEL_ALIAS,
  ];
  const out = openSync(logFile, 'a');
  const child = spawn(server, args, { detached: true, stdio: ['ignore', out, out] });
  closeSync(out);
  child.unref();
  if (child.pid === undefined) throw new Error(`could not start ${server}`);
  const record: LocalLlmRecord = {
    pid: child.pid,
    baseURL: `http://127.0.0.1:${port}/v1`,
    model: LOCAL_MODEL_ALIAS,
    modelFile: model,
    logFile,
    startedAt: new Date().toISOString(),
  };
  writeFileSync(recordFile(config), JSON.stringify(record, null, 2));
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (!isAlive(child.pid)) {
      rmSync(recordFile(config), { force: true });
      const tail = readFileSync(logFile, 'utf8').trim().split('\n').slice(-10).join('\n');
      throw new Error(`llama-server exited during start-up (log ${logFile}):\n${tail}`);
    }
    if (await healthy(record.baseURL)) return record;
    await sleep(250);
  }
  await stopLlmServer(config);
  throw new Error(`llama-server did not become healthy at ${record.baseURL} within 120 s (log ${logFile})`);
}

/** Stops the server startLlmServer started for this HASTE_HOME; false when none was running. */
export async function stopLlmServer(config: HasteConfig, timeoutMs = 10_000): Promise<boolean> {
  const record = readRecord(config);
  rmSync(recordFile(config), { force: true });
  if (!record || !isAlive(record.pid)) return false;
  process.kill(record.pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (isAlive(record.pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(record.pid)) process.kill(record.pid, 'SIGKILL');
  return true;
}
