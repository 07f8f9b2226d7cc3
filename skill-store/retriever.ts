import type { CompetitionSpec } from '../schemas/competition.js';

/** A skill as an episode sees it once retrieved (the full record arrives with the skill store). */
export interface RetrievedSkill {
  id: string;
  tier: 'global' | 'domain' | 'task';
  title: string;
  body: string;
}

export interface TieredSkills {
  global: RetrievedSkill[];
  domain: RetrievedSkill[];
  task: RetrievedSkill[];
}

/** What an episode asks of the skill library: the skills for each tier, given the competition. */
export interface SkillRetriever {
  retrieve(competition: CompetitionSpec): Promise<TieredSkills>;
}

/** Until a skill store is configured there are no skills: every episode is a cold start. */
export const emptySkillRetriever: SkillRetriever = {
  async retrieve() {
    return { global: [], domain: [], task: [] };
  },
};
