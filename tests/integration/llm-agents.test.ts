import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEpisode } from '../../client/episodes.js';
import { localLlmServer } from '../../infra/llm-server.js';
import type { EpisodeState, EpisodeSummary } from '../../schemas/episode.js';
import { TokensKey } from '../../schemas/search-attributes.js';
import { openSkillStore } from '../../skill-store/open.js';
import { startWorkers, suiteConfig, testClient, withSuiteWorkers, type InProcessWorkers } from '../helpers/workers.js';

// Real model calls on a busy 2-core machine take ~10–30 s each; an episode makes about six.
const EPISODE_TIMEOUT = 900_000;
/** Fails on every attempt (sklearn rejects C ≤ 0) with an error that names the param: the debugger's case. */
const BAD = { template: 'logistic_regression', params: { C: -1 } };

describe('LLM agents against the real local model (llama-server + Qwen2.5-Coder-0.5B)', () => {
  const suite = withSuiteWorkers();
  let summary: EpisodeSummary;
  let workflowId: string;

  it(
    'an episode completes with the plan, a proposal, a debugger fix and learnings from the model',
    async () => {
      expect(localLlmServer(suite.config)).not.toBeNull(); // started by the global setup
      const { handle } = await startEpisode(suite.config, suite.client, {
        competition: 'wine',
        agent: 'llm',
        budget: { maxSteps: 3 },
        stopAtTarget: false,
        runTag: `llm-${Date.now()}`,
        initialCandidates: [BAD],
        debugAttempts: 1,
      });
      workflowId = handle.workflowId;
      summary = await handle.result();
      const [failed, fix, proposal] = summary.ledger;

      // Planner: the model chose what to screen.
      expect(summary.planNotes).toMatch(/^llm planner: ./);
      const state = (JSON.parse(readFileSync(summary.trajectory!, 'utf8')) as { state: EpisodeState }).state;
      expect(state.plan?.usage).toMatchObject({ role: 'planner', backend: 'llm' });
      // Debugger: the injected failure, then the model's fix of that template (the engineer does not step in).
      expect(failed).toMatchObject({ status: 'failed', candidate: BAD });
      expect(failed!.error).toMatch(/param 'C'/);
      expect(fix).toMatchObject({ debugOf: 0, candidate: { template: 'logistic_regression' }, usage: { role: 'debugger', backend: 'llm' } });
      expect(fix!.rationale).toMatch(/^llm debugger: ./);
      expect(fix!.candidate.params.C).toBeGreaterThan(0);
      // Engineer: a new candidate from the model, with the skills that were in its context recorded.
      expect(proposal).toMatchObject({ usage: { role: 'engineer', backend: 'llm' } });
      expect(proposal!.rationale).toMatch(/^llm engineer: ./);
      expect(proposal!.usage!.skillsInContext).toBeInstanceOf(Array);
      expect(proposal!.skillIds).toEqual(expect.arrayContaining(proposal!.usage!.skillsInContext!));
      // Distiller: 2–5 learnings, in the library as unvalidated candidates.
      expect(summary.distilled?.usage).toMatchObject({ role: 'distiller', backend: 'llm' });
      expect(summary.distilled!.skillIds.length).toBeGreaterThanOrEqual(2);
      expect(summary.distilled!.skillIds.length).toBeLessThanOrEqual(5);
      const store = await openSkillStore(suite.config.skills);
      try {
        for (const id of summary.distilled!.skillIds) expect(await store.get(id)).toMatchObject({ status: 'candidate', provenance: { agentBackend: 'llm', workflowId } });
      } finally {
        await store.close();
      }
      // The ledger: tokens per role and in all, the Tokens search attribute.
      for (const role of ['planner', 'engineer', 'debugger', 'distiller'] as const) {
        const r = summary.tokens!.byRole[role]!;
        expect(r.promptTokens).toBeGreaterThan(0);
        expect(r.completionTokens).toBeGreaterThan(0);
        console.log(
          `[llm measured] ${role}: ${r.calls} call(s), ${r.promptTokens}+${r.completionTokens} tokens, ${(r.latencyMs / 1000 / r.calls).toFixed(1)} s/call, ${r.fallbacks} fallback(s)`,
        );
      }
      // Per step: the tokens of the step's own role call (a requested candidate asked no model).
      for (const step of summary.ledger) expect(step.tokens).toBe(step.usage ? step.usage.promptTokens + step.usage.completionTokens : 0);
      expect(fix!.tokens).toBeGreaterThan(0);
      expect(proposal!.tokens).toBeGreaterThan(0);
      const total = summary.tokens!.promptTokens + summary.tokens!.completionTokens;
      expect((await handle.describe()).typedSearchAttributes.get(TokensKey)).toBe(total);
    },
    EPISODE_TIMEOUT,
  );

  it('workflow history holds references to the prompts and replies, not the prompts', async () => {
    const history = historyText(await suite.client.workflow.getHandle(workflowId).fetchHistory());
    const transcripts = summary.ledger.flatMap((s) => (s.usage?.transcript ? [s.usage.transcript] : []));
    expect(transcripts.length).toBeGreaterThanOrEqual(2);
    for (const file of transcripts) {
      expect(history).toContain(file);
      const stored = JSON.parse(readFileSync(file, 'utf8')) as { exchanges: { request: { messages: { content: string }[] }; reply: string }[] };
      expect(stored.exchanges[0]!.request.messages[1]!.content).toMatch(/Competition "wine"/);
      expect(stored.exchanges[0]!.reply.length).toBeGreaterThan(0);
    }
    expect(history).toContain('llm engineer: '); // rationales travel in history; prompts do not
    expect(history).not.toContain('Competition "wine"');
    expect(history).not.toContain('careful machine-learning engineer');
  });
});

/** Every string and payload (decoded as UTF-8) in a fetched history, to search it for text. */
function historyText(history: unknown): string {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (v instanceof Uint8Array) out.push(Buffer.from(v).toString('utf8'));
    else if (typeof v === 'string') out.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(history);
  return out.join('\n');
}

/** An OpenAI-compatible endpoint that answers every request with text that is not JSON. */
function garbageEndpoint(): Server {
  return createServer((req, res) => {
    req.resume().on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          id: 'g',
          object: 'chat.completion',
          created: 0,
          model: 'garbage',
          choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: 'Sure! Here is my answer: ridge.' } }],
          usage: { prompt_tokens: 50, completion_tokens: 7, total_tokens: 57 },
        }),
      );
    });
  });
}

describe.each([
  ['an unreachable endpoint', 'unreachable'],
  ['garbage replies', 'garbage'],
] as const)('LLM agents with %s', (_name, kind) => {
  let client: Client;
  let workers: InProcessWorkers | undefined;
  let server: Server | undefined;
  beforeAll(async () => {
    const config = suiteConfig();
    let baseURL = 'http://127.0.0.1:9/v1'; // discard port: connection refused
    if (kind === 'garbage') {
      server = garbageEndpoint();
      await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
      baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
    }
    client = await testClient(config);
    workers = await startWorkers({ ...config, llm: { ...config.llm, baseURL } });
  });
  afterAll(async () => {
    await workers?.stop();
    await client?.connection.close();
    if (server) await new Promise<void>((r) => server!.close(() => r()));
  });

  it(
    'every role falls back to offline per step, recorded, and the episode completes',
    async () => {
      const config = suiteConfig();
      const { handle } = await startEpisode(config, client, {
        competition: 'wine',
        agent: 'llm',
        budget: { maxSteps: 3 },
        stopAtTarget: false,
        runTag: `llm-${kind}-${Date.now()}`,
        initialCandidates: [BAD],
        debugAttempts: 1,
      });
      const summary = await handle.result();
      expect(summary.ledger.map((s) => s.status)).toEqual(['failed', 'ok', 'ok']);
      const [, fix, next] = summary.ledger;
      expect(fix).toMatchObject({ debugOf: 0, usage: { role: 'debugger', backend: 'offline' } });
      expect(fix!.rationale).toMatch(/^offline debugger: /);
      expect(next).toMatchObject({ usage: { role: 'engineer', backend: 'offline' } });
      const why = kind === 'garbage' ? /no usable reply in 3 tries: the reply was not JSON/ : /endpoint failed/;
      for (const usage of [fix!.usage!, next!.usage!]) expect(usage.fallback).toMatch(why);
      expect(summary.planNotes).not.toMatch(/^llm planner/);
      expect(summary.distilled).toMatchObject({ skillIds: [], usage: { role: 'distiller', backend: 'offline' } });
      if (kind === 'garbage') expect(summary.tokens!.byRole.engineer).toMatchObject({ calls: 3, promptTokens: 150, fallbacks: 1 });
      else expect(summary.tokens!.promptTokens).toBe(0);
    },
    EPISODE_TIMEOUT,
  );
});
