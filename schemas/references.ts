import { z } from 'zod';

/**
 * The skills retrieved once for an episode, as workflow history carries them: their ids per tier and
 * the artifact file holding the records (written by the retrieval activity, read by the agent
 * activities), so a 50-step episode does not carry every skill's body 50 times.
 */
export const SkillsRefSchema = z.strictObject({
  artifact: z.string().min(1, 'the path of the retrieved skills artifact'),
  global: z.array(z.string()),
  domain: z.array(z.string()),
  task: z.array(z.string()),
});
export type SkillsRef = z.infer<typeof SkillsRefSchema>;
