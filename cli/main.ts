import { WorkflowFailedError } from '@temporalio/client';
import { Command, CommanderError } from 'commander';
import { CompetitionError } from '../infra/competitions.js';
import { PriceTableError } from '../infra/prices.js';
import { registerBench } from './commands/bench.js';
import { registerCompetitions } from './commands/competitions.js';
import { registerControl } from './commands/control.js';
import { registerDemo } from './commands/demo.js';
import { registerDev } from './commands/dev.js';
import { registerReport } from './commands/report.js';
import { registerRun } from './commands/run.js';
import { registerSkills } from './commands/skills.js';
import { registerStatus } from './commands/status.js';
import { registerSweep } from './commands/sweep.js';
import { registerWorker } from './commands/worker.js';
import { rootCauseMessage } from '../schemas/issues.js';
import { UsageError } from './errors.js';

const program = new Command('haste').description('HASTE: durable ML-engineering episodes on Temporal that reuse tiered skills').showHelpAfterError().exitOverride();
registerDev(program);
registerWorker(program);
registerRun(program);
registerStatus(program);
registerControl(program);
registerCompetitions(program);
registerSweep(program);
registerReport(program);
registerBench(program);
registerSkills(program);
registerDemo(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2);
  if (err instanceof UsageError || err instanceof CompetitionError || err instanceof PriceTableError) {
    process.stderr.write(`haste: ${err.message}\n`);
    process.exit(2);
  }
  if (err instanceof WorkflowFailedError) {
    process.stderr.write(`haste: episode ${err.message.toLowerCase()}: ${rootCauseMessage(err)}\n`);
    process.exit(1);
  }
  process.stderr.write(`haste: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
}
