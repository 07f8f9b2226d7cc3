import type { AgentRole, RoleUsage } from './types.js';

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
