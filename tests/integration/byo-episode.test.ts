import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startEpisode } from '../../client/episodes.js';
import { PROJECT_ROOT } from '../../infra/config.js';
import { pythonEnv } from '../../infra/python.js';
import { withSuiteWorkers } from '../helpers/workers.js';

/** A bring-your-own folder as the data comes (runner/tests/byo_folders.py), through a whole real episode. */
describe('bring-your-own data in a real episode', () => {
  const suite = withSuiteWorkers();

  it('forecasts series kept under their own column names (station, week, ppm) and beats the naive forecast', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'haste-byo-episode-'));
    const dir = execFileSync(suite.config.python, [path.join(PROJECT_ROOT, 'runner', 'tests', 'byo_folders.py'), 'forecasting', path.join(root, 'co2-weekly')], {
      cwd: PROJECT_ROOT,
      env: pythonEnv(),
      encoding: 'utf8',
    }).trim();
    const { handle } = await startEpisode(suite.config, suite.client, { competition: dir, budget: { maxSteps: 2 }, stopAtTarget: false, runTag: `byo-${Date.now()}` });
    const summary = await handle.result();

    expect(summary.competitionId).toBe('co2-weekly');
    expect(summary.steps).toBe(2);
    for (const step of summary.ledger) expect(step.status).toBe('ok');
    expect(summary.baselineScore).not.toBeNull();
    expect(summary.finalScore!).toBeLessThan(summary.baselineScore!); // MAE: lower is better
  });
});
