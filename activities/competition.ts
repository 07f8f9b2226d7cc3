import { ApplicationFailure } from '@temporalio/activity';
import { CompetitionError, loadCompetitionSpec } from '../infra/competitions.js';
import type { HasteConfig } from '../infra/config.js';
import { PythonRunnerError, runPythonJson } from '../infra/python.js';
import type { CompetitionSpec } from '../schemas/competition.js';
import { ProfileSchema, type Profile } from '../schemas/profile.js';

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
    /**
     * Stage 1 of the engineer: profiles the prepared competition's data without training anything
     * (`python -m haste_runner.profile`); the runner validates against the contract, this side parses again.
     */
    async profileCompetition(competitionDir: string): Promise<Profile> {
      try {
        const lines = await runPythonJson(config.python, 'profile', ['--competition', competitionDir]);
        const parsed = ProfileSchema.safeParse(lines.at(-1));
        if (!parsed.success) throw new Error(`the runner's profile of ${competitionDir} violates the profile contract: ${parsed.error.message}`);
        return parsed.data;
      } catch (err) {
        asNonRetryable(err, 'InvalidCompetition');
      }
    },
  };
}
