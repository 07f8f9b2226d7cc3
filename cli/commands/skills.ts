import type { Command } from 'commander';
import { z } from 'zod';
import { loadConfig, type HasteConfig } from '../../infra/config.js';
import { TaskTypeSchema } from '../../schemas/competition.js';
import { statSync } from 'node:fs';
import { exportSkills, importSkills } from '../../skill-store/jsonl.js';
import { exportSkillMd, importSkillMd } from '../../skill-store/skill-md.js';
import { openSkillStore } from '../../skill-store/open.js';
import { SkillStatusSchema, SkillTierSchema, type SkillRecord } from '../../schemas/skill.js';
import { SearchModeSchema, SkillNotFoundError, type SkillFilter, type SkillStore } from '../../skill-store/store.js';
import { skillStoreUsageError, UsageError } from '../errors.js';
import { parseFlag, positiveInt } from '../options.js';

interface FilterFlags {
  tier?: string;
  domain?: string;
  status?: string;
  taskType?: string;
  json?: boolean;
}

const commaList = <T extends z.ZodType<unknown, string>>(item: T) =>
  z
    .string()
    .transform((s) => s.split(',').map((x) => x.trim()))
    .pipe(z.array(item));

function filterFrom(flags: FilterFlags): SkillFilter {
  return {
    tier: flags.tier === undefined ? undefined : parseFlag('--tier', commaList(SkillTierSchema), flags.tier),
    status: flags.status === undefined ? undefined : parseFlag('--status', commaList(SkillStatusSchema), flags.status),
    domain: flags.domain,
    taskType: flags.taskType === undefined ? undefined : parseFlag('--task-type', TaskTypeSchema, flags.taskType),
  };
}

function line(s: SkillRecord): string {
  const scope = s.scope.competition ?? s.scope.domain ?? '-';
  const stats = s.stats.uses ? `${s.stats.wins}/${s.stats.uses} wins, Δ${s.stats.meanDelta.toFixed(3)}` : 'unused';
  return `${s.id}  ${s.tier.padEnd(6)} ${scope.padEnd(16)} ${s.status.padEnd(10)} ${s.kind.padEnd(20)} ${stats.padEnd(22)} ${s.title}`;
}

/** Opens the configured store for one command and closes it; failures meant for the user exit 2 with one sentence. */
async function withStore<T>(run: (store: SkillStore) => Promise<T>): Promise<T> {
  let config: HasteConfig;
  try {
    config = loadConfig();
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  let store: SkillStore | undefined;
  try {
    store = await openSkillStore(config.skills);
    return await run(store);
  } catch (err) {
    throw skillStoreUsageError(err);
  } finally {
    await store?.close();
  }
}

export function registerSkills(program: Command): void {
  const skills = program.command('skills').description('inspect and curate the tiered skill library (Qdrant if QDRANT_URL is set, else HASTE_HOME/skills.sqlite)');
  const filterOptions = (c: Command) =>
    c
      .option('--tier <tiers>', 'global, domain, task (comma-separated)')
      .option('--domain <domain>', 'e.g. tabular')
      .option('--status <statuses>', 'candidate, active, deprecated, retired (comma-separated)')
      .option('--task-type <type>', 'binary, multiclass, regression, forecasting')
      .option('--json', 'print JSON on stdout');

  filterOptions(skills.command('ls').description('list skills, ordered by id')).action(async (flags: FilterFlags) => {
    await withStore(async (store) => {
      const found = await store.list(filterFrom(flags));
      if (flags.json) console.log(JSON.stringify(found));
      else found.forEach((s) => console.log(line(s)));
    });
  });

  filterOptions(skills.command('search <text>').description('hybrid (dense + BM25) search inside the filters'))
    .option('--limit <n>', 'how many', '10')
    .option('--mode <mode>', 'hybrid, dense or text', 'hybrid')
    .action(async (text: string, flags: FilterFlags & { limit: string; mode: string }) => {
      const limit = parseFlag('--limit', positiveInt, flags.limit);
      const mode = parseFlag('--mode', SearchModeSchema, flags.mode);
      await withStore(async (store) => {
        const hits = await store.search({ text, filter: filterFrom(flags), limit, mode });
        if (flags.json) console.log(JSON.stringify(hits.map((h) => ({ score: h.score, denseRank: h.denseRank, textRank: h.textRank, skill: h.skill }))));
        else hits.forEach((h) => console.log(`${h.score.toFixed(4)}  ${line(h.skill)}`));
      });
    });

  skills
    .command('show <id>')
    .description('one skill, in full, as JSON')
    .action(async (id: string) => {
      await withStore(async (store) => {
        const skill = await store.get(id);
        if (!skill) throw new SkillNotFoundError(id);
        console.log(JSON.stringify(skill, null, 2));
      });
    });

  skills
    .command('retire <id>')
    .description('stop a skill from being retrieved; it is kept with the reason')
    .requiredOption('--reason <text>', 'why it is retired (kept on the record)')
    .action(async (id: string, flags: { reason: string }) => {
      const reason = parseFlag('--reason', z.string().trim().min(1, 'must say why'), flags.reason);
      await withStore(async (store) => {
        const skill = await store.setStatus(id, 'retired', reason);
        console.log(`retired ${skill.id} (version ${skill.version}): ${skill.title}`);
      });
    });

  skills
    .command('export <path>')
    .description('every skill: a JSONL file, one per line, or (--format skill-md) a folder per skill with SKILL.md and recipe.json')
    .option('--format <format>', 'jsonl or skill-md', 'jsonl')
    .action(async (target: string, flags: { format: string }) => {
      const format = parseFlag('--format', z.enum(['jsonl', 'skill-md']), flags.format);
      await withStore(async (store) => {
        const count = format === 'jsonl' ? await exportSkills(store, target) : await exportSkillMd(store, target);
        console.error(`exported ${count} skills from ${store.location} to ${target} (${format})`);
      });
    });

  skills
    .command('import <path>')
    .description('a JSONL file or a SKILL.md folder, validated whole, then written in one batch (a bad line or file imports nothing); hand-written skills enter as candidates')
    .action(async (source: string) => {
      const found = statSync(source, { throwIfNoEntry: false });
      if (!found) throw new UsageError(`${source}: no such file or folder`);
      const isFolder = found.isDirectory();
      await withStore(async (store) => {
        const r = isFolder ? await importSkillMd(store, source) : await importSkills(store, source);
        console.error(`imported ${source} into ${store.location}: ${r.inserted} new, ${r.updated} updated, ${r.unchanged} unchanged`);
      });
    });
}
