import { describe, expect, it } from 'vitest';
import { scheduleId, sweepWorkflowId, validateSweep } from '../../cli/sweeps.js';
import { TASK_QUEUES } from '../../schemas/task-queues.js';
import { sweepChildId } from '../../schemas/sweep.js';
import type { sweep } from '../../workflows/sweep.js';
import { withSuiteWorkers, waitUntil } from '../helpers/workers.js';

const QUICK = { budget: { maxSteps: 1 }, initialCandidates: [{ template: 'logistic_regression', params: { C: 1 } }] };

describe('sweep', () => {
  const suite = withSuiteWorkers({ gpuSlots: 2 });

  it('runs every competition as a child episode, never more than `concurrency` at once', async () => {
    const tag = `test-${Date.now()}`;
    const input = await validateSweep(suite.config, { competitions: ['breast-cancer', 'wine', 'kr-vs-kp'], concurrency: 2, episode: QUICK });
    const handle = await suite.client.workflow.start<typeof sweep>('sweep', { taskQueue: TASK_QUEUES.orchestrator, workflowId: sweepWorkflowId(tag), args: [input] });
    const summary = await handle.result();
    expect(summary.entries.map((e) => [e.competition, e.status])).toEqual([
      ['breast-cancer', 'completed'],
      ['wine', 'completed'],
      ['kr-vs-kp', 'completed'],
    ]);
    for (const e of summary.entries) {
      expect(e.workflowId).toBe(sweepChildId(handle.workflowId, e.competition));
      expect(e.finalScore!).toBeGreaterThan(e.baselineScore!);
    }
    // Replay the parent's history: children started and closed; at most 2 open at any point.
    let open = 0;
    let peak = 0;
    for (const e of (await handle.fetchHistory()).events!) {
      if (e.startChildWorkflowExecutionInitiatedEventAttributes) peak = Math.max(peak, ++open);
      if (e.childWorkflowExecutionCompletedEventAttributes || e.childWorkflowExecutionFailedEventAttributes) open--;
    }
    expect(peak).toBe(2);
  });

  it('reports a failing competition without failing the sweep, and rejects duplicates up front', async () => {
    await expect(validateSweep(suite.config, { competitions: ['wine', 'wine'] })).rejects.toThrow(/competitions: each competition at most once/);
    const handle = await suite.client.workflow.start<typeof sweep>('sweep', {
      taskQueue: TASK_QUEUES.orchestrator,
      workflowId: sweepWorkflowId(`failing-${Date.now()}`),
      args: [{ competitions: ['wine', 'no-such-competition'], concurrency: 2, episode: QUICK }],
    });
    const summary = await handle.result();
    expect(summary.completed).toBe(1);
    expect(summary.entries[1]).toMatchObject({ competition: 'no-such-competition', status: 'failed' });
    expect(summary.entries[1]!.error).toMatch(/unknown competition/);
  });

  it('a Temporal Schedule starts the sweep (triggered now instead of waiting for its cron time)', async () => {
    const name = `nightly-${Date.now()}`;
    const input = await validateSweep(suite.config, { competitions: ['wine'], concurrency: 1, episode: QUICK });
    const schedule = await suite.client.schedule.create({
      scheduleId: scheduleId(name),
      spec: { cronExpressions: ['0 2 * * *'] },
      action: { type: 'startWorkflow', workflowType: 'sweep', taskQueue: TASK_QUEUES.orchestrator, workflowId: sweepWorkflowId(name), args: [input] },
    });
    try {
      await schedule.trigger();
      const started = await waitUntil(async () => (await schedule.describe()).info.recentActions[0]?.action.workflow.workflowId, 30_000, 'the schedule to start a sweep');
      const summary = await suite.client.workflow.getHandle<typeof sweep>(started).result();
      expect(summary.entries).toMatchObject([{ competition: 'wine', status: 'completed' }]);
      expect(started.startsWith(sweepWorkflowId(name))).toBe(true);
    } finally {
      await schedule.delete();
    }
  });
});
