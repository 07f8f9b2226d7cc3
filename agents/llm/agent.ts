import OpenAI from 'openai';
import { z } from 'zod';
import type { HasteConfig } from '../../infra/config.js';
import { readRecord } from '../../infra/llm-server.js';
import { type Candidate, candidateKey } from '../../schemas/training.js';
import type { Agent, DebugContext, Distillation, DistillContext, Plan, PlanContext, Proposal, ProposeContext } from '../types.js';
import { structuredChat, withFallback, type ChatModel } from './chat.js';
import { codeSha256, CODE_REF } from '../../infra/solution-code.js';
import {
  boundedCandidateSchema,
  codeProblem,
  compressHistory,
  CUSTOM_CONTRACT,
  customFits,
  describeTemplates,
  estimateTokens,
  fittingTemplates,
  profile,
  skillsWithinBudget,
} from './context.js';

export interface LlmAgentOptions {
  chat: ChatModel;
  /** The same roles without a model: what a step falls back to when the model fails. */
  offline: Agent;
  /** Token budget for a prompt's variable part: skills and run history (HASTE_LLM_CONTEXT_TOKENS). */
  contextTokens: number;
}

/** Reply lengths: the model needs ≥ 400 tokens to finish an engineer's JSON (issue 12's measurements). */
const MAX_TOKENS = { planner: 300, engineer: 400, debugger: 400, distiller: 600 } as const;
/** When a role may write solution.py: room for a short one (~3,000 characters; codeProblem caps it at MAX_CODE_CHARS). */
const MAX_TOKENS_WITH_CODE = 900;
const SYSTEM =
  'You are a careful machine-learning engineer in an automated competition platform. Answer with one JSON object that follows the given schema; keep rationales to one or two sentences.';

// Last in each reply and short: a long rationale first made the small model copy the best step, at ~5 tokens/s.
const rationale = z.string().min(1).max(240);

/** The planner's split between stages, as the engineer should read it at this step. */
function screening(ctx: ProposeContext): string {
  if (ctx.plan.screenShare === undefined) return '';
  const until = Math.ceil(ctx.plan.screenShare * (ctx.maxSteps ?? ctx.competition.budget.maxSteps));
  return ctx.step < until ? `\nScreening stage until step ${until}: try the templates not yet screened.` : '\nRefining stage: improve on the best step so far.';
}

/** A candidate as history holds it: a `custom` one by its code's digest (the activity stores the code). */
function asStored(c: Candidate): Candidate {
  return c.template === 'custom' && typeof c.params.code === 'string' ? { template: 'custom', params: { [CODE_REF]: codeSha256(c.params.code) } } : c;
}

function untried(history: { candidate: Candidate }[]): (c: Candidate) => boolean {
  const tried = new Set(history.map((s) => candidateKey(s.candidate)));
  return (c) => !tried.has(candidateKey(asStored(c)));
}

/** The small model tends to paste the error into the "fixed" file (a syntax error): told so, it gets another try. */
function echoedError(c: Candidate, error: string | undefined): string | null {
  const code = c.params.code;
  const head = error?.trim().slice(0, 60);
  return typeof code === 'string' && head && code.includes(head) ? 'params.code contains the error message; send only the Python source of the fixed solution.py' : null;
}

/** The LLM backend: four roles on any OpenAI-compatible endpoint; replies are validated, never trusted. */
export function createLlmAgent({ chat, offline, contextTokens }: LlmAgentOptions): Agent {
  return {
    /** Planner: profile and global skills → which prototypes to screen, and the share of steps for screening. */
    async plan(ctx: PlanContext): Promise<Plan> {
      return withFallback<Plan>(
        'planner',
        async () => {
          const base = await offline.plan(ctx);
          const templates = fittingTemplates(ctx.competition);
          const skills = skillsWithinBudget(ctx.tiered?.global ?? [], contextTokens);
          const schema = z.strictObject({
            screen: z
              .array(z.enum(templates as [string, ...string[]]))
              .min(1)
              .max(Math.min(6, templates.length)),
            screenShare: z.number().min(0.1).max(1),
            rationale,
          });
          const user = [
            profile(ctx.competition),
            `Templates (runner prototypes) and their params:\n${describeTemplates(templates)}`,
            `Global skills (lessons from earlier competitions):\n${skills.text}`,
            'Plan the episode: which templates to screen first, best bet first (`screen`), and what share of the steps to spend screening before refining the best one (`screenShare`, 0.1..1).',
          ].join('\n\n');
          const { value, usage } = await structuredChat(chat, {
            role: 'planner',
            system: SYSTEM,
            user,
            schema,
            maxTokens: MAX_TOKENS.planner,
            skillsInContext: skills.ids,
            check: (v) => (new Set(v.screen).size === v.screen.length ? null : 'screen lists a template twice'),
          });
          const portfolio = value.screen.map((t) => base.portfolio.find((c) => c.template === t) ?? { template: t, params: {} });
          return { ...base, portfolio, screenShare: value.screenShare, skillIds: skills.ids, notes: `llm planner: ${value.rationale}`, usage };
        },
        () => offline.plan(ctx),
      );
    },

    /** Engineer: domain and task skills, the profile, the plan and the compressed run → the next candidate. */
    async propose(ctx: ProposeContext): Promise<Proposal | null> {
      const fresh = untried(ctx.history);
      const requested = ctx.initialCandidates.find(fresh);
      if (requested) return { candidate: requested, rationale: `requested: ${requested.template}`, tokens: 0 };
      return withFallback<Proposal | null>(
        'engineer',
        async () => {
          const templates = fittingTemplates(ctx.competition);
          const custom = customFits(ctx.competition);
          const history = compressHistory(ctx.history, ctx.competition.direction).join('\n');
          const skills = skillsWithinBudget([...(ctx.skills?.task ?? []), ...(ctx.skills?.domain ?? [])], contextTokens - estimateTokens(history));
          // Screened means tried at all: a template the model tried with its own params is not "not yet screened" (that misled it into repeats).
          const triedTemplates = new Set(ctx.history.map((s) => s.candidate.template));
          const toScreen = [...new Set(ctx.plan.portfolio.map((c) => c.template))].filter((t) => !triedTemplates.has(t));
          const user = [
            profile(ctx.competition),
            `Templates and the only params each accepts (ranges):\n${describeTemplates(templates)}${custom ? `\n- ${CUSTOM_CONTRACT}` : ''}`,
            `Domain and task skills:\n${skills.text}`,
            `Plan: ${ctx.plan.notes}${toScreen.length ? `\nNot yet screened: ${toScreen.join(', ')}` : ''}${screening(ctx)}`,
            `Steps so far (cross-validated on train):\n${history}`,
            `Step ${ctx.step}; ${Math.round(ctx.remainingComputeSeconds)} s compute left. Propose ONE candidate not tried before: a template and all of its params.`,
          ].join('\n\n');
          const schema = z.strictObject({ candidate: boundedCandidateSchema(templates, { custom }), rationale });
          const alternatives = toScreen.length ? `a template not yet screened (${toScreen.join(', ')})` : 'another template';
          const { value, usage } = await structuredChat(chat, {
            role: 'engineer',
            system: SYSTEM,
            user,
            schema,
            maxTokens: custom ? MAX_TOKENS_WITH_CODE : MAX_TOKENS.engineer,
            skillsInContext: skills.ids,
            check: (v) =>
              codeProblem(v.candidate) ??
              (fresh(v.candidate) ? null : `${JSON.stringify(asStored(v.candidate))} was already tried; propose ${alternatives} or different param values`),
          });
          const skillIds = [...new Set([...skills.ids, ...(ctx.plan.skillIds ?? [])])];
          return { candidate: value.candidate, rationale: `llm engineer: ${value.rationale}`, tokens: usage.promptTokens + usage.completionTokens, skillIds, usage };
        },
        () => offline.propose(ctx),
      );
    },

    /** Debugger: the failed step's error and candidate (and a `custom` step's code) → a fixed candidate of the same template. */
    async debug(ctx: DebugContext): Promise<Proposal | null> {
      return withFallback<Proposal | null>(
        'debugger',
        async () => {
          const { candidate, error } = ctx.failed;
          const isCustom = candidate.template === 'custom';
          if (isCustom && ctx.failedCode === undefined) throw new Error("the failed step's solution.py is not in the context");
          const fits = fittingTemplates(ctx.competition);
          const templates = isCustom ? [] : fits.includes(candidate.template) ? [candidate.template] : fits;
          const fresh = untried(ctx.history);
          const failedWith = isCustom ? `solution.py:\n${ctx.failedCode!.slice(0, 4000)}` : `Candidate: ${JSON.stringify(candidate)}`;
          const user = [
            profile(ctx.competition),
            `Step ${ctx.failed.step} failed.\n${failedWith}\nError: ${(error ?? 'unknown').slice(0, 1200)}`,
            isCustom ? CUSTOM_CONTRACT : `Accepted params and ranges:\n${describeTemplates(templates)}`,
            isCustom
              ? `Fix attempt ${ctx.attempt}. Propose a fixed solution.py (the whole file) that avoids this error, and say what caused it.`
              : `Fix attempt ${ctx.attempt}. Propose a fixed candidate that avoids this error (not one tried before), and say what caused it.`,
          ].join('\n\n');
          const schema = z.strictObject({ candidate: boundedCandidateSchema(templates, { custom: isCustom }), rationale });
          const { value, usage } = await structuredChat(chat, {
            role: 'debugger',
            system: SYSTEM,
            user,
            schema,
            maxTokens: isCustom ? MAX_TOKENS_WITH_CODE : MAX_TOKENS.debugger,
            check: (v) => codeProblem(v.candidate) ?? echoedError(v.candidate, error) ?? (fresh(v.candidate) ? null : 'that candidate was already tried'),
          });
          return { candidate: value.candidate, rationale: `llm debugger: ${value.rationale}`, tokens: usage.promptTokens + usage.completionTokens, usage };
        },
        () => offline.debug(ctx),
      );
    },

    /** Distiller: the measured results → 2–5 learnings ("when X, do Y"), each with a proposed tier. */
    async distill(ctx: DistillContext): Promise<Distillation> {
      return withFallback<Distillation>(
        'distiller',
        async () => {
          const templates = fittingTemplates(ctx.competition);
          const schema = z.strictObject({
            learnings: z
              .array(
                z.strictObject({
                  tier: z.enum(['global', 'domain', 'task']),
                  // Short fields: at a few tokens a second on a busy CPU, each learning costs seconds.
                  title: z.string().min(8).max(80),
                  when: z.string().min(5).max(120),
                  do: z.string().min(5).max(160),
                  template: z.enum(['none', ...templates]),
                }),
              )
              .min(2)
              .max(5),
            rationale,
          });
          const user = [
            profile(ctx.competition),
            `Measured steps (cross-validated on train):\n${compressHistory(ctx.history, ctx.competition.direction).join('\n')}`,
            'Write 2 to 5 learnings a future episode can act on, each "when <condition>, do <action>", grounded in these measurements. tier: task (this competition), domain (any ' +
              `${ctx.competition.domain} competition) or global (any competition); template: the template it recommends, or "none".`,
          ].join('\n\n');
          const { value, usage } = await structuredChat(chat, { role: 'distiller', system: SYSTEM, user, schema, maxTokens: MAX_TOKENS.distiller });
          return {
            learnings: value.learnings.map((l) => ({
              tier: l.tier,
              title: l.title,
              when: l.when,
              body: `When ${l.when}, ${l.do}`,
              template: l.template === 'none' ? undefined : l.template,
            })),
            rationale: `llm distiller: ${value.rationale}`,
            usage,
          };
        },
        () => offline.distill(ctx),
      );
    },
  };
}

/** Where the LLM agents send requests: OPENAI_BASE_URL, else the local server `haste dev up --llm` started. */
export function llmEndpoint(config: HasteConfig): { baseURL: string; apiKey: string; model: string } {
  if (config.llm.baseURL) return { baseURL: config.llm.baseURL, apiKey: config.llm.apiKey, model: config.llm.model ?? 'gpt-4o-mini' };
  // A recorded server that died is used all the same: its calls fail and each role falls back.
  const local = readRecord(config);
  if (local) return { baseURL: local.baseURL, apiKey: config.llm.apiKey, model: config.llm.model ?? local.model };
  throw new Error('the llm agent backend needs OPENAI_BASE_URL (any OpenAI-compatible endpoint) or the local model: `haste dev up --llm`');
}

/** The LLM agent for this config; the endpoint is looked up per use, so a restarted local server is found. */
export function createLlmAgentFromConfig(config: HasteConfig, offline: Agent, attempts = 3): Agent {
  const cache = new Map<string, Agent>();
  const current = (): Agent => {
    const endpoint = llmEndpoint(config);
    const key = `${endpoint.baseURL} ${endpoint.model}`;
    let agent = cache.get(key);
    if (!agent) {
      // One SDK retry for a dropped connection; an unreachable endpoint falls back quickly.
      const client = new OpenAI({ baseURL: endpoint.baseURL, apiKey: endpoint.apiKey, maxRetries: 1, timeout: config.llm.timeoutSeconds * 1000 });
      agent = createLlmAgent({ chat: { client, model: endpoint.model, attempts }, offline, contextTokens: config.llm.contextTokens });
      cache.set(key, agent);
    }
    return agent;
  };
  return {
    plan: (ctx) => current().plan(ctx),
    propose: (ctx) => current().propose(ctx),
    debug: (ctx) => current().debug(ctx),
    distill: (ctx) => current().distill(ctx),
  };
}
