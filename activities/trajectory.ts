import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { EpisodeState } from '../schemas/episode.js';

export function createTrajectoryActivities(runsDir: string) {
  return {
    /** Writes the episode's trajectory (every step, its candidate and outcome) for distillation; idempotent per run. */
    async recordTrajectory(input: { workflowId: string; runId: string; state: EpisodeState; finalScore: number | null; baselineScore: number | null }): Promise<string> {
      const dir = path.join(runsDir, input.workflowId.replace(/[^A-Za-z0-9._-]/g, '_'));
      mkdirSync(dir, { recursive: true });
      const file = path.join(dir, `${input.runId}.json`);
      const tmp = `${file}.tmp`;
      writeFileSync(tmp, JSON.stringify({ ...input, recordedAt: new Date().toISOString() }, null, 2));
      renameSync(tmp, file);
      return file;
    },
  };
}
