import type { Command } from 'commander';
import { loadConfig, uiAddress } from '../../infra/config.js';
import { startDevServer } from '../../infra/dev-server.js';
import { startInProcessWorkers } from '../../workers/in-process.js';
import type { distillSkills } from '../../workflows/distill.js';
import { connectClient, startEpisode, waitForEpisode } from '../client.js';
import { createProgressPrinter, printSummary } from '../format.js';
import { parseFlag, positiveNumber } from '../options.js';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('start the dev server and both workers, run one episode, print the result')
    .option('--competition <id>', 'competition to run', 'titanic')
    .option('--budget-seconds <n>', 'compute budget in seconds', '60')
    .action(async (flags: { competition: string; budgetSeconds: string }) => {
      const config = loadConfig();
      const budgetSeconds = parseFlag('--budget-seconds', positiveNumber, flags.budgetSeconds);
      console.log(`Temporal dev server: ${(await startDevServer(config)).address}`);
      const workers = await startInProcessWorkers(config);
      try {
        const client = await connectClient(config);
        const { handle } = await startEpisode(config, client, { competition: flags.competition, budget: { computeSeconds: budgetSeconds }, runTag: `demo-${Date.now()}` });
        console.log(`episode ${handle.workflowId} started; watch it at ${uiAddress(config)}/namespaces/${config.namespace}/workflows/${handle.workflowId}`);
        const summary = await waitForEpisode(handle, createProgressPrinter((l) => console.log(l)));
        printSummary(summary);
        const { runId } = await handle.describe();
        const distilled = await client.workflow.getHandle<typeof distillSkills>(`haste-distill-${handle.workflowId}-${runId}`).result();
        console.log(`distilled into the skill library (${distilled.skills} skills): ${distilled.audit.map((a) => `${a.action} "${a.title}"`).join('; ') || 'nothing new'}`);
        console.log(`\nTemporal UI: ${uiAddress(config)}  (the dev server keeps running; \`npm run haste -- dev down\` stops it)`);
      } finally {
        await workers.stop();
      }
    });
}
