import type { z } from 'zod';

/** One line per problem, each naming its field: "budget.computeSeconds: must be a positive number of seconds". */
export function describeIssues(error: z.ZodError, separator = '; '): string {
  return error.issues.map((i) => `${i.path.map(String).join('.') || '(input)'}: ${i.message}`).join(separator);
}

/** The innermost message of a failure chain (child workflow → activity → application failure). */
export function rootCauseMessage(err: unknown): string {
  let current: unknown = err;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  return current instanceof Error ? current.message : String(current);
}
