import { execFileSync } from 'node:child_process';
import { existsSync, lchownSync, lstatSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from './paths.js';

/**
 * The sandbox solution code runs in (bubblewrap + rlimits). What the sandboxed process sees:
 * - read-only: /usr (+ /lib, /bin links), the Python install and venv, the runner package at
 *   /opt/haste/runner, the job file at /job.json, and /competition holding ONLY
 *   competition.yaml, description.md, train.csv and test.csv (answers.csv is never bound);
 * - read-write: the step's workdir, bound at its host path so checkpoint paths mean the same
 *   thing inside and out. Nothing else is writable (the root is remounted read-only);
 * - read-only at their host paths: earlier steps' workdirs an ensemble reads (`readOnlyDirs`);
 * - its own network namespace (loopback only: 127.0.0.1 is not the host's), pid, ipc and uts
 *   namespaces, a cleared environment (no HASTE_HOME, no TEMPORAL_ADDRESS), no capabilities;
 * - rlimits: address space (memory), CPU seconds, processes, core dumps off. The wall timeout
 *   is the training activity's, which kills the process group; bwrap's --die-with-parent and
 *   the pid namespace take every descendant with it.
 * - a GPU's device nodes only when the slot has one.
 */

export interface SandboxLimits {
  /** Address-space limit per process (RLIMIT_AS), MiB. Not applied on GPU slots: CUDA reserves huge virtual ranges. */
  memoryMb: number;
  /** CPU seconds per process (RLIMIT_CPU soft limit; SIGXCPU, then SIGKILL 5 s later). */
  cpuSeconds: number;
  /** Processes/threads the sandbox user may own (RLIMIT_NPROC). */
  maxProcesses: number;
  /** Wall-clock seconds per attempt, enforced by the training activity. */
  wallSeconds: number;
}

export interface SandboxConfig {
  /** 'bwrap' (default) or 'off' (HASTE_SANDBOX=off: documented opt-out, runs solution code unsandboxed). */
  mode: 'bwrap' | 'off';
  limits: SandboxLimits;
}

/** Where a sandboxed run mounts the competition's visible files and the runner package. */
export const SANDBOX_COMPETITION_DIR = '/competition';
const SANDBOX_RUNNER_ROOT = '/opt/haste/runner';
const SANDBOX_JOB_FILE = '/job.json';
/** Files of a competition folder solution code may read; answers.csv is deliberately absent. */
export const VISIBLE_COMPETITION_FILES = ['competition.yaml', 'description.md', 'train.csv', 'test.csv'];
/** Host uid the sandbox runs as when the worker is root (RLIMIT_NPROC does not bind uid 0): base + slot index. */
const SANDBOX_UID_BASE = 61000;

export class SandboxUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SandboxUnavailableError';
  }
}

export interface SandboxJob {
  python: string;
  competitionDir: string;
  workdir: string;
  jobFile: string;
  /** Earlier steps' workdirs, bound read-only at their host paths (their out-of-fold predictions, for ensembles). */
  readOnlyDirs?: string[];
  /** What CUDA_VISIBLE_DEVICES gets; '' = no GPU. */
  gpuDevice: string;
  slotIndex: number;
  limits: SandboxLimits;
  env: Record<string, string>;
}

export interface SandboxCommand {
  command: string;
  args: string[];
  /** The environment of the launcher itself (bwrap clears it for the sandboxed process). */
  env: NodeJS.ProcessEnv;
  /** The uid the solution runs as (the workdir must be writable by it). */
  uid: number;
}

interface PythonLayout {
  /** Real paths to expose read-only. */
  roots: string[];
  /** The interpreter path to exec inside (resolved through the venv's real location). */
  executable: string;
}

const layoutCache = new Map<string, PythonLayout>();

/** The directories a venv's interpreter needs: the venv itself and the base installation it points at. */
function pythonLayout(python: string): PythonLayout {
  const cached = layoutCache.get(python);
  if (cached) return cached;
  const venv = path.dirname(path.dirname(path.resolve(python)));
  const roots = new Set<string>();
  let executable = realpathSync(python);
  const cfg = path.join(venv, 'pyvenv.cfg');
  if (existsSync(cfg)) {
    const realVenv = realpathSync(venv);
    roots.add(realVenv);
    executable = path.join(realVenv, path.relative(venv, path.resolve(python)));
    const home = /^home\s*=\s*(.+)$/m.exec(readFileSync(cfg, 'utf8'))?.[1]?.trim();
    if (home) roots.add(realpathSync(path.dirname(home)));
  }
  roots.add(path.dirname(path.dirname(realpathSync(python))));
  const layout = { roots: [...roots].filter((r) => r !== '/usr' && !r.startsWith('/usr/')), executable };
  layoutCache.set(python, layout);
  return layout;
}

/** `--perms 0755 --dir` for every ancestor of `target` not yet made, so a 0700 /root on the host does not block traversal. */
function ancestors(target: string, made: Set<string>): string[] {
  const args: string[] = [];
  const parts = target.split('/').filter(Boolean);
  for (let i = 1; i < parts.length; i++) {
    const dir = '/' + parts.slice(0, i).join('/');
    if (made.has(dir) || ['/usr', '/proc', '/dev'].includes(dir)) continue;
    made.add(dir);
    args.push('--perms', '0755', '--dir', dir);
  }
  return args;
}

let checked: string | null | undefined;

/**
 * Throws a SandboxUnavailableError that says how to fix it when bubblewrap cannot build a sandbox
 * here. The probe runs once per process.
 */
export function assertSandboxAvailable(): void {
  if (checked === undefined) {
    try {
      execFileSync(
        'bwrap',
        ['--unshare-net', '--unshare-pid', ...(process.getuid?.() === 0 ? [] : ['--unshare-user']), '--ro-bind', '/', '/', '--proc', '/proc', '--dev', '/dev', 'true'],
        {
          stdio: ['ignore', 'ignore', 'pipe'],
          timeout: 10_000,
        },
      );
      checked = null;
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { stderr?: Buffer };
      checked =
        e.code === 'ENOENT'
          ? 'bubblewrap (bwrap) is not installed: run `bash infra/setup.sh` (it installs the Debian package `bubblewrap`)'
          : `bubblewrap cannot create namespaces here: ${(e.stderr?.toString() ?? e.message).trim()}`;
    }
  }
  if (checked) {
    throw new SandboxUnavailableError(`${checked}. Solution code is never run unsandboxed unless HASTE_SANDBOX=off is set explicitly (only for a trusted, single-user machine).`);
  }
}

/** The uid the sandbox of a slot runs as: a dedicated one under root, else the worker's own. */
export function sandboxUid(slotIndex: number): number {
  const uid = process.getuid?.() ?? 0;
  return uid === 0 ? SANDBOX_UID_BASE + slotIndex : uid;
}

/** Gives the sandbox user the workdir (without following links the last run may have left there). */
export function handOverWorkdir(workdir: string, uid: number): void {
  if ((process.getuid?.() ?? 0) !== 0) return;
  const walk = (p: string) => {
    const st = lstatSync(p);
    if (st.uid !== uid) lchownSync(p, uid, uid);
    if (st.isDirectory()) for (const name of readdirSync(p)) walk(path.join(p, name));
  };
  walk(workdir);
}

/** The launcher command: prlimit (rlimits) → bwrap (namespaces, binds) → [setpriv (drop root)] → python -m haste_runner.train. */
export function sandboxCommand(job: SandboxJob): SandboxCommand {
  const layout = pythonLayout(job.python);
  const uid = sandboxUid(job.slotIndex);
  const asRoot = (process.getuid?.() ?? 0) === 0;
  const made = new Set<string>();
  const args: string[] = [
    '--unshare-ipc',
    '--unshare-pid',
    '--unshare-net',
    '--unshare-uts',
    '--unshare-cgroup-try',
    ...(asRoot ? [] : ['--unshare-user']),
    '--die-with-parent',
    '--new-session',
    '--clearenv',
    '--ro-bind',
    '/usr',
    '/usr',
    '--symlink',
    'usr/lib',
    '/lib',
    '--symlink',
    'usr/lib64',
    '/lib64',
    '--symlink',
    'usr/bin',
    '/bin',
    '--proc',
    '/proc',
    '--dev',
    '/dev',
  ];
  for (const root of layout.roots) args.push(...ancestors(root, made), '--ro-bind', root, root);
  const runnerPackage = path.join(PROJECT_ROOT, 'runner', 'haste_runner');
  args.push(...ancestors(`${SANDBOX_RUNNER_ROOT}/haste_runner`, made), '--ro-bind', runnerPackage, `${SANDBOX_RUNNER_ROOT}/haste_runner`);
  args.push('--perms', '0755', '--dir', SANDBOX_COMPETITION_DIR);
  for (const file of VISIBLE_COMPETITION_FILES) {
    const src = path.join(job.competitionDir, file);
    if (existsSync(src)) args.push('--ro-bind', src, `${SANDBOX_COMPETITION_DIR}/${file}`);
  }
  args.push('--ro-bind', job.jobFile, SANDBOX_JOB_FILE);
  args.push(...ancestors(job.workdir, made), '--bind', job.workdir, job.workdir);
  for (const dir of job.readOnlyDirs ?? []) args.push(...ancestors(dir, made), '--ro-bind', dir, dir);
  if (job.gpuDevice !== '') {
    // Only this slot's GPU (plus the driver's control nodes) exists in the sandbox's /dev.
    for (const node of ['nvidiactl', 'nvidia-uvm', 'nvidia-uvm-tools', 'nvidia-modeset', `nvidia${job.gpuDevice}`]) {
      args.push('--dev-bind-try', `/dev/${node}`, `/dev/${node}`);
    }
    args.push('--ro-bind-try', '/sys', '/sys');
  }
  const env: Record<string, string> = {
    ...job.env,
    PATH: '/usr/bin:/bin',
    HOME: job.workdir,
    TMPDIR: job.workdir,
    PYTHONPATH: SANDBOX_RUNNER_ROOT,
    PYTHONUNBUFFERED: '1',
    PYTHONDONTWRITEBYTECODE: '1',
    CUDA_VISIBLE_DEVICES: job.gpuDevice,
  };
  for (const [k, v] of Object.entries(env)) args.push('--setenv', k, v);
  args.push('--remount-ro', '/', '--chdir', job.workdir);
  if (asRoot) {
    args.push('/usr/bin/setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', '--inh-caps=-all', '--bounding-set=-all', '--no-new-privs');
  }
  args.push(layout.executable, '-m', 'haste_runner.train', '--job', SANDBOX_JOB_FILE);

  const l = job.limits;
  const rlimits = [`--cpu=${l.cpuSeconds}:${l.cpuSeconds + 5}`, `--nproc=${l.maxProcesses}`, '--core=0'];
  if (job.gpuDevice === '') rlimits.push(`--as=${l.memoryMb * 2 ** 20}`);
  return { command: 'prlimit', args: [...rlimits, '--', 'bwrap', ...args], env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, uid };
}

/** Exit statuses of the launcher that mean a limit stopped the solution. */
export function describeLimitExit(code: number | null, limits: SandboxLimits): string | null {
  if (code === 128 + 24) return `exceeded the sandbox CPU-time limit of ${limits.cpuSeconds} s (SIGXCPU)`;
  if (code === 128 + 9) return `killed by SIGKILL inside the sandbox (CPU hard limit ${limits.cpuSeconds + 5} s or out of memory)`;
  if (code === 128 + 11) return 'crashed with SIGSEGV inside the sandbox (often an allocation past the memory limit)';
  return null;
}
