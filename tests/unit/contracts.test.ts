import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { contractFile } from '../../infra/export-contracts.js';
import { CONTRACTS, type ContractName } from '../../schemas/contracts.js';

describe('contracts exported for the Python runner', () => {
  it.each(Object.keys(CONTRACTS) as ContractName[])('%s.schema.json matches its zod schema (npm run contracts:export)', (name) => {
    const { file, text } = contractFile(name);
    expect(readFileSync(file, 'utf8')).toBe(text);
  });
});
