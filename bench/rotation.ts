import path from 'node:path';
import { BUILTIN_DEFINITIONS, builtinIds, readCompetitionYaml } from '../infra/competitions.js';

/** One fold of a rotation: a held-out competition and the competitions learned from first, in order. */
export interface Fold {
  heldout: string;
  train: string[];
}

/** A declared split: computed from the rotation and the suite alone, before anything runs. */
export interface RotationSplit {
  rotation: string;
  folds: Fold[];
}

export interface SuiteEntry {
  id: string;
  domain: string;
}

/** The built-in suite in its fixed order (by id), with each competition's domain. */
export function builtinSuite(): SuiteEntry[] {
  return builtinIds().map((id) => ({ id, domain: readCompetitionYaml(path.join(BUILTIN_DEFINITIONS, id)).domain }));
}

/**
 * Leave-one-competition-out over the suite. `all`: every competition is held out once and learned
 * on all the others; `<domain>`: every competition of the domain is held out once and learned on the
 * domain's others (the domain tier is where technique skills form; a whole-suite fold per domain
 * member would be as long as `all`). The learning order is the suite's fixed order, so the split
 * depends on nothing but the rotation and the suite: no split is chosen after seeing results.
 */
export function rotationSplit(rotation: string, suite: SuiteEntry[]): RotationSplit {
  const ordered = [...suite].sort((a, b) => (a.id < b.id ? -1 : 1));
  let pool: SuiteEntry[];
  if (rotation === 'all') pool = ordered;
  else {
    const domains = [...new Set(ordered.map((c) => c.domain))].sort();
    if (!domains.includes(rotation)) throw new Error(`--rotation: 'all' or a domain of the suite (${domains.join(', ')}), got '${rotation}'`);
    pool = ordered.filter((c) => c.domain === rotation);
    if (pool.length < 2) throw new Error(`--rotation ${rotation}: the suite has ${pool.length} competition(s) of that domain; leave-one-out needs at least 2`);
  }
  return { rotation, folds: pool.map((held) => ({ heldout: held.id, train: pool.filter((c) => c.id !== held.id).map((c) => c.id) })) };
}

/** The split as it is printed before anything runs: one line per fold. */
export function describeSplit(split: RotationSplit): string[] {
  return [
    `rotation ${split.rotation}: ${split.folds.length} fold(s), learning order fixed by competition id`,
    ...split.folds.map((f, i) => `fold ${i + 1}: held out ${f.heldout}; learn on ${f.train.join(', ')}`),
  ];
}

/**
 * Runs a declared split: prints it first, then each fold in order (the caller's runFold starts
 * each fold from an empty library).
 */
export async function runRotation<T>(split: RotationSplit, runFold: (fold: Fold, index: number) => Promise<T>, print: (line: string) => void): Promise<T[]> {
  for (const line of describeSplit(split)) print(line);
  const out: T[] = [];
  for (const [i, fold] of split.folds.entries()) out.push(await runFold(fold, i));
  return out;
}
