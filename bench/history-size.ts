/**
 * Workflow history size of one long episode: events and bytes of its history (what every replay and
 * every worker that picks the episode up has to load), the largest event kinds, and the activity
 * inputs and results by activity. Prints figures.
 *
 *   npx tsx bench/history-size.ts [--competition wine] [--steps 50] [--skills]
 *
 * --skills first fills the (throwaway) library with a full retrieval's worth of skills for the
 * competition: 3 global, 5 domain and 5 task skills of about 500 characters each. They carry no
 * recipe, so the offline agent proposes exactly what it would without them: the figures differ only
 * in what the skills add to history.
 */
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { startEpisode } from '../client/episodes.js';
import type { HasteConfig } from '../infra/config.js';
import { loadCompetitionSpec } from '../infra/competitions.js';
import { startDevServer } from '../infra/dev-server.js';
import { discardEphemeral, ephemeralConfig } from '../infra/ephemeral.js';
import { findTemporalCli } from '../infra/temporal-cli.js';
import { openSkillStore } from '../skill-store/open.js';
import { createSkill, type SkillDraft } from '../schemas/skill.js';
import { startInProcessWorkers } from '../workers/in-process.js';

const { values: flags } = parseArgs({
  options: { competition: { type: 'string', default: 'wine' }, steps: { type: 'string', default: '50' }, skills: { type: 'boolean', default: false } },
});

/** A lesson-sized body (~500 characters), as distilled skills have. */
const body = (n: number) =>
  `Lesson ${n}: ${'measured on earlier competitions of this kind, this change moved the cross-validated score by a few thousandths at a small extra cost in compute; apply it once a first model is in place and keep it only if the folds agree. '.repeat(2)}`;

/** Active skills of every tier that retrieval returns for the competition (no recipes: they do not change what the agent proposes). */
async function seedSkills(config: HasteConfig, competition: string): Promise<void> {
  const spec = await loadCompetitionSpec(config, competition);
  const drafts: SkillDraft[] = [
    ...[0, 1, 2].map((i): SkillDraft => ({ tier: 'global', kind: 'technique', title: `global lesson ${i}`, body: body(i), status: 'active' })),
    ...[0, 1, 2, 3, 4].map((i): SkillDraft => ({
      tier: 'domain',
      scope: { domain: spec.domain },
      kind: 'technique',
      title: `${spec.domain} lesson ${i}`,
      body: body(i),
      status: 'active',
    })),
    ...[0, 1, 2, 3, 4].map((i): SkillDraft => ({
      tier: 'task',
      scope: { domain: spec.domain, competition: spec.id },
      kind: 'pitfall',
      title: `${spec.id} lesson ${i}`,
      body: body(i),
      status: 'active',
    })),
  ];
  const store = await openSkillStore(config.skills);
  try {
    await store.upsert(drafts.map((d) => createSkill(d)));
  } finally {
    await store.close();
  }
}

async function main(): Promise<void> {
  const config = await ephemeralConfig('history');
  await startDevServer(config);
  if (flags.skills) await seedSkills(config, flags.competition);
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
    type Payloads = { payloads?: { data?: string }[] };
    type Event = {
      eventId: string;
      eventType: string;
      activityTaskScheduledEventAttributes?: { activityType: { name: string }; input?: Payloads };
      activityTaskCompletedEventAttributes?: { scheduledEventId: string; result?: Payloads };
    };
    // Decoded JSON bytes of an activity's arguments or result (the history file holds them base64-encoded).
    const decoded = (p?: Payloads) => (p?.payloads ?? []).reduce((n, x) => n + Buffer.from(x.data ?? '', 'base64').length, 0);
    const names = new Map<string, string>();
    const results = new Map<string, { count: number; bytes: number }>();
    const events = (JSON.parse(json) as { events: Event[] }).events;
    const inputs = new Map<string, { count: number; bytes: number }>();
    const byType = new Map<string, { count: number; bytes: number }>();
    for (const e of events) {
      const entry = byType.get(e.eventType) ?? { count: 0, bytes: 0 };
      entry.count++;
      entry.bytes += JSON.stringify(e).length;
      byType.set(e.eventType, entry);
      const scheduled = e.activityTaskScheduledEventAttributes;
      if (scheduled) {
        names.set(e.eventId, scheduled.activityType.name);
        const input = inputs.get(scheduled.activityType.name) ?? { count: 0, bytes: 0 };
        input.count++;
        input.bytes += decoded(scheduled.input);
        inputs.set(scheduled.activityType.name, input);
      }
      const completed = e.activityTaskCompletedEventAttributes;
      if (completed) {
        const name = names.get(completed.scheduledEventId) ?? '?';
        const result = results.get(name) ?? { count: 0, bytes: 0 };
        result.count++;
        result.bytes += decoded(completed.result);
        results.set(name, result);
      }
    }
    console.log(
      `${flags.competition}${flags.skills ? ' (library seeded with skills)' : ''}: ${summary.steps} steps (${summary.stopReason}), ${events.length} events, ${json.length} bytes of history (${Math.round(json.length / Math.max(1, summary.steps))} per step)`,
    );
    for (const [type, { count, bytes }] of [...byType].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, 6)) console.log(`  ${type}: ${count} events, ${bytes} bytes`);
    console.log('activity inputs (decoded):');
    for (const [name, { count, bytes }] of [...inputs].sort((a, b) => b[1].bytes - a[1].bytes)) console.log(`  ${name}: ${count} scheduled, ${bytes} bytes`);
    console.log('activity results (decoded):');
    for (const [name, { count, bytes }] of [...results].sort((a, b) => b[1].bytes - a[1].bytes)) console.log(`  ${name}: ${count} completed, ${bytes} bytes`);
  } finally {
    await workers.stop();
    await client.connection.close();
    await discardEphemeral(config);
  }
}

await main();
