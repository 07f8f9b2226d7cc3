import { ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import { z } from 'zod';
import type { OrchestratorActivities } from '../activities/index.js';
import type { DistillReport } from '../distill/apply.js';
import { describeIssues } from '../schemas/issues.js';

const DistillInputSchema = z.strictObject({
  /** Trajectory files to distil; left out: every recorded trajectory (the nightly pass). */
  trajectories: z.array(z.string().min(1)).optional(),
  policy: z
    .strictObject({
      promoteDomainAfter: z.number().int().positive().optional(),
      promoteGlobalAfter: z.number().int().positive().optional(),
      validateAfterUses: z.number().int().positive().optional(),
      decayWindow: z.number().int().positive().optional(),
      nearBest: z.number().min(0).max(1).optional(),
    })
    .default({}),
});
export type DistillInput = z.input<typeof DistillInputSchema>;

const activities = proxyActivities<OrchestratorActivities>({
  startToCloseTimeout: '30 minutes',
  // Concurrent distillations can race on a skill's version; a retry re-reads the store and re-applies.
  retry: { maximumAttempts: 10, initialInterval: '1 second', nonRetryableErrorTypes: ['ZodError'] },
});

/**
 * Turns finished episodes into skills: extract, merge by lesson, promote on evidence, resolve
 * conflicts, validate and decay (distill/rules.ts). Idempotent, so it can run after every episode
 * and again nightly over everything.
 */
export async function distillSkills(raw: DistillInput = {}): Promise<DistillReport> {
  const parsed = DistillInputSchema.safeParse(raw);
  if (!parsed.success) throw ApplicationFailure.nonRetryable(`invalid distillSkills input: ${describeIssues(parsed.error)}`, 'InvalidInput');
  const files = await activities.listTrajectories({ files: parsed.data.trajectories });
  return activities.distillTrajectories({ files, policy: parsed.data.policy });
}
