import type { z } from 'zod';

/** One line per problem, each naming its field: "budget.computeSeconds: must be a positive number of seconds". */
export function describeIssues(error: z.ZodError, separator = '; '): string {
  return error.issues.map((i) => `${i.path.map(String).join('.') || '(input)'}: ${i.message}`).join(separator);
}
