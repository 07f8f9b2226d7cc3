import { ScheduleOverlapPolicy, WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/client';
import type { Command } from 'commander';
import { loadConfig } from '../../infra/config.js';
import { TASK_QUEUES } from '../../schemas/task-queues.js';
import type { sweep } from '../../workflows/sweep.js';
import { connectClient } from '../../client/episodes.js';
import { UsageError } from '../errors.js';
import { parseFlag, positiveInt, positiveNumber } from '../options.js';
import { listSchedules, scheduleId, sweepWorkflowId, validateSweep } from '../sweeps.js';

interface SweepFlags {
  concurrency: string;
  budgetSeconds?: string;
  maxSteps?: string;
  skills: boolean;
}

function sweepOptions(command: Command): Command {
  return command
    .option('--concurrency <n>', 'episodes at once', '2')
    .option('--budget-seconds <n>', 'compute budget per episode (default: each competition.yaml)')
    .option('--max-steps <n>', 'steps per episode (default: each competition.yaml)')
    .option('--no-skills', 'cold starts: retrieve no skills');
}

function sweepInput(competitions: string[], flags: SweepFlags) {
  return {
    competitions,
    concurrency: parseFlag('--concurrency', positiveInt, flags.concurrency),
    episode: {
      skills: flags.skills,
      budget: {
        computeSeconds: flags.budgetSeconds === undefined ? undefined : parseFlag('--budget-seconds', positiveNumber, flags.budgetSeconds),
        maxSteps: flags.maxSteps === undefined ? undefined : parseFlag('--max-steps', positiveInt, flags.maxSteps),
      },
    },
  };
}

export function registerSweep(program: Command): void {
  sweepOptions(
    program
      .command('sweep <competitions...>')
      .description('run several competitions as child episodes of one sweep workflow')
      .option('--tag <tag>', 'the sweep id is haste-sweep-<tag>', 'manual')
      .option('--wait', 'wait for the sweep to finish')
      .option('--json', 'print one JSON object on stdout'),
  ).action(async (competitions: string[], flags: SweepFlags & { tag: string; wait?: boolean; json?: boolean }) => {
    const config = loadConfig();
    const input = await validateSweep(config, sweepInput(competitions, flags));
    const client = await connectClient(config);
    const handle = await client.workflow.start<typeof sweep>('sweep', {
      taskQueue: TASK_QUEUES.orchestrator,
      workflowId: sweepWorkflowId(flags.tag),
      args: [input],
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    });
    process.stderr.write(`sweep ${handle.workflowId} running ${input.competitions.length} competitions\n`);
    if (!flags.wait) {
      console.log(flags.json ? JSON.stringify({ workflowId: handle.workflowId, runId: handle.firstExecutionRunId, status: 'RUNNING' }) : handle.workflowId);
      return;
    }
    const summary = await handle.result();
    if (flags.json) console.log(JSON.stringify(summary));
    else
      for (const e of summary.entries)
        console.log(
          `${e.competition.padEnd(24)} ${e.status.padEnd(9)} score ${e.finalScore?.toFixed(5) ?? '-'} (baseline ${e.baselineScore?.toFixed(5) ?? '-'}) ${e.computeSeconds.toFixed(1)} s${e.error ? `  ${e.error}` : ''}`,
        );
  });

  const schedule = program.command('schedule').description('Temporal Schedules that start sweeps (e.g. nightly)');
  sweepOptions(
    schedule
      .command('create <name> <competitions...>')
      .description('create a schedule that starts a sweep on a cron expression')
      .requiredOption('--cron <expr>', 'cron expression in UTC, e.g. "0 2 * * *" for 02:00 nightly'),
  ).action(async (name: string, competitions: string[], flags: SweepFlags & { cron: string }) => {
    const config = loadConfig();
    const input = await validateSweep(config, sweepInput(competitions, flags));
    const client = await connectClient(config);
    try {
      await client.schedule.create({
        scheduleId: scheduleId(name),
        spec: { cronExpressions: [flags.cron] },
        action: { type: 'startWorkflow', workflowType: 'sweep', taskQueue: TASK_QUEUES.orchestrator, workflowId: sweepWorkflowId(name), args: [input] },
        // A sweep still running when the next is due: skip the next rather than pile up.
        policies: { overlap: ScheduleOverlapPolicy.SKIP },
      });
    } catch (err) {
      throw new UsageError(`cannot create schedule ${scheduleId(name)}: ${(err as Error).message}`);
    }
    console.log(`schedule ${scheduleId(name)} created: ${flags.cron} → sweep over ${input.competitions.join(', ')}`);
  });
  schedule
    .command('ls')
    .description('list sweep schedules')
    .option('--json', 'one JSON array')
    .action(async (flags: { json?: boolean }) => {
      const schedules = await listSchedules(await connectClient(loadConfig()));
      if (flags.json) console.log(JSON.stringify(schedules));
      else for (const s of schedules) console.log(`${s.id}${s.paused ? ' (paused)' : ''}: ${s.recentRuns} recent runs`);
    });
  schedule
    .command('trigger <name>')
    .description('start the scheduled sweep now')
    .action(async (name: string) => {
      await (await connectClient(loadConfig())).schedule.getHandle(scheduleId(name)).trigger();
      console.log(`triggered ${scheduleId(name)}`);
    });
  schedule
    .command('delete <name>')
    .description('delete a sweep schedule (running sweeps go on)')
    .action(async (name: string) => {
      await (await connectClient(loadConfig())).schedule.getHandle(scheduleId(name)).delete();
      console.log(`deleted ${scheduleId(name)}`);
    });
}
