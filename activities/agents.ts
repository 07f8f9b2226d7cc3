import { ApplicationFailure } from '@temporalio/activity';
import type { Agent, Plan, PlanContext, Proposal, ProposeContext } from '../agents/types.js';
import type { AgentBackend } from '../schemas/episode.js';

/** A missing endpoint or model setting will not fix itself on retry. */
function configurationFailure(err: unknown): never {
  if (err instanceof Error && /needs (OPENAI_|HASTE_LLM_)/.test(err.message)) throw ApplicationFailure.nonRetryable(err.message, 'AgentConfiguration');
  throw err;
}

export function createAgentActivities(resolveAgent: (backend: AgentBackend) => Agent) {
  return {
    /** Orchestrator level: turns the competition and global skills into a plan. */
    async planEpisode(input: PlanContext & { backend: AgentBackend }): Promise<Plan> {
      try {
        return await resolveAgent(input.backend).plan(input);
      } catch (err) {
        configurationFailure(err);
      }
    },
    /** Competition engineer: the next candidate to train, or null when nothing is left worth trying. */
    async proposeCandidate(input: ProposeContext & { backend: AgentBackend }): Promise<Proposal | null> {
      try {
        return await resolveAgent(input.backend).propose(input);
      } catch (err) {
        configurationFailure(err);
      }
    },
  };
}
