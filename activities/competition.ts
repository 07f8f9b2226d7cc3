import { ApplicationFailure } from '@temporalio/activity';
import { CompetitionError, loadCompetitionSpec } from '../infra/competitions.js';
import type { HasteConfig } from '../infra/config.js';
import { PythonRunnerError } from '../infra/python.js';
import type { CompetitionSpec } from '../schemas/competition.js';

/** Retrying cannot fix a wrong competition or a bad file: fail the episode at once with the reason. */
export function asNonRetryable(err: unknown, type: string): never {
  if (err instanceof CompetitionError || (err instanceof PythonRunnerError && err.userError)) {
    throw ApplicationFailure.nonRetryable(err.message, type);
  }
  throw err;
}

export function createCompetitionActivities(config: HasteConfig) {
  return {
    /** Resolves a built-in id or folder, prepares built-in data on first use, validates it, computes its traits. */
    async loadCompetition(ref: string): Promise<CompetitionSpec> {
      try {
        return await loadCompetitionSpec(config, ref);
      } catch (err) {
        asNonRetryable(err, 'InvalidCompetition');
      }
    },
  };
}
