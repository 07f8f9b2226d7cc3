import type OpenAI from 'openai';
import { z } from 'zod';
import { describeIssues } from '../../schemas/issues.js';
import type { AgentRole, LlmExchange, RoleUsage } from '../types.js';

export interface ChatModel {
  client: OpenAI;
  model: string;
  /** Replies per request: the first plus corrections with the validation error (issue: "once or twice"). */
  attempts: number;
}

export interface StructuredRequest<T> {
  role: AgentRole;
  system: string;
  user: string;
  /** The reply's schema: sent as `response_format` json_schema (strict), and checked again here. */
  schema: z.ZodType<T>;
  /** Rules a schema cannot state (e.g. "not tried before"); returns the problem, or null when fine. */
  check?: (value: T) => string | null;
  maxTokens: number;
  skillsInContext?: string[];
}

const TEMPERATURES = [0.2, 0.7, 1.0];

/** The model gave nothing usable; carries what the attempts cost, so the fallback still counts it. */
export class LlmRoleError extends Error {
  constructor(
    message: string,
    readonly usage: RoleUsage,
  ) {
    super(message);
    this.name = 'LlmRoleError';
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message.split('\n')[0]!.slice(0, 300) : String(err);
}

/**
 * One role's request with a structured reply: json_schema (strict) from the zod schema; an invalid
 * reply is answered with its validation error and asked again, up to `attempts` replies in all.
 */
export async function structuredChat<T>(chat: ChatModel, req: StructuredRequest<T>): Promise<{ value: T; usage: RoleUsage }> {
  const usage: RoleUsage = {
    role: req.role,
    backend: 'llm',
    model: chat.model,
    promptTokens: 0,
    completionTokens: 0,
    calls: 0,
    latencyMs: 0,
    skillsInContext: req.skillsInContext,
    exchanges: [],
  };
  const jsonSchema = z.toJSONSchema(req.schema, { io: 'input' }) as Record<string, unknown>;
  delete jsonSchema.$schema;
  const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [
    { role: 'system', content: req.system },
    { role: 'user', content: req.user },
  ];
  let problem = '';
  for (let attempt = 0; attempt < chat.attempts; attempt++) {
    const request = {
      model: chat.model,
      messages: [...messages],
      response_format: { type: 'json_schema' as const, json_schema: { name: `haste_${req.role}`, strict: true, schema: jsonSchema } },
      max_tokens: req.maxTokens,
      // Warmer on each correction: at 0.2 the small model repeats the reply it was told is wrong.
      temperature: TEMPERATURES[Math.min(attempt, TEMPERATURES.length - 1)],
    };
    const started = Date.now();
    let reply: OpenAI.Chat.ChatCompletion;
    try {
      reply = await chat.client.chat.completions.create(request);
    } catch (err) {
      usage.latencyMs += Date.now() - started;
      throw new LlmRoleError(`the ${req.role} endpoint failed: ${errorMessage(err)}`, usage);
    }
    const latencyMs = Date.now() - started;
    const content = reply.choices[0]?.message.content ?? '';
    const exchange: LlmExchange = { request, reply: content, promptTokens: reply.usage?.prompt_tokens ?? 0, completionTokens: reply.usage?.completion_tokens ?? 0, latencyMs };
    usage.promptTokens += exchange.promptTokens;
    usage.completionTokens += exchange.completionTokens;
    usage.calls += 1;
    usage.latencyMs += latencyMs;
    usage.exchanges!.push(exchange);
    let value: T | undefined;
    try {
      const parsed = req.schema.safeParse(JSON.parse(content));
      if (parsed.success) value = parsed.data;
      else problem = describeIssues(parsed.error);
    } catch {
      problem = reply.choices[0]?.finish_reason === 'length' ? `the reply was cut off at ${req.maxTokens} tokens (not JSON); be brief` : 'the reply was not JSON';
    }
    if (value !== undefined) {
      const rule = req.check?.(value) ?? null;
      if (rule === null) return { value, usage };
      problem = rule;
    }
    exchange.problem = problem;
    messages.push({ role: 'assistant', content }, { role: 'user', content: `That reply is invalid: ${problem}. Answer again with the corrected JSON object only.` });
  }
  throw new LlmRoleError(`the ${req.role} gave no usable reply in ${chat.attempts} tries: ${problem}`, usage);
}

/**
 * Runs a role on the model and, when the model fails (unreachable, invalid replies), the offline role
 * instead: an episode never fails because an LLM did. The fallback is recorded on the usage.
 */
export async function withFallback<R extends { usage?: RoleUsage } | null>(role: AgentRole, viaLlm: () => Promise<R>, offline: () => Promise<R>): Promise<R> {
  try {
    return await viaLlm();
  } catch (err) {
    const spent: RoleUsage = err instanceof LlmRoleError ? err.usage : { role, backend: 'llm', promptTokens: 0, completionTokens: 0, calls: 0, latencyMs: 0 };
    const result = await offline();
    return (result === null ? null : { ...result, usage: { ...spent, backend: 'offline', fallback: errorMessage(err) } }) as R;
  }
}
