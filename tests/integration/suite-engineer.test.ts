import { describe, expect, it } from 'vitest';
import { atLeast, runSuite } from '../../bench/suite.js';
import { withSuiteWorkers } from '../helpers/workers.js';

describe('the offline engineer over the suite (one competition per domain; the full table is `npm run bench:suite`)', () => {
  const suite = withSuiteWorkers();

  it('beats the naive baseline on tabular, vision, text and time-series competitions', async () => {
    const rows = await runSuite(suite.config, suite.client, ['wine', 'digits', 'fortune-topics', 'co2-monthly'], { budgetSeconds: 10, references: ['naive'] });
    expect(rows.map((r) => r.domain)).toEqual(['tabular', 'vision', 'text', 'time-series']);
    for (const r of rows) {
      expect(r.engineer, r.competition).not.toBeNull();
      expect(atLeast(r.engineer, r.naive, r.direction) && r.engineer !== r.naive, `${r.competition}: engineer ${r.engineer} vs naive ${r.naive}`).toBe(true);
      expect(r.steps).toBeGreaterThanOrEqual(1);
    }
  }, 600_000);
});
