import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from './config.js';
import { CONTRACTS, contractJsonSchema, type ContractName } from '../schemas/contracts.js';

export const CONTRACTS_DIR = path.join(PROJECT_ROOT, 'runner', 'haste_runner', 'contracts');

/** The committed file for a contract and the text it should hold. */
export function contractFile(name: ContractName): { file: string; text: string } {
  return { file: path.join(CONTRACTS_DIR, `${name}.schema.json`), text: `${JSON.stringify(contractJsonSchema(name), null, 2)}\n` };
}

/** `tsx infra/export-contracts.ts [--check]`: writes the files, or with --check lists the stale ones and exits 1. */
function main(): void {
  const check = process.argv.includes('--check');
  const stale: string[] = [];
  for (const name of Object.keys(CONTRACTS) as ContractName[]) {
    const { file, text } = contractFile(name);
    let current = '';
    try {
      current = readFileSync(file, 'utf8');
    } catch {
      // missing: stale
    }
    if (current === text) continue;
    stale.push(path.relative(PROJECT_ROOT, file));
    if (!check) writeFileSync(file, text);
  }
  if (check && stale.length > 0) {
    console.error(`stale contract files (run npm run contracts:export): ${stale.join(', ')}`);
    process.exit(1);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) main();
