import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { startEpisode } from '../../client/episodes.js';
import { devServerStatus, startDevServer, stopDevServer } from '../../infra/dev-server.js';
import { statusQuery, type competitionEpisode } from '../../workflows/episode.js';
import { discardEphemeral, ephemeralConfig } from '../../infra/ephemeral.js';
import { startWorkers, testClient, waitUntil } from '../helpers/workers.js';

describe('a dev server of its own', () => {
  it('stopped and restarted mid-episode: the episode completes from its SQLite file', async () => {
    const config = await ephemeralConfig('restart');
    const first = await startDevServer(config);
    expect((await startDevServer(config)).pid).toBe(first.pid); // idempotent: the running server is reused
    expect(first).toMatchObject({ healthy: true, managed: true, missingSearchAttributes: [] });
    const workers = await startWorkers(config);
    let client = await testClient(config);
    try {
      const { handle } = await startEpisode(config, client, { competition: 'breast-cancer', budget: { maxSteps: 3 }, stopAtTarget: false, runTag: 'restart' });
      await waitUntil(async () => (await handle.query(statusQuery)).steps >= 1, 120_000, 'the first step');
      await client.connection.close();

      expect(await stopDevServer(config)).toBe(true);
      expect((await devServerStatus(config)).healthy).toBe(false);
      await sleep(2000);
      await startDevServer(config);

      client = await testClient(config);
      const summary = await client.workflow.getHandle<typeof competitionEpisode>(handle.workflowId).result();
      expect(summary.ledger.map((s) => s.step)).toEqual([0, 1, 2]);
      expect(summary.finalScore!).toBeGreaterThan(summary.baselineScore!);
    } finally {
      await workers.stop();
      await client.connection.close();
      await discardEphemeral(config);
    }
  });

  it('continues as new when the server suggests it, carrying every step', async () => {
    const config = await ephemeralConfig('can');
    // The server suggests continue-as-new after 40 history events instead of thousands.
    await startDevServer(config, { dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': 40 } });
    const workers = await startWorkers(config);
    const client = await testClient(config);
    try {
      const { handle } = await startEpisode(config, client, {
        competition: 'breast-cancer',
        budget: { maxSteps: 5 },
        stopAtTarget: false,
        runTag: 'can',
        initialCandidates: [
          { template: 'logistic_regression', params: { C: 0.01 } },
          { template: 'logistic_regression', params: { C: 0.1 } },
          { template: 'knn', params: { n_neighbors: 5 } },
          { template: 'knn', params: { n_neighbors: 25 } },
          { template: 'logistic_regression', params: { C: 1 } },
        ],
      });
      const summary = await handle.result();
      expect(summary.continuedAsNew).toBeGreaterThanOrEqual(1);
      expect(summary.ledger.map((s) => s.step)).toEqual([0, 1, 2, 3, 4]);
      expect(summary.ledger.map((s) => s.candidate.template)).toEqual(['logistic_regression', 'logistic_regression', 'knn', 'knn', 'logistic_regression']);
      const best = Math.max(...summary.ledger.map((s) => s.cvScore!));
      expect(summary.bestCvScore).toBe(best);
      const runs = [];
      for await (const w of client.workflow.list({ query: `WorkflowId = "${handle.workflowId}"` })) runs.push(w.runId);
      expect(runs.length).toBe(summary.continuedAsNew + 1);
    } finally {
      await workers.stop();
      await client.connection.close();
      await discardEphemeral(config);
    }
  });
});
