import type { SkillRetriever, TieredSkills } from '../skill-store/retriever.js';
import type { CompetitionSpec } from '../schemas/competition.js';

export function createSkillActivities(retriever: SkillRetriever) {
  return {
    /** Skills for each tier: global for the planner, domain for the specialist, task for the engineer. */
    async retrieveTieredSkills(input: { competition: CompetitionSpec; enabled: boolean; includeCandidates?: boolean }): Promise<TieredSkills> {
      if (!input.enabled) return { global: [], domain: [], task: [] };
      return retriever.retrieve(input.competition, { includeCandidates: input.includeCandidates ?? false });
    },
  };
}
