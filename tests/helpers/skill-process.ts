/**
 * A separate process on an embedded skill store, for the crash and concurrency tests:
 *   write <file> <batches> <batchSize>   upserts deterministic batches, printing "batch N" after each
 *   read <file> <seconds>                lists and searches in a loop, printing one JSON summary
 * Uses the hashing embedder: these tests are about storage, and it keeps the write transactions dominant.
 */
import { SqliteSkillStore } from '../../skill-store/sqlite.js';
import { embedderFromConfig } from '../../skill-store/open.js';
import { createSkill } from '../../schemas/skill.js';

const [mode, file, a, b] = process.argv.slice(2);
const embedder = embedderFromConfig({ kind: 'hashing' });
const store = SqliteSkillStore.open({ file: file!, embedder });

export function batchSkills(batch: number, size: number) {
  return Array.from({ length: size }, (_, i) =>
    createSkill(
      {
        tier: 'domain',
        scope: { domain: 'tabular' },
        kind: 'technique',
        title: `batch ${batch} skill ${i}`,
        body: `Skill ${i} of batch ${batch}: gradient boosting with learning rate ${(i % 7) / 10} and ${i % 13} leaves.`,
        status: 'active',
      },
      new Date('2026-01-01T00:00:00Z'),
    ),
  );
}

if (mode === 'write') {
  for (let batch = 0; batch < Number(a); batch++) {
    await store.upsert(batchSkills(batch, Number(b)));
    process.stdout.write(`batch ${batch}\n`);
  }
} else if (mode === 'read') {
  const until = Date.now() + Number(a) * 1000;
  let reads = 0;
  const sizes = new Set<number>();
  while (Date.now() < until) {
    sizes.add((await store.list({ tier: ['domain'] })).length);
    await store.search({ text: 'gradient boosting learning rate', limit: 5 });
    reads++;
  }
  process.stdout.write(`${JSON.stringify({ reads, sizes: [...sizes] })}\n`);
}
await store.close();
