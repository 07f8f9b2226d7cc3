import type { Client } from '@temporalio/client';
import { loadCompetitionSpec, isFolderReference } from '../infra/competitions.js';
import type { HasteConfig } from '../infra/config.js';
import { describeIssues } from '../schemas/issues.js';
import { SweepInputSchema, type SweepInput } from '../schemas/sweep.js';
import { UsageError } from './errors.js';

/** Validates a sweep before it reaches Temporal: the input's shape and that every competition resolves. */
export async function validateSweep(config: HasteConfig, raw: SweepInput): Promise<SweepInput> {
  const parsed = SweepInputSchema.safeParse(raw);
  if (!parsed.success) throw new UsageError(`invalid sweep: ${describeIssues(parsed.error)}`);
  const competitions: string[] = [];
  for (const ref of parsed.data.competitions) {
    const spec = await loadCompetitionSpec(config, ref);
    competitions.push(isFolderReference(ref) ? spec.dir : spec.id);
  }
  return { ...parsed.data, competitions };
}

export function sweepWorkflowId(tag: string): string {
  return `haste-sweep-${tag}`;
}

export function scheduleId(name: string): string {
  return `haste-sweep-${name}`;
}

export async function listSchedules(client: Client): Promise<{ id: string; cron: string[]; paused: boolean; recentRuns: number }[]> {
  const out = [];
  for await (const s of client.schedule.list()) {
    if (!s.scheduleId.startsWith('haste-sweep-')) continue;
    out.push({ id: s.scheduleId, cron: s.spec?.calendars?.map((c) => c.comment ?? JSON.stringify(c)) ?? [], paused: s.state.paused, recentRuns: s.info.recentActions.length });
  }
  return out;
}
