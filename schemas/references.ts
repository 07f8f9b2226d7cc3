import { z } from 'zod';
import { ProfileSchema } from './profile.js';
import { CandidateSchema } from './training.js';

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

/**
 * The run so far as the engineer and debugger activities receive it: the episode's plan, data profile
 * and first `steps` step views are in the artifact (which each proposal rewrites with the whole run, so
 * an earlier reference still reads the same prefix); later steps travel inline. Without it every
 * proposal would carry the plan, the profile and every earlier step: history grew with steps².
 */
export const RunRefSchema = z.strictObject({
  artifact: z.string().min(1, 'the path of the run artifact'),
  steps: z.number().int().nonnegative(),
});
export type RunRef = z.infer<typeof RunRefSchema>;

/**
 * The run artifact. The plan and step views are the agents' types (agents/types.ts Plan, StepView);
 * what every agent reads of them is checked here, the rest kept as written.
 */
export const RunArtifactSchema = z.strictObject({
  plan: z.looseObject({ portfolio: z.array(CandidateSchema), notes: z.string() }),
  profile: ProfileSchema.optional(),
  history: z.array(
    z.looseObject({
      step: z.number().int().nonnegative(),
      candidate: CandidateSchema,
      status: z.enum(['ok', 'failed', 'cancelled']),
      computeSeconds: z.number(),
    }),
  ),
});
