import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT } from './config.js';

/** The runner's "you gave me bad input" exit code: not worth a retry. */
export const RUNNER_USER_ERROR_EXIT = 2;

/** A Python runner command that failed; `userError` separates bad input from broken infrastructure. */
export class PythonRunnerError extends Error {
  constructor(
    message: string,
    readonly exitCode: number | null,
    readonly userError: boolean,
    readonly kind?: string,
  ) {
    super(message);
    this.name = 'PythonRunnerError';
  }
}

export function pythonEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PYTHONPATH: path.join(PROJECT_ROOT, 'runner'),
    PYTHONUNBUFFERED: '1',
    // Accounting is per process and the machines are small: one BLAS thread per job.
    OMP_NUM_THREADS: process.env.OMP_NUM_THREADS ?? '1',
    OPENBLAS_NUM_THREADS: process.env.OPENBLAS_NUM_THREADS ?? '1',
    MKL_NUM_THREADS: process.env.MKL_NUM_THREADS ?? '1',
    ...extra,
  };
}

/** Starts `python -m haste_runner.<module>` in its own process group (so the whole tree can be killed). */
export function spawnRunner(python: string, module: string, args: string[], options: SpawnOptions = {}): ChildProcess {
  return spawn(python, ['-m', `haste_runner.${module}`, ...args], {
    cwd: PROJECT_ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...options,
    env: pythonEnv(options.env),
  });
}

/** Parses a JSON line, or returns null for anything else the runner printed. */
export function parseJsonLine(line: string): Record<string, unknown> | null {
  const trimmed = line.trim();
  if (!trimmed.startsWith('{')) return null;
  try {
    return JSON.parse(trimmed) as Record<string, unknown>;
  } catch {
    return null;
  }
}

/** Kills a runner's whole process group; safe to call on a process that already exited. */
export function killProcessGroup(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

/**
 * Runs a short runner command and returns the JSON objects it printed on stdout.
 * Exit 2 with an `{"event":"error"}` line becomes a user error carrying the runner's message.
 */
export async function runPythonJson(python: string, module: string, args: string[], timeoutMs = 300_000): Promise<Record<string, unknown>[]> {
  const child = spawnRunner(python, module, args);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => killProcessGroup(child), timeoutMs);
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code));
  }).finally(() => clearTimeout(timer));
  const objects = stdout
    .split('\n')
    .map(parseJsonLine)
    .filter((o): o is Record<string, unknown> => o !== null);
  if (exitCode === 0) return objects;
  const error = objects.find((o) => o.event === 'error');
  const message = typeof error?.message === 'string' ? error.message : stderr.trim().split('\n').slice(-5).join('\n') || `exit ${exitCode}`;
  throw new PythonRunnerError(`haste_runner.${module}: ${message}`, exitCode, exitCode === RUNNER_USER_ERROR_EXIT, typeof error?.kind === 'string' ? error.kind : undefined);
}
