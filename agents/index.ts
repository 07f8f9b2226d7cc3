import type { AgentBackend } from '../schemas/episode.js';
import { createLlmAgentFromEnv } from './llm/engineer.js';
import { proposeOffline } from './offline/engineer.js';
import { planOffline } from './offline/planner.js';
import { skillGuided } from './offline/skill-guided.js';
import type { Agent } from './types.js';

/** The offline backend: the portfolio-then-local-search policy with retrieved skills as its prior. */
export const offlineAgent: Agent = skillGuided({ plan: planOffline, propose: proposeOffline });

/** Resolves a backend name to an agent; the LLM one is built lazily so offline users need no endpoint. */
export function createAgentResolver(overrides: Partial<Record<AgentBackend, Agent>> = {}): (backend: AgentBackend) => Agent {
  let llm: Agent | undefined = overrides.llm;
  return (backend) => {
    if (backend === 'offline') return overrides.offline ?? offlineAgent;
    llm ??= createLlmAgentFromEnv();
    return llm;
  };
}
