import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../infra/config.js';
import { embedderFromConfig } from '../../skill-store/open.js';
import { SqliteSkillStore } from '../../skill-store/sqlite.js';

const BATCHES = 12;
const BATCH_SIZE = 400;

function spawnSkillProcess(...args: string[]): { child: ChildProcess; output: Promise<string>; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'tests', 'helpers', 'skill-process.ts'), ...args], {
    cwd: PROJECT_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: exited.then(() => out), exited };
}

/** Rows per batch as the database holds them, and whether the FTS index matches the table. */
function inspect(file: string) {
  const db = new Database(file, { readonly: true });
  try {
    const perBatch = db.prepare(`SELECT json_extract(record, '$.title') AS title FROM skills`).all() as { title: string }[];
    const counts = new Map<string, number>();
    for (const { title } of perBatch) counts.set(title.split(' skill ')[0]!, (counts.get(title.split(' skill ')[0]!) ?? 0) + 1);
    return {
      integrity: (db.prepare('PRAGMA integrity_check').get() as { integrity_check: string }).integrity_check,
      skills: perBatch.length,
      fts: (db.prepare('SELECT count(*) AS n FROM skills_fts').get() as { n: number }).n,
      batchSizes: [...counts.values()],
    };
  } finally {
    db.close();
  }
}

describe('embedded skill store across processes', () => {
  it('a writer SIGKILLed mid-batch leaves whole batches only; the retry completes without duplicates', async () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'haste-skills-crash-')), 'skills.sqlite');
    const writer = spawnSkillProcess('write', file, String(BATCHES), String(BATCH_SIZE));
    // Kill once a few batches are in, while later ones are being written.
    await new Promise<void>((resolve) => writer.child.stdout!.on('data', (d: Buffer) => String(d).includes('batch 2') && resolve()));
    writer.child.kill('SIGKILL');
    await writer.exited;

    const afterKill = inspect(file);
    expect(afterKill.integrity).toBe('ok');
    expect(afterKill.skills).toBeLessThan(BATCHES * BATCH_SIZE);
    expect(afterKill.batchSizes.every((n) => n === BATCH_SIZE)).toBe(true);
    expect(afterKill.fts).toBe(afterKill.skills);

    const retry = spawnSkillProcess('write', file, String(BATCHES), String(BATCH_SIZE));
    expect(await retry.exited).toBe(0);
    const final = inspect(file);
    expect(final).toEqual({ integrity: 'ok', skills: BATCHES * BATCH_SIZE, fts: BATCHES * BATCH_SIZE, batchSizes: Array(BATCHES).fill(BATCH_SIZE) });
  });

  it('a reader process sees only whole batches while a writer process writes, and neither fails', async () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'haste-skills-rw-')), 'skills.sqlite');
    // Create the store first so both processes open an initialised file.
    await SqliteSkillStore.open({ file, embedder: embedderFromConfig({ kind: 'hashing' }) }).close();
    const writer = spawnSkillProcess('write', file, String(BATCHES), String(BATCH_SIZE));
    const reader = spawnSkillProcess('read', file, '6');
    const [writerCode, readerCode] = await Promise.all([writer.exited, reader.exited]);
    expect(writerCode).toBe(0);
    expect(readerCode).toBe(0);
    const summary = JSON.parse((await reader.output).trim()) as { reads: number; sizes: number[] };
    expect(summary.reads).toBeGreaterThan(5);
    expect(summary.sizes.every((n) => n % BATCH_SIZE === 0)).toBe(true);
    expect(summary.sizes.length).toBeGreaterThan(1); // it really read while the writer wrote
    expect(inspect(file).skills).toBe(BATCHES * BATCH_SIZE);
  });
});
