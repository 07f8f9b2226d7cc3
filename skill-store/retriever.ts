import type { CompetitionSpec } from '../schemas/competition.js';
import type { Profile } from '../schemas/profile.js';
import type { TieredSkills } from '../schemas/skill.js';

/** What an episode asks of the skill library: the skills for each tier, given the competition (and its data profile, once computed). */
export interface SkillRetriever {
  retrieve(competition: CompetitionSpec, options?: { includeCandidates?: boolean }, profile?: Profile | null): Promise<TieredSkills>;
}

/** No library at all: every episode is a cold start (used where no store is wanted, e.g. unit tests of agents). */
export const emptySkillRetriever: SkillRetriever = {
  async retrieve() {
    return { global: [], domain: [], task: [] };
  },
};
