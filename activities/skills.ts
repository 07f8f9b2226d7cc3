import type { SkillRetriever } from '../skill-store/retriever.js';
import type { TieredSkills } from '../schemas/skill.js';
import type { CompetitionSpec } from '../schemas/competition.js';
import { ProfileSchema, type Profile } from '../schemas/profile.js';

export function createSkillActivities(retriever: SkillRetriever) {
  return {
    /**
     * Skills for each tier: global for the planner, domain for the specialist, task for the engineer,
     * only those whose conditions hold on the competition's profile (without one: competition.yaml's traits).
     */
    async retrieveTieredSkills(input: { competition: CompetitionSpec; enabled: boolean; includeCandidates?: boolean; profile?: Profile | null }): Promise<TieredSkills> {
      if (!input.enabled) return { global: [], domain: [], task: [] };
      const profile = input.profile ? ProfileSchema.parse(input.profile) : null;
      return retriever.retrieve(input.competition, { includeCandidates: input.includeCandidates ?? false }, profile);
    },
  };
}
