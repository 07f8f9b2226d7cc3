import type { SkillRetriever } from '../skill-store/retriever.js';
import type { TieredSkills } from '../schemas/skill.js';
import type { CompetitionSpec } from '../schemas/competition.js';
import { ProfileSchema, type Profile } from '../schemas/profile.js';
import type { SkillsRef } from '../schemas/references.js';
import { writeJsonArtifact } from './artifacts.js';

type RetrievalInput = { competition: CompetitionSpec; enabled: boolean; includeCandidates?: boolean; profile?: Profile | null };

export function createSkillActivities(retriever: SkillRetriever, artifactsDir: string) {
  const retrieve = async (input: RetrievalInput): Promise<TieredSkills> => {
    if (!input.enabled) return { global: [], domain: [], task: [] };
    const profile = input.profile ? ProfileSchema.parse(input.profile) : null;
    return retriever.retrieve(input.competition, { includeCandidates: input.includeCandidates ?? false }, profile);
  };
  return {
    /**
     * Skills for each tier: global for the planner, domain for the specialist, task for the engineer,
     * only those whose conditions hold on the competition's profile (without one: competition.yaml's traits).
     * Returned whole: kept for episodes started before retrieveSkillsByReference.
     */
    async retrieveTieredSkills(input: RetrievalInput): Promise<TieredSkills> {
      return retrieve(input);
    },
    /**
     * The same retrieval, written once to the artifact store: history carries only the ids per tier and
     * the artifact's path, which the planner and engineer activities read the records from.
     */
    async retrieveSkillsByReference(input: RetrievalInput): Promise<SkillsRef> {
      const skills = await retrieve(input);
      const artifact = writeJsonArtifact(artifactsDir, 'skills', 'retrieved.json', skills);
      return { artifact, global: skills.global.map((s) => s.id), domain: skills.domain.map((s) => s.id), task: skills.task.map((s) => s.id) };
    },
  };
}
