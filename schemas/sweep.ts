import { z } from 'zod';
import { EpisodeInputSchema } from './episode.js';

/** Episode settings shared by every competition of a sweep (everything but the competition itself). */
export const SweepEpisodeSettingsSchema = EpisodeInputSchema.omit({ competition: true, runTag: true });

export const SweepInputSchema = z.strictObject({
  competitions: z
    .array(z.string().min(1))
    .min(1, 'list at least one competition')
    .refine((list) => new Set(list).size === list.length, 'each competition at most once'),
  /** Episodes running at once: a sliding window, the next starts as soon as one finishes. */
  concurrency: z.number().int().positive().default(2),
  episode: SweepEpisodeSettingsSchema.default(SweepEpisodeSettingsSchema.parse({})),
});
export type SweepInput = z.input<typeof SweepInputSchema>;

export interface SweepEntry {
  competition: string;
  workflowId: string;
  status: 'completed' | 'failed';
  error?: string;
  finalScore: number | null;
  baselineScore: number | null;
  computeSeconds: number;
  steps: number;
}

export interface SweepSummary {
  workflowId: string;
  entries: SweepEntry[];
  completed: number;
  failed: number;
  computeSeconds: number;
}

/** A child episode's id within a sweep: deterministic, so a replayed or retried sweep never starts twins. */
export function sweepChildId(sweepWorkflowId: string, competition: string): string {
  const name = competition
    .replace(/\/+$/, '')
    .split('/')
    .pop()!
    .replace(/[^A-Za-z0-9._-]/g, '_');
  return `${sweepWorkflowId}--${name}`;
}
