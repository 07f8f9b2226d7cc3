import type { CompetitionSpec } from '../schemas/competition.js';
import type { Profile } from '../schemas/profile.js';
import type { SkillKind, SkillRecipe, SkillTier } from './schema.js';

/** A skill as an episode sees it once retrieved: what an agent reads, and what the offline engineer can use. */
export interface RetrievedSkill {
  id: string;
  tier: SkillTier;
  kind: SkillKind;
  title: string;
  body: string;
  recipe: SkillRecipe;
  /** relevance × evidence × condition match, in (0, ~1.5]: the order the agent should weigh them in. */
  score: number;
}

export interface TieredSkills {
  global: RetrievedSkill[];
  domain: RetrievedSkill[];
  task: RetrievedSkill[];
}

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
