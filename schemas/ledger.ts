/** What LLM calls cost: one role invocation (on each step record) and the episode's ledger (pure, so the workflow keeps it). */
export type AgentRole = 'planner' | 'engineer' | 'debugger' | 'distiller';

/** One chat exchange with a model, kept out of workflow history: the activity stores it as an artifact. */
export interface LlmExchange {
  request: unknown;
  reply: string;
  promptTokens: number;
  completionTokens: number;
  latencyMs: number;
  /** Why the reply was not used (invalid JSON, schema, rules); absent when it was. */
  problem?: string;
}

/** What one role invocation cost and how it went; travels in workflow history, so it stays small. */
export interface RoleUsage {
  role: AgentRole;
  /** Who answered: the model, or the offline role after the model failed. */
  backend: 'llm' | 'offline';
  model?: string;
  promptTokens: number;
  completionTokens: number;
  calls: number;
  latencyMs: number;
  /** Why the offline role answered instead (endpoint unreachable, invalid replies). */
  fallback?: string;
  /** The skills that were in the prompt (within HASTE_LLM_CONTEXT_TOKENS). */
  skillsInContext?: string[];
  /** Artifact file with the prompts and replies (written by the activity; never inlined in history). */
  transcript?: string;
  /** The exchanges themselves, only between agent and activity (the activity moves them to `transcript`). */
  exchanges?: LlmExchange[];
}

/** Tokens and calls of one role over an episode. */
export interface RoleTokens {
  promptTokens: number;
  completionTokens: number;
  calls: number;
  /** Role invocations the offline role answered because the model failed. */
  fallbacks: number;
  latencyMs: number;
}

/** The episode's LLM cost ledger: totals and per role (per step it is on each StepRecord's usage). */
export interface TokenLedger {
  promptTokens: number;
  completionTokens: number;
  byRole: Partial<Record<AgentRole, RoleTokens>>;
}

export function emptyLedger(): TokenLedger {
  return { promptTokens: 0, completionTokens: 0, byRole: {} };
}

/** Adds one role invocation to the ledger (pure: the episode workflow calls it). */
export function addUsage(ledger: TokenLedger, usage: RoleUsage): TokenLedger {
  const role = ledger.byRole[usage.role] ?? { promptTokens: 0, completionTokens: 0, calls: 0, fallbacks: 0, latencyMs: 0 };
  return {
    promptTokens: ledger.promptTokens + usage.promptTokens,
    completionTokens: ledger.completionTokens + usage.completionTokens,
    byRole: {
      ...ledger.byRole,
      [usage.role]: {
        promptTokens: role.promptTokens + usage.promptTokens,
        completionTokens: role.completionTokens + usage.completionTokens,
        calls: role.calls + usage.calls,
        fallbacks: role.fallbacks + (usage.fallback ? 1 : 0),
        latencyMs: role.latencyMs + usage.latencyMs,
      },
    },
  };
}

export function totalTokens(ledger: TokenLedger | undefined): number {
  return ledger ? ledger.promptTokens + ledger.completionTokens : 0;
}
