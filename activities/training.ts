import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import { killProcessGroup, parseJsonLine, RUNNER_USER_ERROR_EXIT, spawnRunner } from '../infra/python.js';
import type { SlotPool } from '../infra/gpu-slots.js';
import {
  RunnerLineSchema,
  TrainHeartbeatSchema,
  type RunnerLine,
  type TrainHeartbeat,
  type TrainRequest,
  type TrainResult,
} from '../schemas/training.js';

export interface TrainingDeps {
  python: string;
  artifactsDir: string;
  slots: SlotPool;
  /** How often to heartbeat when the runner prints nothing (long epochs). */
  heartbeatEveryMs?: number;
}

/** Where a step's checkpoints, job file and submission live; shared by every attempt. */
export function stepWorkdir(artifactsDir: string, workflowId: string, step: number): string {
  return path.join(artifactsDir, workflowId.replace(/[^A-Za-z0-9._-]/g, '_'), `step-${String(step).padStart(3, '0')}`);
}

export function createTrainingActivities(deps: TrainingDeps) {
  return {
    /**
     * Trains one candidate in the Python runner. Heartbeats {epoch, checkpoint, compute}; a retried
     * attempt resumes from the checkpoint in the last heartbeat. Bad solutions fail non-retryably.
     */
    async trainCandidate(request: TrainRequest): Promise<TrainResult> {
      const ctx = Context.current();
      const previous = ctx.info.heartbeatDetails === undefined ? undefined : TrainHeartbeatSchema.parse(ctx.info.heartbeatDetails);
      const priorCompute = previous?.computeSeconds ?? 0;
      const priorCpu = previous?.cpuSeconds ?? 0;
      // A checkpoint the runner has since pruned cannot be resumed: start over rather than fail every retry.
      const resumeFrom = previous?.checkpoint && existsSync(previous.checkpoint) ? previous.checkpoint : null;
      const workdir = stepWorkdir(deps.artifactsDir, request.workflowId, request.step);
      mkdirSync(workdir, { recursive: true });
      const jobFile = path.join(workdir, `job-attempt-${ctx.info.attempt}.json`);
      writeFileSync(
        jobFile,
        JSON.stringify({
          competitionDir: request.competitionDir,
          template: request.candidate.template,
          params: request.candidate.params,
          seed: request.seed,
          folds: request.folds,
          workdir,
          resumeFrom,
          checkpointEvery: request.checkpointEvery,
          attempt: ctx.info.attempt,
        }),
      );

      const slot = await deps.slots.acquire();
      const started = performance.now();
      const child = spawnRunner(deps.python, 'train', ['--job', jobFile], { env: { CUDA_VISIBLE_DEVICES: slot.device } });
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
            heartbeat();
          } else if (msg.event === 'result') result = msg;
          else error = msg;
        }
        const code = await exited;
        if (ctx.cancellationSignal.aborted) throw new CancelledFailure('training cancelled; runner process group killed');
        if (code === RUNNER_USER_ERROR_EXIT) {
          throw ApplicationFailure.nonRetryable(`${request.candidate.template}: ${error?.message ?? stderrTail.trim()}`, 'SolutionError');
        }
        if (code !== 0 || !result) {
          throw ApplicationFailure.retryable(`runner exited with ${code ?? 'a signal'}: ${stderrTail.trim().split('\n').slice(-3).join(' | ')}`, 'RunnerCrashed');
        }
        const wallSeconds = elapsed();
        return {
          cvScore: result.cvScore,
          cvStd: result.cvStd,
          epochs: result.epochs,
          submission: result.submission,
          attempts: ctx.info.attempt,
          resumedFromEpoch,
          computeSeconds: priorCompute + wallSeconds,
          wallSeconds,
          cpuSeconds: priorCpu + result.cpuSeconds,
          gpuSeconds: slot.device === '' ? 0 : priorCompute + wallSeconds,
          peakRssMb: Math.max(peakRssMb, result.peakRssMb),
          device: slot.device === '' ? 'cpu' : `cuda:${slot.device}`,
        };
      } finally {
        clearInterval(ticker);
        ctx.cancellationSignal.removeEventListener('abort', onCancel);
        killProcessGroup(child);
        deps.slots.release(slot);
      }
    },
  };
}
