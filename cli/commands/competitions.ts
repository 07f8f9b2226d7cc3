import type { Command } from 'commander';
import { builtinIds, loadCompetitionSpec } from '../../infra/competitions.js';
import { loadConfig } from '../../infra/config.js';

export function registerCompetitions(program: Command): void {
  const competitions = program.command('competitions').description('built-in and bring-your-own competitions');
  competitions
    .command('ls')
    .description('list built-in competitions (prepares their data on first use)')
    .option('--json', 'one JSON array on stdout')
    .action(async (flags: { json?: boolean }) => {
      const config = loadConfig();
      const specs = [];
      for (const id of builtinIds()) specs.push(await loadCompetitionSpec(config, id));
      if (flags.json) console.log(JSON.stringify(specs));
      else for (const s of specs) console.log(`${s.id.padEnd(20)} ${s.domain.padEnd(12)} ${s.taskType.padEnd(11)} ${s.metric.padEnd(10)} rows ${String(s.traits.rows).padStart(6)}  target ${s.targetScore ?? '-'}  ${s.title}`);
    });
}
