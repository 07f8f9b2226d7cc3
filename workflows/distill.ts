import { ApplicationFailure, isCancellation, proxyActivities, workflowInfo } from '@temporalio/workflow';
import { z } from 'zod';
import type { GpuActivities, OrchestratorActivities } from '../activities/index.js';
import type { DistillReport } from '../distill/apply.js';
import { describeIssues } from '../schemas/issues.js';
import { CONTROL_HEARTBEAT, TASK_QUEUES } from '../schemas/task-queues.js';

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
  heartbeatTimeout: CONTROL_HEARTBEAT.timeout,
  // Concurrent distillations can race on a skill's version; a retry re-reads the store and re-applies.
  retry: { maximumAttempts: 10, initialInterval: '1 second', nonRetryableErrorTypes: ['ZodError'] },
});

// Probe runs: the two conflicting candidates on one small competition, on the GPU queue like any training.
const gpu = proxyActivities<GpuActivities>({
  taskQueue: TASK_QUEUES.gpu,
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '30 seconds',
  retry: { maximumAttempts: 5, initialInterval: '1 second', nonRetryableErrorTypes: ['SolutionError'] },
});

/** Folds of a probe run: cheap, since it only has to order two candidates. */
const PROBE_FOLDS = 3;

/**
 * Turns finished episodes into skills: extract, merge by lesson, promote on evidence, resolve
 * conflicts, validate and decay (distill/rules.ts). Conflicts that rows cannot separate are settled
 * by a probe: both candidates trained on one competition of their evidence, the worse skill back to
 * candidate. Idempotent, so it can run after every episode and again nightly over everything.
 */
export async function distillSkills(raw: DistillInput = {}): Promise<DistillReport> {
  const parsed = DistillInputSchema.safeParse(raw);
  if (!parsed.success) throw ApplicationFailure.nonRetryable(`invalid distillSkills input: ${describeIssues(parsed.error)}`, 'InvalidInput');
  const files = await activities.listTrajectories({ files: parsed.data.trajectories });
  const report = await activities.distillTrajectories({ files, policy: parsed.data.policy, probeConflicts: true });
  const { workflowId, runId } = workflowInfo();
  for (const [i, probe] of report.probes.entries()) {
    const scores = await Promise.all(
      probe.candidates.map(async (candidate, j) => {
        try {
          const request = {
            workflowId: `${workflowId}-${runId}-probe`,
            step: 2 * i + j,
            competitionDir: probe.target.dir,
            candidate,
            seed: 0,
            folds: PROBE_FOLDS,
            checkpointEvery: 1,
          };
          return (await gpu.trainCandidate(request)).cvScore;
        } catch (err) {
          if (isCancellation(err)) throw err;
          return null; // a candidate that cannot train loses the probe
        }
      }),
    );
    report.audit.push(...(await activities.settleConflict({ probe, scores: [scores[0]!, scores[1]!] })));
  }
  return report;
}
