import type { Command } from 'commander';
import { loadConfig } from '../../infra/config.js';
import type { EpisodeStatus } from '../../schemas/episode.js';
import { extendBudgetUpdate, pauseUpdate, resumeUpdate, stopUpdate } from '../../workflows/episode.js';
import { connectClient } from '../../client/episodes.js';
import { UsageError } from '../errors.js';
import { parseFlag, positiveInt, positiveNumber } from '../options.js';

/** Runs an update and prints the episode's state after it; a rejected update is the user's error. */
async function sendUpdate(
  workflowId: string,
  send: (handle: ReturnType<Awaited<ReturnType<typeof connectClient>>['workflow']['getHandle']>) => Promise<EpisodeStatus>,
): Promise<void> {
  const client = await connectClient(loadConfig());
  try {
    const status = await send(client.workflow.getHandle(workflowId));
    console.log(JSON.stringify(status));
  } catch (err) {
    throw new UsageError(`${workflowId}: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}`);
  }
}

export function registerControl(program: Command): void {
  program
    .command('pause <workflowId>')
    .description('pause after the step in flight')
    .action((id: string) => sendUpdate(id, (h) => h.executeUpdate(pauseUpdate)));
  program
    .command('resume <workflowId>')
    .description('resume a paused episode')
    .action((id: string) => sendUpdate(id, (h) => h.executeUpdate(resumeUpdate)));
  program
    .command('extend <workflowId>')
    .description("add to an episode's budget")
    .option('--seconds <n>', 'compute seconds to add')
    .option('--steps <n>', 'steps to add')
    .action((id: string, flags: { seconds?: string; steps?: string }) => {
      const extension = {
        computeSeconds: flags.seconds === undefined ? undefined : parseFlag('--seconds', positiveNumber, flags.seconds),
        maxSteps: flags.steps === undefined ? undefined : parseFlag('--steps', positiveInt, flags.steps),
      };
      return sendUpdate(id, (h) => h.executeUpdate(extendBudgetUpdate, { args: [extension] }));
    });
  program
    .command('stop <workflowId>')
    .description('stop early: cancel the step in flight, grade the best so far')
    .option('--reason <text>', 'recorded with the episode')
    .action((id: string, flags: { reason?: string }) => sendUpdate(id, (h) => h.executeUpdate(stopUpdate, { args: [{ reason: flags.reason }] })));
}
