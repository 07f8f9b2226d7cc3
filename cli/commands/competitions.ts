import type { Command } from 'commander';
import path from 'node:path';
import { builtinIds, draftCompetitionYaml, formatProblem, loadCompetitionSpec, prepareBuiltins, validateCompetitionDir } from '../../infra/competitions.js';
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
      else
        for (const s of specs)
          console.log(
            `${s.id.padEnd(20)} ${s.domain.padEnd(12)} ${s.taskType.padEnd(11)} ${s.metric.padEnd(10)} rows ${String(s.traits.rows).padStart(6)}  target ${s.targetScore ?? '-'}  ${s.title}`,
          );
    });
  competitions
    .command('prepare')
    .description('prepare every built-in competition into HASTE_HOME (deterministic; up-to-date ones are kept)')
    .option('--json', 'one JSON array of {id, dir, files, rows} on stdout')
    .action(async (flags: { json?: boolean }) => {
      const prepared = await prepareBuiltins(loadConfig());
      if (flags.json) console.log(JSON.stringify(prepared));
      else for (const p of prepared) console.log(`${String(p.id).padEnd(20)} ${JSON.stringify(p.rows)}  ${String(p.dir)}`);
    });
  competitions
    .command('validate <dir>')
    .description('check a bring-your-own competition folder; every problem names its file, field and row')
    .option('--json', 'print {"ok", "problems"} as JSON')
    .action(async (dir: string, flags: { json?: boolean }) => {
      const report = await validateCompetitionDir(loadConfig(), dir);
      if (flags.json) console.log(JSON.stringify(report));
      else if (report.ok) console.log(`${dir}: valid`);
      else for (const p of report.problems) console.log(formatProblem(p));
      if (!report.ok) process.exitCode = 2;
    });
  competitions
    .command('init <dir>')
    .description('draft competition.yaml from your data (task type, metric, id, text, image and series columns guessed); prints it, writes it only if absent')
    .requiredOption('--train <file>', 'the training CSV (features and the target)')
    .requiredOption('--test <file>', 'the test CSV (features, no target)')
    .requiredOption('--target <column>', 'the column to predict')
    .option('--id <column>', 'the row id column (default: guessed)')
    .option('--force', 'replace an existing competition.yaml (and train/test copies)')
    .action(async (dir: string, flags: { train: string; test: string; target: string; id?: string; force?: boolean }) => {
      const code = await draftCompetitionYaml(loadConfig(), path.resolve(dir), { ...flags, train: path.resolve(flags.train), test: path.resolve(flags.test) });
      if (code !== 0) process.exitCode = code;
    });
}
