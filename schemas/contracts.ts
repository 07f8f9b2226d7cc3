import { z } from 'zod';
import { CompetitionYamlSchema } from './competition.js';
import { PipelineSpecSchema } from './pipeline.js';
import { ProfileSchema } from './profile.js';

/**
 * Contracts that both TypeScript and the Python runner enforce. zod owns each one; the runner validates
 * against the JSON Schema exported from it (runner/haste_runner/contracts/<name>.schema.json), so a rule
 * is written once. `npm run contracts:export` rewrites the files; a unit test fails when one is stale.
 */
export const CONTRACTS = {
  competition: CompetitionYamlSchema,
  pipeline: PipelineSpecSchema,
  profile: ProfileSchema,
} as const;
export type ContractName = keyof typeof CONTRACTS;

/** The JSON Schema of one contract as users write it (input side: defaults are optional). */
export function contractJsonSchema(name: ContractName): Record<string, unknown> {
  return z.toJSONSchema(CONTRACTS[name], { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>;
}
