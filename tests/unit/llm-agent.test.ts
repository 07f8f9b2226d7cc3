import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLlmAgent, llmSettingsFromEnv } from '../../agents/llm/engineer.js';
import { planOffline } from '../../agents/offline/planner.js';
import type { ProposeContext } from '../../agents/types.js';
import type { CompetitionSpec } from '../../schemas/competition.js';

/** An OpenAI-compatible endpoint on loopback that answers from a script and records what it was asked. */
function scriptedEndpoint(replies: string[]) {
  const requests: { messages: { role: string; content: string }[]; response_format?: unknown }[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      requests.push(JSON.parse(body));
      const content = replies[Math.min(requests.length - 1, replies.length - 1)]!;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({
        id: `c${requests.length}`, object: 'chat.completion', created: 0, model: 'test-model',
        choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content } }],
        usage: { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120 },
      }));
    });
  });
  return { server, requests };
}

const competition: CompetitionSpec = {
  id: 'toy', title: 'toy', domain: 'tabular', taskType: 'regression', dir: '/nowhere', metric: 'rmse', direction: 'minimize',
  budget: { computeSeconds: 100, maxSteps: 5 }, traits: { rows: 500, features: 8, numericFeatures: 8, categoricalFeatures: 0 },
};

describe('LLM agent backend (openai SDK against an OpenAI-compatible endpoint)', () => {
  const endpoint = scriptedEndpoint([
    '{"template": "logistic_regression", "params": {"C": 1}}', // not valid for regression
    'not json at all',
    '{"template": "ridge", "params": {"alpha": 3}, "rationale": "strong linear baseline"}',
  ]);
  let client: OpenAI;
  let ctx: ProposeContext;
  beforeAll(async () => {
    await new Promise<void>((r) => endpoint.server.listen(0, '127.0.0.1', r));
    client = new OpenAI({ baseURL: `http://127.0.0.1:${(endpoint.server.address() as AddressInfo).port}/v1`, apiKey: 'test', maxRetries: 0 });
    ctx = { competition, plan: await planOffline({ competition, seed: 0, skills: [] }), history: [], seed: 0, step: 0, remainingComputeSeconds: 80, initialCandidates: [] };
  });
  afterAll(() => new Promise<void>((r) => endpoint.server.close(() => r())));

  it('rejects a candidate the task cannot use, tells the model why, and fails after its retries', async () => {
    const agent = createLlmAgent(client, 'test-model');
    await expect(agent.propose(ctx)).rejects.toThrow(/no usable candidate after 2 tries: the reply was not JSON/);
    expect(endpoint.requests[0]!.response_format).toEqual({ type: 'json_object' });
    expect(endpoint.requests[0]!.messages.at(-1)!.content).toMatch(/rmse \(minimize\)[\s\S]*- ridge: /);
    expect(endpoint.requests[1]!.messages.at(-1)!.content).toMatch(/template logistic_regression is not available for this task/);
  });

  it('returns a validated proposal with the tokens it cost', async () => {
    const agent = createLlmAgent(client, 'test-model');
    const proposal = await agent.propose(ctx);
    expect(proposal).toEqual({ candidate: { template: 'ridge', params: { alpha: 3 } }, rationale: 'llm: strong linear baseline', tokens: 120 });
  });

  it('names the missing setting when no endpoint is configured', () => {
    expect(() => llmSettingsFromEnv({})).toThrow(/needs OPENAI_BASE_URL/);
    expect(llmSettingsFromEnv({ OPENAI_BASE_URL: 'http://localhost:8000/v1' })).toMatchObject({ model: 'gpt-4o-mini', apiKey: 'none' });
  });
});
