import { ApplicationFailure, ChildWorkflowFailure, executeChild, ParentClosePolicy, workflowInfo } from '@temporalio/workflow';
import { describeIssues, rootCauseMessage } from '../schemas/issues.js';
import { SweepInputSchema, sweepChildId, type SweepEntry, type SweepInput, type SweepSummary } from '../schemas/sweep.js';
import { competitionEpisode } from './episode.js';

/**
 * A list of competitions as child episodes, at most `concurrency` at a time (a sliding window),
 * e.g. started nightly by a Temporal Schedule. A failed episode is reported, not fatal to the sweep.
 */
export async function sweep(raw: SweepInput): Promise<SweepSummary> {
  const parsed = SweepInputSchema.safeParse(raw);
  if (!parsed.success) throw ApplicationFailure.nonRetryable(`invalid sweep input: ${describeIssues(parsed.error)}`, 'InvalidInput');
  const input = parsed.data;
  const { workflowId } = workflowInfo();
  const entries: SweepEntry[] = [];
  const queue = [...input.competitions];

  const runOne = async (competition: string): Promise<void> => {
    const childId = sweepChildId(workflowId, competition);
    try {
      const summary = await executeChild(competitionEpisode, {
        workflowId: childId,
        args: [{ ...input.episode, competition, runTag: 'sweep' }],
        // Cancelling the sweep cancels its episodes; they are part of it.
        parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
      });
      entries.push({
        competition,
        workflowId: childId,
        status: 'completed',
        finalScore: summary.finalScore,
        baselineScore: summary.baselineScore,
        computeSeconds: summary.computeSeconds,
        steps: summary.steps,
      });
    } catch (err) {
      if (!(err instanceof ChildWorkflowFailure)) throw err;
      entries.push({ competition, workflowId: childId, status: 'failed', error: rootCauseMessage(err), finalScore: null, baselineScore: null, computeSeconds: 0, steps: 0 });
    }
  };
  const lane = async (): Promise<void> => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) await runOne(next);
  };
  await Promise.all(Array.from({ length: Math.min(input.concurrency, input.competitions.length) }, lane));

  const order = new Map(input.competitions.map((c, i) => [c, i]));
  entries.sort((a, b) => order.get(a.competition)! - order.get(b.competition)!);
  return {
    workflowId,
    entries,
    completed: entries.filter((e) => e.status === 'completed').length,
    failed: entries.filter((e) => e.status === 'failed').length,
    computeSeconds: entries.reduce((s, e) => s + e.computeSeconds, 0),
  };
}
