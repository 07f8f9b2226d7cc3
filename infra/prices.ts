import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { describeIssues } from '../schemas/issues.js';
import { PriceTableSchema, type PriceTable } from '../schemas/prices.js';

/** A price table that cannot be used: its message names the file and the field. */
export class PriceTableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PriceTableError';
  }
}

/** Reads and validates a price table (JSON or YAML: JSON is YAML); nothing is used from a bad file. */
export function loadPriceTable(file: string): PriceTable {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new PriceTableError(`HASTE_LLM_PRICES=${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  let raw: unknown;
  try {
    raw = YAML.parse(text);
  } catch (err) {
    throw new PriceTableError(`HASTE_LLM_PRICES=${file}: not valid JSON or YAML (${(err as Error).message.split('\n')[0]})`);
  }
  const parsed = PriceTableSchema.safeParse(raw);
  if (!parsed.success) throw new PriceTableError(`HASTE_LLM_PRICES=${file}: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

/** The table HASTE_LLM_PRICES names, or null when it is unset (token counts are shown without money). */
export function priceTableFromEnv(env: NodeJS.ProcessEnv = process.env): PriceTable | null {
  const file = env.HASTE_LLM_PRICES;
  return file ? loadPriceTable(file) : null;
}
