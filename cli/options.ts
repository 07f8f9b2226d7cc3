import { z } from 'zod';
import { UsageError } from './errors.js';

/** Parses one CLI flag with zod; the error names the flag and what was given. */
export function parseFlag<T>(flag: string, schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new UsageError(`${flag}: ${parsed.error.issues[0]?.message ?? 'invalid'} (got ${JSON.stringify(value)})`);
  return parsed.data;
}

export const positiveNumber = z.coerce.number({ message: 'must be a number' }).positive('must be a positive number');
export const positiveInt = z.coerce.number({ message: 'must be a number' }).int('must be a whole number').positive('must be at least 1');
export const nonNegativeInt = z.coerce.number({ message: 'must be a number' }).int('must be a whole number').nonnegative('must be 0 or more');
