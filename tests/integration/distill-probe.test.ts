import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { startEpisode } from '../../client/episodes.js';
import { openSkillStore } from '../../skill-store/open.js';
import { createSkill } from '../../schemas/skill.js';
import { TASK_QUEUES } from '../../schemas/task-queues.js';
import type { distillSkills } from '../../workflows/distill.js';
import { settleDistillations, withSuiteWorkers } from '../helpers/workers.js';

describe('distillSkills settles a conflict by a probe run on the GPU queue', () => {
  const suite = withSuiteWorkers();

  it('trains both conflicting candidates on a competition of their evidence and sends the worse one back to candidate', async () => {
    // A finished episode on breast-cancer, so the competition is prepared and its trajectory recorded.
    const { handle } = await startEpisode(suite.config, suite.client, {
      competition: 'breast-cancer',
      budget: { maxSteps: 1 },
      skills: false,
      learn: false,
      runTag: `probe-${Date.now()}`,
    });
    const summary = await handle.result();
    const runId = (await handle.describe()).runId;
    // Two active tabular skills recommending different templates, learned on the same competition:
    // rows cannot separate them.
    const skill = (template: string, params: Record<string, number>) =>
      createSkill({
        tier: 'domain',
        scope: { domain: 'tabular' },
        kind: 'recipe',
        title: `tabular: start with ${template}`,
        body: template,
        recipe: { template, params },
        conditions: { taskTypes: ['binary'] },
        status: 'active',
        evidence: [{ competition: 'breast-cancer', runId: `${summary.workflowId}/${runId}`, metric: 'roc_auc', deltaVsBaseline: 0.4, computeSeconds: 3 }],
      });
    const [linear, neighbours] = [skill('logistic_regression', { C: 1 }), skill('knn', { n_neighbors: 3 })];
    // Only these two in the library: an earlier file's distillation, settled first, may have left skills there.
    await settleDistillations(suite.client);
    const store = await openSkillStore(suite.config.skills);
    for (const s of await store.list({})) await store.delete(s.id);
    await store.upsert([linear, neighbours]);
    await store.close();

    try {
      const report = await suite.client.workflow.execute<typeof distillSkills>('distillSkills', {
        taskQueue: TASK_QUEUES.orchestrator,
        workflowId: `haste-distill-probe-${Date.now()}`,
        args: [{ trajectories: [summary.trajectory!] }],
      });
      expect(report.probes).toHaveLength(1);
      const conflict = report.audit.find((a) => a.action === 'conflict')!;
      const m = /^conflicts with (\S+) \((\w+)\); probe on breast-cancer: (\w+) cv ([\d.]+) vs (\w+) cv ([\d.]+); kept \w+ active$/.exec(conflict.reason);
      expect(m, conflict.reason).not.toBeNull();
      const [, winnerId, , loserTemplate, loserCv, winnerTemplate, winnerCv] = m!;
      expect(Number(winnerCv)).toBeGreaterThanOrEqual(Number(loserCv)); // ROC AUC: higher is better
      expect(new Set([loserTemplate, winnerTemplate])).toEqual(new Set(['logistic_regression', 'knn']));

      const after = await openSkillStore(suite.config.skills);
      const [l, n] = [await after.get(linear.id), await after.get(neighbours.id)];
      await after.close();
      const [winner, loser] = winnerId === linear.id ? [l!, n!] : [n!, l!];
      expect(winner.status).toBe('active');
      expect(loser).toMatchObject({ status: 'candidate', statusReason: conflict.reason, version: 2 });
      // Audited in HASTE_HOME, like every change.
      expect(readFileSync(`${suite.config.home}/skills-audit.jsonl`, 'utf8')).toContain(conflict.reason);
    } finally {
      // The suite's home is shared: leave the library empty, as other tests expect it.
      const cleanup = await openSkillStore(suite.config.skills);
      for (const s of await cleanup.list({})) await cleanup.delete(s.id);
      await cleanup.close();
    }
  });
});
