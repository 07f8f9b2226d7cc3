import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgentActivities } from '../../activities/agents.js';
import { offlineAgent } from '../../agents/index.js';
import { createLlmAgent, llmEndpoint } from '../../agents/llm/agent.js';
import { compressHistory, customFits, HISTORY_LINES, skillsWithinBudget } from '../../agents/llm/context.js';
import { debugOffline } from '../../agents/offline/debugger.js';
import { planOffline } from '../../agents/offline/planner.js';
import type { Agent, AgentRole, ProposeContext, RoleUsage } from '../../agents/types.js';
import type { StepView } from '../../schemas/episode.js';
import { loadConfig } from '../../infra/config.js';
import { codeInline, codeSha256, readSolutionCode, storeSolutionCode } from '../../infra/solution-code.js';
import { embedderFromConfig } from '../../skill-store/open.js';
import type { RetrievedSkill } from '../../schemas/skill.js';
import { SqliteSkillStore } from '../../skill-store/sqlite.js';
import { toyCompetition } from '../helpers/competition.js';

const hashing = embedderFromConfig({ kind: 'hashing' });

/** The agent activities with their artifact store and skill library in `dir`. */
const activitiesIn = (dir: string, resolveAgent: Parameters<typeof createAgentActivities>[0]['resolveAgent']) =>
  createAgentActivities({ resolveAgent, artifactsDir: dir, openStore: async () => SqliteSkillStore.open({ file: path.join(dir, 's.sqlite'), embedder: hashing }) });

interface Recorded {
  messages: { role: string; content: string }[];
  response_format?: { type: string; json_schema?: { name: string; strict: boolean; schema: Record<string, unknown> } };
  max_tokens?: number;
}

/** An OpenAI-compatible endpoint on loopback that answers from a script (exact error paths only). */
function scriptedEndpoint(replies: string[]) {
  const requests: Recorded[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      requests.push(JSON.parse(body));
      const content = replies[Math.min(requests.length - 1, replies.length - 1)]!;
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          id: `c${requests.length}`,
          object: 'chat.completion',
          created: 0,
          model: 'test-model',
          choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content } }],
          usage: { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120 },
        }),
      );
    });
  });
  return { server, requests };
}

const competition = toyCompetition({
  taskType: 'regression',
  metric: 'rmse',
  direction: 'minimize',
  budget: { computeSeconds: 100, maxSteps: 5 },
  traits: { rows: 500, features: 8, numericFeatures: 8, categoricalFeatures: 0 },
});

async function listen(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
}

function agentAt(baseURL: string, attempts = 3): Agent {
  const client = new OpenAI({ baseURL, apiKey: 'test', maxRetries: 0 });
  return createLlmAgent({ chat: { client, model: 'test-model', attempts }, offline: offlineAgent, contextTokens: 1500 });
}

describe('LLM roles against a scripted endpoint (exact error paths)', () => {
  const endpoint = scriptedEndpoint([
    '{"rationale": "x", "candidate": {"template": "logistic_regression", "params": {"C": 1}}}', // not a regression template
    '{"rationale": "x", "candidate": {"template": "ridge", "params": {"alpha": 3, "invented": 1}}}', // invented param
    '{"rationale": "strong linear baseline", "candidate": {"template": "ridge", "params": {"alpha": 3}}}',
  ]);
  let ctx: ProposeContext;
  let baseURL: string;
  beforeAll(async () => {
    baseURL = await listen(endpoint.server);
    ctx = { competition, plan: await planOffline({ competition, seed: 0, skills: [] }), history: [], seed: 0, step: 0, remainingComputeSeconds: 80, initialCandidates: [] };
  });
  afterAll(() => new Promise<void>((r) => endpoint.server.close(() => r())));

  it('asks for a strict json_schema bounded per template, returns the validation error, and accepts the fixed reply', async () => {
    const proposal = await agentAt(baseURL).propose(ctx);
    expect(proposal).toMatchObject({ candidate: { template: 'ridge', params: { alpha: 3 } }, rationale: 'llm engineer: strong linear baseline', tokens: 360 });
    expect(proposal!.usage).toMatchObject({ role: 'engineer', backend: 'llm', promptTokens: 300, completionTokens: 60, calls: 3 });
    expect(proposal!.usage!.exchanges).toHaveLength(3);
    const format = endpoint.requests[0]!.response_format!;
    expect(format.type).toBe('json_schema');
    expect(format.json_schema).toMatchObject({ name: 'haste_engineer', strict: true });
    // Only the regression templates, each with exactly its own params.
    const properties = format.json_schema!.schema.properties as { candidate: { oneOf: { properties: { template: { const: string } } }[] } };
    const variants = properties.candidate.oneOf.map((v) => v.properties.template.const);
    expect(variants).toContain('ridge');
    expect(variants).not.toContain('logistic_regression');
    // For what no template can express, a solution.py of its own: the `custom` template, code as a string.
    expect(variants).toContain('custom');
    expect(endpoint.requests[0]!.messages[1]!.content).toMatch(/custom: params\.code is the whole Python source of solution\.py/);
    expect(endpoint.requests[0]!.max_tokens).toBe(900);
    expect(endpoint.requests[1]!.messages.at(-1)!.content).toMatch(/candidate\.template: Invalid discriminator value.*'ridge'/);
    expect(endpoint.requests[2]!.messages.at(-1)!.content).toMatch(/Unrecognized key: "invented"/);
  });

  it('falls back to the offline role after invalid replies, recording why and what the tries cost', async () => {
    const garbage = scriptedEndpoint(['not json at all']);
    const url = await listen(garbage.server);
    try {
      const proposal = await agentAt(url, 2).propose(ctx);
      expect(proposal?.rationale).toMatch(/^portfolio: /);
      expect(proposal?.usage).toMatchObject({ role: 'engineer', backend: 'offline', calls: 2, promptTokens: 200 });
      expect(proposal?.usage?.fallback).toMatch(/no usable reply in 2 tries: the reply was not JSON/);
      expect(garbage.requests).toHaveLength(2);
    } finally {
      await new Promise<void>((r) => garbage.server.close(() => r()));
    }
  });

  it('falls back per role when the endpoint is unreachable', async () => {
    const agent = agentAt('http://127.0.0.1:9/v1');
    const plan = await agent.plan({ competition, seed: 0, skills: [] });
    expect(plan.usage).toMatchObject({ role: 'planner', backend: 'offline', calls: 0 });
    expect(plan.usage?.fallback).toMatch(/planner endpoint failed/);
    expect(plan.portfolio.length).toBeGreaterThan(0);
    const distilled = await agent.distill({ competition, history: [], seed: 0 });
    expect(distilled).toMatchObject({ learnings: [], usage: { role: 'distiller', backend: 'offline' } });
  });
});

const SOLUTION = ['from sklearn.linear_model import Ridge', '', 'def make_model(task_type, seed):', '    return Ridge(alpha=2.0)', ''].join('\n');

describe('solution.py from the engineer and the debugger (the custom template)', () => {
  it('is offered only where its scaled feature rows fit (not text or forecasting)', () => {
    expect(customFits(competition)).toBe(true);
    expect(customFits(toyCompetition({ domain: 'vision', taskType: 'multiclass' }))).toBe(true);
    expect(customFits(toyCompetition({ domain: 'text' }))).toBe(false);
    expect(customFits(toyCompetition({ domain: 'time-series', taskType: 'forecasting' }))).toBe(false);
  });

  const reply = (code: string, why = 'a ridge of my own') => JSON.stringify({ rationale: why, candidate: { template: 'custom', params: { code } } });

  it('stores the engineer’s code in the artifact store; the candidate carries its digest, history never the code', async () => {
    // First a reply without make_model (corrected), then a usable one.
    const endpoint = scriptedEndpoint([reply('import numpy as np\n\nclass M:\n    pass\n'), reply(SOLUTION)]);
    const url = await listen(endpoint.server);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'haste-custom-'));
    try {
      const activities = activitiesIn(dir, () => agentAt(url));
      const plan = await planOffline({ competition, seed: 0, skills: [] });
      const proposal = await activities.proposeCandidate({ competition, plan, history: [], seed: 0, step: 0, remainingComputeSeconds: 80, initialCandidates: [], backend: 'llm' });
      expect(endpoint.requests[1]!.messages.at(-1)!.content).toMatch(/params\.code must define make_model/);
      const sha = codeSha256(SOLUTION);
      expect(proposal!.candidate).toEqual({ template: 'custom', params: { code_sha256: sha } });
      expect(readSolutionCode(dir, sha)).toBe(SOLUTION);
      expect(JSON.stringify(proposal)).not.toContain('make_model');
      // The runner gets the code back; a digest with no file (or an altered one) is the solution's fault, named.
      expect(codeInline(dir, proposal!.candidate)).toEqual({ template: 'custom', params: { code: SOLUTION } });
      expect(() => codeInline(dir, { template: 'custom', params: { code_sha256: 'f'.repeat(64) } })).toThrow(/not in the artifact store/);
      expect(() => codeInline(dir, { template: 'custom', params: { code_sha256: '../../answers.csv' } })).toThrow(/64 lowercase hex digits/);
      writeFileSync(path.join(dir, 'code', `${sha}.py`), SOLUTION + '# altered\n');
      expect(() => readSolutionCode(dir, sha)).toThrow(/does not match its digest/);
    } finally {
      await new Promise<void>((r) => endpoint.server.close(() => r()));
    }
  });

  it('gives the debugger the failed solution.py and stores its fix; offline, a solution.py is left for the engineer to move on', async () => {
    const fixed = SOLUTION.replace('alpha=2.0', 'alpha=1.0');
    // The first "fix" pastes the error into the code (as the 0.5B model did in bench:llm-roles): told so, it answers again.
    const endpoint = scriptedEndpoint([reply(`${fixed}\n# solution.py fit failed: ValueError: alpha must be positive\n`), reply(fixed, 'alpha must be positive')]);
    const url = await listen(endpoint.server);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'haste-custom-debug-'));
    try {
      const activities = activitiesIn(dir, () => agentAt(url));
      const broken = SOLUTION.replace('alpha=2.0', 'alpha=-1.0');
      const failed: StepView = {
        step: 0,
        candidate: { template: 'custom', params: { code_sha256: storeSolutionCode(dir, broken) } },
        status: 'failed',
        error: 'solution.py fit failed: ValueError: alpha',
        computeSeconds: 1,
      };
      const plan = await planOffline({ competition, seed: 0, skills: [] });
      const fix = await activities.debugCandidate({ competition, plan, history: [failed], failed, attempt: 1, seed: 0, step: 1, backend: 'llm' });
      expect(endpoint.requests[0]!.messages[1]!.content).toContain('alpha=-1.0');
      expect(endpoint.requests[1]!.messages.at(-1)!.content).toMatch(/params\.code contains the error message/);
      const variants = (endpoint.requests[0]!.response_format!.json_schema!.schema.properties as { candidate: { properties: { template: { const: string } } } }).candidate;
      expect(variants.properties.template.const).toBe('custom');
      expect(fix).toMatchObject({ candidate: { template: 'custom', params: { code_sha256: codeSha256(fixed) } }, rationale: 'llm debugger: alpha must be positive' });
      expect(await debugOffline({ competition, plan, history: [failed], failed, attempt: 1, seed: 0, step: 1 })).toBeNull();
    } finally {
      await new Promise<void>((r) => endpoint.server.close(() => r()));
    }
  });
});

describe('the engineer prompt', () => {
  it('lists as not yet screened only the planned templates not tried at all, whatever params they were tried with', async () => {
    const endpoint = scriptedEndpoint(['{"rationale": "next", "candidate": {"template": "knn", "params": {"n_neighbors": 5, "weights": "uniform"}}}']);
    const url = await listen(endpoint.server);
    try {
      const plan = { portfolio: ['ridge', 'random_forest', 'knn'].map((template) => ({ template, params: {} })), notes: 'llm planner: x' };
      const history: StepView[] = [{ step: 0, candidate: { template: 'random_forest', params: { min_samples_leaf: 3 } }, status: 'ok', cvScore: 1, computeSeconds: 1 }];
      await agentAt(url).propose({ competition, plan, history, seed: 0, step: 1, remainingComputeSeconds: 80, initialCandidates: [] });
      expect(endpoint.requests[0]!.messages[1]!.content).toMatch(/Not yet screened: ridge, knn\n/);
    } finally {
      await new Promise<void>((r) => endpoint.server.close(() => r()));
    }
  });
});

describe('context for the roles', () => {
  const step = (i: number, status: StepView['status'] = 'ok'): StepView => ({
    step: i,
    candidate: { template: i % 2 ? 'ridge' : 'hist_gradient_boosting', params: { alpha: i } },
    status,
    computeSeconds: 1,
    ...(status === 'ok' ? { cvScore: 1 / (i + 1) } : { error: `ValueError: alpha ${i} is bad` }),
  });

  it('keeps the run history under 20 lines after 50 steps, best and latest failures included', () => {
    const history = Array.from({ length: 50 }, (_, i) => step(i, i % 7 === 3 ? 'failed' : 'ok'));
    const lines = compressHistory(history, 'minimize');
    expect(lines.length).toBeLessThanOrEqual(HISTORY_LINES);
    expect(lines[0]).toMatch(/^50 steps: 43 ok, 7 failed/);
    expect(lines.join('\n')).toContain('step 49:'); // the best (lowest cv) and the latest
    expect(lines.join('\n')).toMatch(/step 45: .*failed: ValueError: alpha 45/);
  });

  it('puts skills in context best first while they fit the token budget, and names them', () => {
    const skill = (id: string, body: string): RetrievedSkill => ({ id, tier: 'domain', kind: 'technique', title: id, body, recipe: { preprocessing: [], params: {} }, score: 1 });
    const skills = [skill('a', 'x'.repeat(200)), skill('b', 'y'.repeat(2000)), skill('c', 'z'.repeat(100))];
    expect(skillsWithinBudget(skills, 120).ids).toEqual(['a', 'c']); // b (~110 tokens, body cut at 400 chars) does not fit after a
    expect(skillsWithinBudget(skills, 10).ids).toEqual([]);
    expect(skillsWithinBudget(skills, 10_000).ids).toEqual(['a', 'b', 'c']);
  });

  it('the offline debugger drops the params an error names, then reverts to defaults, then gives up', async () => {
    const plan = await planOffline({ competition, seed: 0, skills: [] });
    const failed: StepView = {
      step: 0,
      candidate: { template: 'ridge', params: { alpha: 3, bogus: 1 } },
      status: 'failed',
      error: "unexpected keyword 'bogus'",
      computeSeconds: 0,
    };
    const ctx = { competition, plan, history: [failed], failed, attempt: 1, seed: 0, step: 1 };
    expect((await debugOffline(ctx))?.candidate).toEqual({ template: 'ridge', params: { alpha: 3 } });
    const second = { ...failed, step: 1, candidate: { template: 'ridge', params: { alpha: 3 } } };
    expect((await debugOffline({ ...ctx, history: [failed, second], failed: second }))?.candidate).toEqual({ template: 'ridge', params: {} });
    const third = { ...failed, step: 2, candidate: { template: 'ridge', params: {} } };
    expect(await debugOffline({ ...ctx, history: [failed, second, third], failed: third })).toBeNull();
  });

  it('finds the endpoint: OPENAI_BASE_URL first, else the local server, else says what to do', () => {
    const home = '/tmp/haste-llm-unit-no-server';
    expect(llmEndpoint(loadConfig({ HASTE_HOME: home, OPENAI_BASE_URL: 'http://localhost:8000/v1' }))).toMatchObject({ model: 'gpt-4o-mini', apiKey: 'none' });
    expect(() => llmEndpoint(loadConfig({ HASTE_HOME: home }))).toThrow(/needs OPENAI_BASE_URL .*`haste dev up --llm`/);
    expect(() => loadConfig({ HASTE_LLM_CONTEXT_TOKENS: '12' })).toThrow(/HASTE_LLM_CONTEXT_TOKENS: at least 256 tokens/);
  });
});

describe('agent activities', () => {
  const exchange = { request: { messages: [{ role: 'user', content: 'the whole prompt' }] }, reply: '{}', promptTokens: 10, completionTokens: 5, latencyMs: 3 };
  const usage = (role: AgentRole): RoleUsage => ({ role, backend: 'llm', model: 'm', promptTokens: 10, completionTokens: 5, calls: 1, latencyMs: 3, exchanges: [exchange] });
  const fake: Agent = {
    ...offlineAgent,
    async debug() {
      return { candidate: { template: 'ridge', params: { alpha: 1 } }, rationale: 'llm debugger: fixed', tokens: 15, usage: usage('debugger') };
    },
    async distill() {
      const learning = { tier: 'task' as const, title: 'Ridge first on toy', when: 'the data is small', body: 'When the data is small, start with ridge', template: 'ridge' };
      return { learnings: [learning, learning, { ...learning, tier: 'domain' as const }], rationale: 'llm distiller: two lessons', usage: usage('distiller') };
    },
  };

  it('moves prompts and replies to the artifact store and keeps only the path and the counts', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'haste-agent-activities-'));
    const activities = activitiesIn(dir, () => fake);
    const plan = await planOffline({ competition, seed: 0, skills: [] });
    const failed: StepView = { step: 0, candidate: { template: 'ridge', params: { alpha: -1 } }, status: 'failed', error: 'alpha', computeSeconds: 0 };
    const fix = await activities.debugCandidate({ competition, plan, history: [failed], failed, attempt: 1, seed: 0, step: 1, backend: 'llm' });
    expect(fix!.usage).not.toHaveProperty('exchanges');
    expect(fix!.usage).toMatchObject({ role: 'debugger', promptTokens: 10, completionTokens: 5 });
    expect(JSON.parse(readFileSync(fix!.usage!.transcript!, 'utf8')).exchanges[0].request.messages[0].content).toBe('the whole prompt');
    expect(JSON.stringify(fix)).not.toContain('the whole prompt');

    const learned = await activities.distillLearnings({ competition, history: [failed], seed: 0, backend: 'llm', workflowId: 'w', runId: 'r' });
    expect(learned.skillIds).toHaveLength(2); // the duplicate learning is one skill
    const store = SqliteSkillStore.open({ file: path.join(dir, 's.sqlite'), embedder: hashing });
    try {
      const skills = await Promise.all(learned.skillIds.map((id) => store.get(id)));
      expect(skills.map((s) => [s!.tier, s!.status, s!.scope])).toEqual([
        ['task', 'candidate', { domain: 'tabular', competition: 'toy' }],
        ['domain', 'candidate', { domain: 'tabular' }],
      ]);
      expect(skills[0]!.provenance).toMatchObject({ workflowId: 'w', runId: 'r', agentBackend: 'llm', model: 'm' });
    } finally {
      await store.close();
    }
  });
});
