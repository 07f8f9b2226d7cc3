import OpenAI from 'openai';
import { z } from 'zod';
import { CandidateSchema } from '../../schemas/training.js';
import { planOffline } from '../offline/planner.js';
import { candidateKey, TEMPLATE_SPACES } from '../offline/search-space.js';
import type { Agent, Proposal, ProposeContext } from '../types.js';
import { describeIssues } from '../../schemas/issues.js';

const LlmSettingsSchema = z.object({
  OPENAI_BASE_URL: z.url('an OpenAI-compatible base URL, e.g. http://localhost:8000/v1'),
  OPENAI_API_KEY: z.string().min(1).default('none'),
  HASTE_LLM_MODEL: z.string().min(1).default('gpt-4o-mini'),
});

export interface LlmSettings {
  baseURL: string;
  apiKey: string;
  model: string;
}

/** Reads the LLM endpoint from the environment; names the variable when it is missing or malformed. */
export function llmSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): LlmSettings {
  const parsed = LlmSettingsSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`the llm agent backend needs ${String(issue.path[0])}: ${issue.message}`);
  }
  return { baseURL: parsed.data.OPENAI_BASE_URL, apiKey: parsed.data.OPENAI_API_KEY, model: parsed.data.HASTE_LLM_MODEL };
}

const ProposalReplySchema = CandidateSchema.extend({ rationale: z.string().default('') });

function prompt(ctx: ProposeContext): string {
  const templates = Object.entries(TEMPLATE_SPACES)
    .filter(([, s]) => s.taskTypes.includes(ctx.competition.taskType))
    .map(([name, s]) => `- ${name}: ${JSON.stringify(s.params)}`)
    .join('\n');
  const history = ctx.history
    .map((s) => `step ${s.step}: ${JSON.stringify(s.candidate)} → ${s.status === 'ok' ? `cv ${s.cvScore}` : `${s.status}: ${s.error ?? ''}`}`)
    .join('\n');
  return [
    `Competition ${ctx.competition.id} (${ctx.competition.domain}, ${ctx.competition.taskType}); metric ${ctx.competition.metric} (${ctx.competition.direction}).`,
    `Data: ${JSON.stringify(ctx.competition.traits)}. Remaining compute: ${Math.round(ctx.remainingComputeSeconds)} s.`,
    `Templates and hyperparameter ranges:\n${templates}`,
    `Steps so far (cross-validated on train only):\n${history || '(none)'}`,
    'Propose ONE new candidate not tried before. Reply with JSON only: {"template": "...", "params": {...}, "rationale": "..."}',
  ].join('\n\n');
}

/** The LLM backend: the engineer role asks any OpenAI-compatible endpoint; replies are validated, never trusted. */
export function createLlmAgent(client: OpenAI, model: string): Agent {
  return {
    plan: planOffline,
    async propose(ctx: ProposeContext): Promise<Proposal | null> {
      const tried = new Set(ctx.history.map((s) => candidateKey(s.candidate)));
      const requested = ctx.initialCandidates.find((c) => !tried.has(candidateKey(c)));
      if (requested) return { candidate: requested, rationale: `requested: ${requested.template}`, tokens: 0 };
      const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [
        { role: 'system', content: 'You are a competition ML engineer. You answer with a single JSON object.' },
        { role: 'user', content: prompt(ctx) },
      ];
      let tokens = 0;
      let lastProblem = '';
      for (let attempt = 0; attempt < 2; attempt++) {
        const reply = await client.chat.completions.create({ model, messages, response_format: { type: 'json_object' }, temperature: 0.2 });
        tokens += reply.usage?.total_tokens ?? 0;
        const content = reply.choices[0]?.message.content ?? '';
        let parsed: z.infer<typeof ProposalReplySchema> | undefined;
        try {
          const result = ProposalReplySchema.safeParse(JSON.parse(content));
          lastProblem = result.success ? '' : describeIssues(result.error);
          parsed = result.success ? result.data : undefined;
        } catch {
          lastProblem = 'the reply was not JSON';
        }
        if (parsed) {
          const space = TEMPLATE_SPACES[parsed.template];
          if (!space || !space.taskTypes.includes(ctx.competition.taskType)) lastProblem = `template ${parsed.template} is not available for this task`;
          else if (tried.has(candidateKey(parsed))) lastProblem = 'that candidate was already tried';
          else return { candidate: { template: parsed.template, params: parsed.params }, rationale: `llm: ${parsed.rationale}`, tokens };
        }
        messages.push({ role: 'assistant', content }, { role: 'user', content: `Invalid: ${lastProblem}. Reply again with JSON only.` });
      }
      throw new Error(`the LLM gave no usable candidate after 2 tries: ${lastProblem}`);
    },
  };
}

export function createLlmAgentFromEnv(env: NodeJS.ProcessEnv = process.env): Agent {
  const settings = llmSettingsFromEnv(env);
  return createLlmAgent(new OpenAI({ baseURL: settings.baseURL, apiKey: settings.apiKey, maxRetries: 2, timeout: 120_000 }), settings.model);
}
