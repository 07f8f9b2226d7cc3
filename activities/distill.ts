import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { distill, readTrajectory, settleConflict, type DistillReport } from '../distill/apply.js';
import type { AuditEntry, ConflictProbe, DistillPolicy, ProbeTarget } from '../distill/rules.js';
import type { HasteConfig } from '../infra/config.js';
import type { SkillStore } from '../skill-store/store.js';

/** Every recorded trajectory under HASTE_HOME/runs. */
export function trajectoryFiles(runsDir: string): string[] {
  if (!existsSync(runsDir)) return [];
  return readdirSync(runsDir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) =>
      readdirSync(path.join(runsDir, d.name))
        .filter((f) => f.endsWith('.json'))
        .map((f) => path.join(runsDir, d.name, f)),
    )
    .sort();
}

export function createDistillActivities(config: HasteConfig, openStore: () => Promise<SkillStore>) {
  const auditFile = path.join(config.home, 'skills-audit.jsonl');
  return {
    /** The trajectories to distil: the given ones, or all recorded ones (the nightly pass). */
    async listTrajectories(input: { files?: string[] }): Promise<string[]> {
      return input.files ?? trajectoryFiles(config.runsDir);
    },
    /**
     * One idempotent distillation pass (distill/apply.ts) over those trajectories. With probeConflicts,
     * conflicts rows cannot separate come back as probes on the smallest competition of their evidence
     * still prepared on this machine, for the workflow to run on the GPU queue.
     */
    async distillTrajectories(input: { files: string[]; policy?: Partial<DistillPolicy>; probeConflicts?: boolean }): Promise<DistillReport> {
      // Every competition seen: rows for narrowing conflicting skills apart, where it lives for probes.
      const seen = new Map<string, ProbeTarget & { rows: number }>();
      for (const file of trajectoryFiles(config.runsDir)) {
        try {
          const { id, traits, dir, direction } = readTrajectory(file).state.competition;
          seen.set(id, { competition: id, rows: traits.rows, dir, direction });
        } catch {
          // an older or foreign file: not distillable, not a reason to fail
        }
      }
      const probeOn = (competitions: string[]): ProbeTarget | undefined => {
        const [smallest] = competitions
          .flatMap((c) => seen.get(c) ?? [])
          .filter((t) => existsSync(t.dir))
          .sort((a, b) => a.rows - b.rows);
        return smallest && { competition: smallest.competition, dir: smallest.dir, direction: smallest.direction };
      };
      const trajectories = input.files.map(readTrajectory);
      const store = await openStore();
      try {
        return await distill(store, trajectories, {
          policy: { promoteDomainAfter: config.distill.promoteDomainAfter, ...input.policy },
          rowsOf: (c) => seen.get(c)?.rows,
          probeOn: input.probeConflicts ? probeOn : undefined,
          auditFile,
        });
      } finally {
        await store.close();
      }
    },

    /** Settles a probed conflict with the probe's cross-validated scores (null: that run failed). */
    async settleConflict(input: { probe: ConflictProbe; scores: [number | null, number | null] }): Promise<AuditEntry[]> {
      const store = await openStore();
      try {
        return await settleConflict(store, input.probe, input.scores, { auditFile });
      } finally {
        await store.close();
      }
    },
  };
}
