import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEpisode } from '../../cli/client.js';
import type { HasteConfig } from '../../infra/config.js';
import { openSkillStore } from '../../skill-store/open.js';
import { labelledSkills } from '../helpers/skills.js';
import { startWorkers, suiteConfig, testClient, type InProcessWorkers } from '../helpers/workers.js';

describe('competitionEpisode with skills in the store', () => {
  let config: HasteConfig;
  let client: Client;
  let workers: InProcessWorkers;
  const skills = labelledSkills();
  const id = (prefix: string) => skills.find((s) => s.title.startsWith(prefix))!.id;

  beforeAll(async () => {
    config = suiteConfig();
    const store = await openSkillStore(config.skills);
    await store.upsert(skills);
    await store.close();
    client = await testClient(config);
    workers = await startWorkers(config);
  });
  afterAll(async () => {
    await workers?.stop();
    await client?.connection.close();
    // The suite's home is shared: leave the library as other tests expect it (empty).
    const store = await openSkillStore(config.skills);
    for (const s of skills) await store.delete(s.id);
    await store.close();
  });

  it('records on every step the tiered skills that shaped it', async () => {
    const { handle } = await startEpisode(config, client, { competition: 'breast-cancer', budget: { maxSteps: 2 }, runTag: `skills-${Date.now()}` });
    const summary = await handle.result();
    expect(summary.ledger.length).toBeGreaterThanOrEqual(1);
    for (const step of summary.ledger) {
      expect(step.skillIds).toEqual(expect.arrayContaining([id('Early stopping'), id('Gradient boosting'), id('breast-cancer: logistic')]));
      // Wrong domain, wrong competition, wrong task type, or not yet validated: never loaded.
      for (const absent of ['Augment', 'titanic:', 'Ridge', 'breast-cancer: k nearest']) expect(step.skillIds).not.toContain(id(absent));
    }
  });

  it('a cold start (skills: false) records no skills', async () => {
    const { handle } = await startEpisode(config, client, { competition: 'breast-cancer', budget: { maxSteps: 1 }, skills: false, runTag: `cold-${Date.now()}` });
    const summary = await handle.result();
    expect(summary.ledger.every((s) => s.skillIds?.length === 0)).toBe(true);
  });
});
