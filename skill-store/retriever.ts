import type { CompetitionSpec } from '../schemas/competition.js';
import type { Profile } from '../schemas/profile.js';
import { z } from 'zod';
import { SkillKindSchema, SkillRecipeSchema, SkillTierSchema } from './schema.js';

/** A skill as an episode sees it once retrieved: what an agent reads, and what the offline engineer can use. */
export const RetrievedSkillSchema = z.strictObject({
  id: z.string(),
  tier: SkillTierSchema,
  kind: SkillKindSchema,
  title: z.string(),
  body: z.string(),
  recipe: SkillRecipeSchema,
  /** relevance × evidence × condition match, in (0, ~1.5]: the order the agent should weigh them in. */
  score: z.number(),
});
export type RetrievedSkill = z.infer<typeof RetrievedSkillSchema>;

/** One episode's retrieved skills, tier by tier (as the retrieval artifact stores them). */
export const TieredSkillsSchema = z.strictObject({
  global: z.array(RetrievedSkillSchema),
  domain: z.array(RetrievedSkillSchema),
  task: z.array(RetrievedSkillSchema),
});
export type TieredSkills = z.infer<typeof TieredSkillsSchema>;

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
