import { describe, expect, it } from 'vitest';
import { atLeast, runSuite } from '../../bench/suite.js';
import { withSuiteWorkers } from '../helpers/workers.js';

describe('the offline engineer over the suite (one competition per domain; the full table is `npm run bench:suite`)', () => {
  const suite = withSuiteWorkers();

  it('beats the naive baseline on tabular, vision, text and time-series competitions', async () => {
    // 30 s each: enough for a second step on a loaded machine (series screen the naive forecast first, and at
    // 10 s a clean-clone run at load 5 spent co2-monthly's budget on it, so the engineer equalled the baseline).
    const rows = await runSuite(suite.config, suite.client, ['wine', 'digits', 'fortune-topics', 'co2-monthly'], { budgetSeconds: 30, references: ['naive'] });
    expect(rows.map((r) => r.domain)).toEqual(['tabular', 'vision', 'text', 'time-series']);
    for (const r of rows) {
      expect(r.engineer, r.competition).not.toBeNull();
      expect(atLeast(r.engineer, r.naive, r.direction) && r.engineer !== r.naive, `${r.competition}: engineer ${r.engineer} vs naive ${r.naive}`).toBe(true);
      expect(r.steps).toBeGreaterThanOrEqual(1);
    }
  }, 600_000);
});
