import { runPythonJson } from '../infra/python.js';
import { GradeSchema, type Grade } from '../schemas/training.js';
import { asNonRetryable } from './competition.js';

async function grade(python: string, args: string[]): Promise<Grade> {
  try {
    const lines = await runPythonJson(python, 'grade', args);
    return GradeSchema.parse(lines.at(-1));
  } catch (err) {
    asNonRetryable(err, 'InvalidSubmission');
  }
}

export function createGradingActivities(python: string) {
  return {
    /** Scores a submission against the competition's hidden answers with its metric. */
    async gradeSubmission(input: { competitionDir: string; submission: string }): Promise<Grade> {
      return grade(python, ['--competition', input.competitionDir, '--submission', input.submission]);
    },
    /** The naive baseline (majority class, class prior or mean), graded the same way. */
    async gradeBaseline(input: { competitionDir: string }): Promise<Grade> {
      return grade(python, ['--competition', input.competitionDir, '--baseline']);
    },
  };
}
