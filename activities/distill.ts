import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { distill, readTrajectory, type DistillReport } from '../distill/apply.js';
import type { DistillPolicy } from '../distill/rules.js';
import type { HasteConfig } from '../infra/config.js';
import type { SkillStore } from '../skill-store/store.js';

/** Every recorded trajectory under HASTE_HOME/runs. */
export function trajectoryFiles(runsDir: string): string[] {
  if (!existsSync(runsDir)) return [];
  return readdirSync(runsDir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) => readdirSync(path.join(runsDir, d.name)).filter((f) => f.endsWith('.json')).map((f) => path.join(runsDir, d.name, f)))
    .sort();
}

export function createDistillActivities(config: HasteConfig, openStore: () => Promise<SkillStore>) {
  return {
    /** The trajectories to distil: the given ones, or all recorded ones (the nightly pass). */
    async listTrajectories(input: { files?: string[] }): Promise<string[]> {
      return input.files ?? trajectoryFiles(config.runsDir);
    },
    /** One idempotent distillation pass (distill/apply.ts) over those trajectories. */
    async distillTrajectories(input: { files: string[]; policy?: Partial<DistillPolicy> }): Promise<DistillReport> {
      // Row counts of every competition seen, for narrowing conflicting skills apart.
      const rows = new Map<string, number>();
      for (const file of trajectoryFiles(config.runsDir)) {
        try {
          const t = readTrajectory(file);
          rows.set(t.state.competition.id, t.state.competition.traits.rows);
        } catch {
          // an older or foreign file: not distillable, not a reason to fail
        }
      }
      const trajectories = input.files.map(readTrajectory);
      const store = await openStore();
      try {
        return await distill(store, trajectories, { policy: input.policy, rowsOf: (c) => rows.get(c), auditFile: path.join(config.home, 'skills-audit.jsonl') });
      } finally {
        await store.close();
      }
    },
  };
}
