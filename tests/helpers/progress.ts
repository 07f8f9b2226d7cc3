import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

export interface ProgressRecord {
  event: string;
  attempt: number;
  epoch?: number;
  resumedFromEpoch?: number;
  checkpointEpoch?: number;
}

/** What the runner appended to the step's progress.jsonl: the ground truth of what each attempt did. */
export function readProgress(workdir: string): ProgressRecord[] {
  const file = path.join(workdir, 'progress.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim().startsWith('{'))
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as ProgressRecord];
      } catch {
        return []; // a line cut by the kill
      }
    });
}

export function lastEpochOfAttempt(records: ProgressRecord[], attempt: number): number {
  return Math.max(0, ...records.filter((r) => r.attempt === attempt && r.event === 'progress').map((r) => r.epoch ?? 0));
}

/** The newest checkpoint epoch an attempt logged (its progress lines name each one written). */
export function newestLoggedCheckpoint(records: ProgressRecord[], attempt: number): number {
  return Math.max(0, ...records.filter((r) => r.attempt === attempt && r.event === 'progress').map((r) => r.checkpointEpoch ?? 0));
}

/** The newest `checkpoints/epoch-<e>.pkl` in a step's workdir (0: none). */
export function newestCheckpointOnDisk(workdir: string): number {
  const dir = path.join(workdir, 'checkpoints');
  if (!existsSync(dir)) return 0;
  return Math.max(0, ...readdirSync(dir).flatMap((f) => /^epoch-(\d+)\.pkl$/.exec(f)?.slice(1).map(Number) ?? []));
}

/** PIDs of live processes whose command line mentions the given text (e.g. a job file). */
export function processesMentioning(text: string): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
      } catch {
        return false;
      }
    })
    .map(Number);
}
