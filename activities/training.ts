import { closeSync, constants, existsSync, fstatSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import { killProcessGroup, parseJsonLine, pythonEnv, RUNNER_USER_ERROR_EXIT, spawnRunner } from '../infra/python.js';
import type { Slot, SlotPool } from '../infra/gpu-slots.js';
import { codeInline } from '../infra/solution-code.js';
import { assertSandboxAvailable, describeLimitExit, handOverWorkdir, SANDBOX_COMPETITION_DIR, sandboxCommand, type SandboxConfig } from '../infra/sandbox.js';
import {
  RunnerLineSchema,
  TrainHeartbeatSchema,
  type Candidate,
  type RunnerLine,
  type TrainCharge,
  type TrainHeartbeat,
  type TrainRequest,
  type TrainResult,
} from '../schemas/training.js';

export interface TrainingDeps {
  python: string;
  artifactsDir: string;
  slots: SlotPool;
  /** How solution code is confined; HASTE_SANDBOX=off is the only way to run it bare. */
  sandbox: SandboxConfig;
  /** How often to heartbeat when the runner prints nothing (long epochs). */
  heartbeatEveryMs?: number;
}

function episodeDir(artifactsDir: string, workflowId: string): string {
  return path.join(artifactsDir, workflowId.replace(/[^A-Za-z0-9._-]/g, '_'));
}

function stepName(step: number): string {
  return `step-${String(step).padStart(3, '0')}`;
}

/** The candidate's params as the runner takes them: a `custom` candidate's code put back from the artifact store. */
function solutionParams(artifactsDir: string, candidate: Candidate): Record<string, unknown> {
  try {
    return codeInline(artifactsDir, candidate).params;
  } catch (err) {
    throw ApplicationFailure.nonRetryable(`custom: ${(err as Error).message}`, 'SolutionError');
  }
}

/**
 * The step's sandbox-writable directory (checkpoints, progress.jsonl, the runner's submission),
 * shared by every attempt. The platform never writes into it: solution code may have left links there.
 */
export function stepWorkdir(artifactsDir: string, workflowId: string, step: number): string {
  return path.join(episodeDir(artifactsDir, workflowId), stepName(step));
}

/** The job file of one attempt: outside the workdir, so the sandbox can neither read other jobs nor plant a link. */
export function stepJobFile(artifactsDir: string, workflowId: string, step: number, attempt: number): string {
  return path.join(episodeDir(artifactsDir, workflowId), 'jobs', `${stepName(step)}-attempt-${attempt}.json`);
}

/** Where the activity copies a finished step's submission (host-owned) for grading. */
export function stepSubmission(artifactsDir: string, workflowId: string, step: number): string {
  return path.join(episodeDir(artifactsDir, workflowId), 'submissions', `${stepName(step)}.csv`);
}

/** Copies the runner's submission out of the workdir, refusing links and anything but a regular file. */
function collectSubmission(workdir: string, dest: string): string {
  const source = path.join(workdir, 'submission.csv');
  let fd: number;
  try {
    fd = openSync(source, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    throw ApplicationFailure.nonRetryable(`the solution left no readable submission.csv in its workdir (${(err as Error).message})`, 'SolutionError');
  }
  try {
    if (!fstatSync(fd).isFile()) throw ApplicationFailure.nonRetryable('submission.csv in the workdir is not a regular file', 'SolutionError');
    mkdirSync(path.dirname(dest), { recursive: true });
    writeFileSync(dest, readFileSync(fd));
    return dest;
  } finally {
    closeSync(fd);
  }
}

/**
 * The workdirs of the earlier steps an ensemble reads, by step number (the labels the runner resolves spec
 * members with). Paths are derived here, never taken from the request, and only earlier steps of this episode.
 */
function earlierSteps(artifactsDir: string, request: TrainRequest): Record<string, string> {
  const dirs: Record<string, string> = {};
  for (const step of request.artifactSteps ?? []) {
    const dir = stepWorkdir(artifactsDir, request.workflowId, step);
    if (step >= request.step || !existsSync(dir)) {
      throw ApplicationFailure.nonRetryable(`step ${request.step} cannot read step ${step}: only earlier steps of this episode that ran`, 'SolutionError');
    }
    dirs[String(step)] = dir;
  }
  return dirs;
}

/** Whether an ensemble step kept its blend (the runner's artifact.json); undefined for any other step. */
function ensembleKept(workdir: string): boolean | undefined {
  try {
    const artifact = JSON.parse(readFileSync(path.join(workdir, 'artifact.json'), 'utf8')) as { ensemble?: { kept?: unknown } };
    return typeof artifact.ensemble?.kept === 'boolean' ? artifact.ensemble.kept : undefined;
  } catch {
    return undefined;
  }
}

/** Starts the runner for one attempt: inside the sandbox, or bare only when HASTE_SANDBOX=off. */
function launchRunner(deps: TrainingDeps, slot: Slot, job: Record<string, unknown>, jobFile: string, competitionDir: string, workdir: string): ChildProcess {
  if (deps.sandbox.mode === 'off') {
    writeFileSync(jobFile, JSON.stringify({ ...job, competitionDir }));
    return spawnRunner(deps.python, 'train', ['--job', jobFile], { env: { CUDA_VISIBLE_DEVICES: slot.device } });
  }
  assertSandboxAvailable();
  writeFileSync(jobFile, JSON.stringify({ ...job, competitionDir: SANDBOX_COMPETITION_DIR }));
  const threads = pythonEnv();
  const launcher = sandboxCommand({
    python: deps.python,
    competitionDir,
    workdir,
    jobFile,
    readOnlyDirs: Object.values((job.artifacts ?? {}) as Record<string, string>),
    gpuDevice: slot.device,
    slotIndex: slot.index,
    limits: deps.sandbox.limits,
    env: { OMP_NUM_THREADS: threads.OMP_NUM_THREADS!, OPENBLAS_NUM_THREADS: threads.OPENBLAS_NUM_THREADS!, MKL_NUM_THREADS: threads.MKL_NUM_THREADS! },
  });
  handOverWorkdir(workdir, launcher.uid);
  return spawn(launcher.command, launcher.args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: launcher.env });
}

export function createTrainingActivities(deps: TrainingDeps) {
  return {
    /**
     * Trains one candidate in the Python runner. Heartbeats {epoch, checkpoint, compute}; a retried
     * attempt resumes from the newest valid checkpoint (the last heartbeat's or a newer one the runner
     * finds in the step's workdir). `computeSecondsLimit` reaches the runner as a deadline. Solution and
     * competition faults (runner exit 2, sandbox limits) fail non-retryably; every failure carries the
     * compute spent (TrainCharge) so the episode charges it like a success.
     */
    async trainCandidate(request: TrainRequest): Promise<TrainResult> {
      const ctx = Context.current();
      const previous = ctx.info.heartbeatDetails === undefined ? undefined : TrainHeartbeatSchema.parse(ctx.info.heartbeatDetails);
      const priorCompute = previous?.computeSeconds ?? 0;
      const priorCpu = previous?.cpuSeconds ?? 0;
      const workdir = stepWorkdir(deps.artifactsDir, request.workflowId, request.step);
      // A checkpoint the runner has since pruned cannot be resumed: start over rather than fail every retry.
      // Checkpoint paths come from the sandbox's output: only ones inside its own workdir are trusted.
      const resumeFrom = previous?.checkpoint && previous.checkpoint.startsWith(workdir + path.sep) && existsSync(previous.checkpoint) ? previous.checkpoint : null;
      mkdirSync(workdir, { recursive: true });
      const jobFile = stepJobFile(deps.artifactsDir, request.workflowId, request.step, ctx.info.attempt);
      mkdirSync(path.dirname(jobFile), { recursive: true });
      const job = {
        template: request.candidate.template,
        // A `custom` candidate names its solution.py by digest: the code itself is read here, never carried in history.
        params: solutionParams(deps.artifactsDir, request.candidate),
        seed: request.seed,
        folds: request.folds,
        workdir,
        resumeFrom,
        checkpointEvery: request.checkpointEvery,
        attempt: ctx.info.attempt,
        ...(request.artifactSteps?.length ? { artifacts: earlierSteps(deps.artifactsDir, request) } : {}),
      };

      const slot = await deps.slots.acquire();
      const started = performance.now();
      // The budget is charged from here (the slot is held), so the deadline counts from here too.
      const deadline = request.computeSecondsLimit === undefined ? null : Date.now() / 1000 + Math.max(0, request.computeSecondsLimit - priorCompute);
      let child: ChildProcess;
      try {
        child = launchRunner(deps, slot, { ...job, deadline }, jobFile, request.competitionDir, workdir);
      } catch (err) {
        deps.slots.release(slot);
        throw ApplicationFailure.nonRetryable((err as Error).message, 'SandboxUnavailable');
      }
      // The wall timeout is a limit of the solution, like CPU and memory: the whole sandbox goes.
      let wallTimedOut = false;
      const wallTimer = setTimeout(() => {
        wallTimedOut = true;
        killProcessGroup(child);
      }, deps.sandbox.limits.wallSeconds * 1000);
      const onCancel = () => killProcessGroup(child);
      ctx.cancellationSignal.addEventListener('abort', onCancel);

      let beat: TrainHeartbeat = previous
        ? { ...previous, attempt: ctx.info.attempt }
        : { epoch: 0, epochs: 0, checkpoint: null, checkpointEpoch: 0, computeSeconds: 0, cpuSeconds: 0, attempt: ctx.info.attempt };
      let resumedFromEpoch = 0;
      let result: Extract<RunnerLine, { event: 'result' }> | undefined;
      let error: Extract<RunnerLine, { event: 'error' }> | undefined;
      let peakRssMb = 0;
      const elapsed = () => (performance.now() - started) / 1000;
      let lastCpu = priorCpu;
      /** A failure that still tells the episode what the step cost (all attempts so far). */
      const failure = (message: string, type: string, nonRetryable: boolean) => {
        const charge: TrainCharge = { computeSeconds: priorCompute + elapsed(), cpuSeconds: lastCpu };
        return ApplicationFailure.create({ message, type, nonRetryable, details: [charge] });
      };
      const heartbeat = () => {
        beat = { ...beat, computeSeconds: priorCompute + elapsed() };
        ctx.heartbeat(beat);
      };
      heartbeat();
      const ticker = setInterval(heartbeat, deps.heartbeatEveryMs ?? 2000);

      let stderrTail = '';
      child.stderr?.on('data', (d: Buffer) => (stderrTail = (stderrTail + d.toString()).slice(-4000)));
      const exited = new Promise<number | null>((resolve, reject) => {
        child.on('error', reject);
        child.on('close', (code) => resolve(code));
      });
      try {
        for await (const line of createInterface({ input: child.stdout! })) {
          const json = parseJsonLine(line);
          const parsed = json && RunnerLineSchema.safeParse(json);
          if (!parsed?.success) continue;
          const msg = parsed.data;
          if (msg.event === 'start') resumedFromEpoch = msg.resumedFromEpoch;
          else if (msg.event === 'progress') {
            peakRssMb = Math.max(peakRssMb, msg.peakRssMb);
            beat = {
              ...beat,
              epoch: msg.epoch,
              epochs: msg.epochs,
              checkpoint: msg.checkpoint ?? beat.checkpoint,
              checkpointEpoch: msg.checkpoint ? msg.checkpointEpoch : beat.checkpointEpoch,
              cpuSeconds: priorCpu + msg.cpuSeconds,
            };
            lastCpu = beat.cpuSeconds;
            heartbeat();
          } else if (msg.event === 'result') result = msg;
          else {
            error = msg;
            if (msg.cpuSeconds !== undefined) lastCpu = priorCpu + msg.cpuSeconds;
          }
        }
        const code = await exited;
        if (ctx.cancellationSignal.aborted) throw new CancelledFailure('training cancelled; runner process group killed');
        if (wallTimedOut) {
          throw failure(`${request.candidate.template}: exceeded the wall timeout of ${deps.sandbox.limits.wallSeconds} s; the sandbox was killed`, 'SolutionError', true);
        }
        const limitHit = deps.sandbox.mode === 'off' ? null : describeLimitExit(code, deps.sandbox.limits);
        if (limitHit) throw failure(`${request.candidate.template}: ${limitHit}`, 'SolutionError', true);
        if (code === RUNNER_USER_ERROR_EXIT) {
          // The runner names the fault's origin: the solution, or the competition folder (bad yaml, missing file).
          const type = error?.kind === 'competition' ? 'CompetitionError' : 'SolutionError';
          throw failure(`${request.candidate.template}: ${error?.message ?? stderrTail.trim()}`, type, true);
        }
        if (code !== 0 || !result) {
          throw failure(`runner exited with ${code ?? 'a signal'}: ${stderrTail.trim().split('\n').slice(-3).join(' | ')}`, 'RunnerCrashed', false);
        }
        let submission: string;
        try {
          submission = collectSubmission(workdir, stepSubmission(deps.artifactsDir, request.workflowId, request.step));
        } catch (err) {
          if (err instanceof ApplicationFailure) throw failure(err.message, err.type ?? 'SolutionError', err.nonRetryable === true);
          throw err;
        }
        const wallSeconds = elapsed();
        return {
          cvScore: result.cvScore,
          cvStd: result.cvStd,
          epochs: result.epochs,
          submission,
          attempts: ctx.info.attempt,
          resumedFromEpoch,
          computeSeconds: priorCompute + wallSeconds,
          wallSeconds,
          cpuSeconds: priorCpu + result.cpuSeconds,
          gpuSeconds: slot.device === '' ? 0 : priorCompute + wallSeconds,
          peakRssMb: Math.max(peakRssMb, result.peakRssMb),
          device: slot.device === '' ? 'cpu' : `cuda:${slot.device}`,
          stopped: result.stopped ?? null,
          ...(request.artifactSteps?.length ? { ensembleKept: ensembleKept(workdir) } : {}),
        };
      } finally {
        clearInterval(ticker);
        clearTimeout(wallTimer);
        ctx.cancellationSignal.removeEventListener('abort', onCancel);
        killProcessGroup(child);
        deps.slots.release(slot);
      }
    },
  };
}
