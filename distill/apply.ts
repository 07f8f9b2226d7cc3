import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { eachSkill, type SkillStore } from '../skill-store/store.js';
import type { SkillRecord } from '../schemas/skill.js';
import {
  DEFAULT_POLICY,
  lessonKey,
  mergeEvidence,
  promotions,
  resolveConflicts,
  review,
  settleProbe,
  taskSkillFrom,
  type AuditEntry,
  type ConflictProbe,
  type DistillPolicy,
  type ProbeTarget,
} from './rules.js';
import { techniqueSkillsFrom } from './techniques.js';
import { TrajectorySchema, type Trajectory } from './trajectory.js';

export function readTrajectory(file: string): Trajectory {
  return TrajectorySchema.parse(JSON.parse(readFileSync(file, 'utf8')));
}

async function allSkills(store: SkillStore): Promise<SkillRecord[]> {
  const out: SkillRecord[] = [];
  for await (const skill of eachSkill(store)) out.push(skill);
  return out;
}

/** Writes new skills, or merges their evidence into the stored skill of the same lesson. */
async function upsertByLesson(store: SkillStore, incoming: SkillRecord[], audit: AuditEntry[], action: 'created' | 'promoted'): Promise<void> {
  const stored = new Map((await allSkills(store)).map((s) => [lessonKey(s), s]));
  const writes: SkillRecord[] = [];
  for (const skill of incoming) {
    const existing = stored.get(lessonKey(skill));
    const runs = skill.evidence.map((e) => e.runId);
    if (!existing) {
      writes.push(skill);
      audit.push({ action, skillId: skill.id, title: skill.title, reason: action === 'created' ? 'extracted from an episode' : skill.body, runs });
      continue;
    }
    const merged = mergeEvidence(existing, skill);
    if (!merged) continue;
    const updated = action === 'promoted' ? { ...merged, recipe: skill.recipe, conditions: skill.conditions, body: skill.body, description: skill.description } : merged;
    writes.push(updated);
    audit.push({ action: 'merged', skillId: existing.id, title: existing.title, reason: `evidence from ${merged.evidence.length - existing.evidence.length} more run(s)`, runs });
  }
  if (writes.length) await store.upsert(writes);
}

export interface DistillReport {
  audit: AuditEntry[];
  skills: number;
  /** Conflicts left for a probe run (only when the caller can run probes). */
  probes: ConflictProbe[];
}

function appendAudit(auditFile: string | undefined, audit: AuditEntry[], now: Date): void {
  if (!auditFile || audit.length === 0) return;
  mkdirSync(path.dirname(auditFile), { recursive: true });
  appendFileSync(auditFile, audit.map((a) => JSON.stringify({ at: now.toISOString(), ...a })).join('\n') + '\n');
}

/**
 * One distillation pass over finished episodes: extract task skills and technique observations (from
 * the engineer's measured deltas), merge them by lesson, promote on
 * evidence, resolve conflicts, then validate and decay. Idempotent: the same trajectories again
 * change nothing. Every change is appended to HASTE_HOME/skills-audit.jsonl.
 */
export async function distill(
  store: SkillStore,
  trajectories: Trajectory[],
  options: {
    policy?: Partial<DistillPolicy>;
    rowsOf: (competition: string) => number | undefined;
    /** Where a conflict could be probed; left out, conflicts rows cannot separate are settled by mean delta. */
    probeOn?: (competitions: string[]) => ProbeTarget | undefined;
    auditFile?: string;
    now?: Date;
  },
): Promise<DistillReport> {
  const policy = { ...DEFAULT_POLICY, ...options.policy };
  const now = options.now ?? new Date();
  const audit: AuditEntry[] = [];
  await upsertByLesson(
    store,
    trajectories.flatMap((t) => [...[taskSkillFrom(t, now)].filter((s) => s !== null), ...techniqueSkillsFrom(t, now)]),
    audit,
    'created',
  );
  await upsertByLesson(store, promotions(await allSkills(store), policy, now), audit, 'promoted');
  const probes: ConflictProbe[] = [];
  for (const step of [(s: SkillRecord[]) => resolveConflicts(s, options.rowsOf, options.probeOn), (s: SkillRecord[]) => review(s, policy)]) {
    const change = step(await allSkills(store));
    if (change.write.length) await store.upsert(change.write);
    audit.push(...change.audit);
    probes.push(...(change.probes ?? []));
  }
  appendAudit(options.auditFile, audit, now);
  return { audit, skills: (await allSkills(store)).length, probes };
}

/** Applies a probe's scores: the worse skill goes back to candidate (see settleProbe), audited. */
export async function settleConflict(
  store: SkillStore,
  probe: ConflictProbe,
  scores: [number | null, number | null],
  options: { auditFile?: string; now?: Date } = {},
): Promise<AuditEntry[]> {
  const change = settleProbe(probe, [await store.get(probe.skills[0]), await store.get(probe.skills[1])], scores);
  if (change.write.length) await store.upsert(change.write);
  appendAudit(options.auditFile, change.audit, options.now ?? new Date());
  return change.audit;
}
