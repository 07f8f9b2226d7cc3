/**
 * Workflow history size of one long episode: events and bytes of its history (what every replay and
 * every worker that picks the episode up has to load), and the largest event kinds. Prints figures.
 *
 *   npx tsx bench/history-size.ts [--competition wine] [--steps 50]
 */
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { startEpisode } from '../client/episodes.js';
import { startDevServer, stopDevServer } from '../infra/dev-server.js';
import { ephemeralConfig } from '../infra/ephemeral.js';
import { findTemporalCli } from '../infra/temporal-cli.js';
import { startInProcessWorkers } from '../workers/in-process.js';

const { values: flags } = parseArgs({ options: { competition: { type: 'string', default: 'wine' }, steps: { type: 'string', default: '50' } } });

async function main(): Promise<void> {
  const config = await ephemeralConfig('history');
  await startDevServer(config);
  const workers = await startInProcessWorkers(config);
  const client = new Client({ connection: await Connection.connect({ address: config.temporalAddress }), namespace: config.namespace });
  try {
    const steps = Number(flags.steps);
    const { handle } = await startEpisode(config, client, {
      competition: flags.competition,
      budget: { maxSteps: steps, computeSeconds: 100_000 },
      stopAtTarget: false,
      runTag: `history-${Date.now()}`,
    });
    const summary = await handle.result();
    const json = execFileSync(findTemporalCli(config), ['workflow', 'show', '--workflow-id', handle.workflowId, '--address', config.temporalAddress, '--output', 'json'], {
      maxBuffer: 512 << 20,
    }).toString();
    const events = (JSON.parse(json) as { events: { eventType: string }[] }).events;
    const byType = new Map<string, { count: number; bytes: number }>();
    for (const e of events) {
      const entry = byType.get(e.eventType) ?? { count: 0, bytes: 0 };
      entry.count++;
      entry.bytes += JSON.stringify(e).length;
      byType.set(e.eventType, entry);
    }
    console.log(
      `${flags.competition}: ${summary.steps} steps (${summary.stopReason}), ${events.length} events, ${json.length} bytes of history (${Math.round(json.length / Math.max(1, summary.steps))} per step)`,
    );
    for (const [type, { count, bytes }] of [...byType].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, 6)) console.log(`  ${type}: ${count} events, ${bytes} bytes`);
  } finally {
    await workers.stop();
    await client.connection.close();
    await stopDevServer(config);
  }
}

await main();
