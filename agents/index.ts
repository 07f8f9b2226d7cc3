import type { HasteConfig } from '../infra/config.js';
import type { AgentBackend } from '../schemas/episode.js';
import { createLlmAgentFromConfig } from './llm/agent.js';
import { debugOffline, distillOffline } from './offline/debugger.js';
import { proposeOffline } from './offline/engineer.js';
import { planOffline } from './offline/planner.js';
import { skillGuided } from './offline/skill-guided.js';
import type { Agent } from './types.js';

/** The offline backend: the portfolio-then-local-search policy with retrieved skills as its prior. */
export const offlineAgent: Agent = skillGuided({ plan: planOffline, propose: proposeOffline, debug: debugOffline, distill: distillOffline });

/**
 * Resolves a backend name to an agent. The LLM one falls back to the offline roles step by step, and
 * finds its endpoint per use (OPENAI_BASE_URL, else the local server), so offline users need none.
 */
export function createAgentResolver(config: HasteConfig, overrides: Partial<Record<AgentBackend, Agent>> = {}): (backend: AgentBackend) => Agent {
  const offline = overrides.offline ?? offlineAgent;
  const llm = overrides.llm ?? createLlmAgentFromConfig(config, offline);
  return (backend) => (backend === 'offline' ? offline : llm);
}
