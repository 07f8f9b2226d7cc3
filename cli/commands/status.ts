import type { Command } from 'commander';
import { episodeModel } from '../../agents/cost.js';
import { loadConfig } from '../../infra/config.js';
import { priceTableFromEnv } from '../../infra/prices.js';
import type { EpisodeSummary } from '../../schemas/episode.js';
import { statusQuery } from '../../workflows/episode.js';
import { connectClient } from '../../client/episodes.js';
import { UsageError } from '../errors.js';
import { describeStep, describeTokens, printSummary, summaryOutput, tokensOutput } from '../format.js';

export function registerStatus(program: Command): void {
  program
    .command('status <workflowId>')
    .description("an episode's state: live while it runs, its summary once done")
    .option('--json', 'print one JSON object on stdout')
    .action(async (workflowId: string, flags: { json?: boolean }) => {
      const config = loadConfig();
      // A bad price table stops here, before anything is asked of the server.
      const prices = priceTableFromEnv();
      const client = await connectClient(config);
      const handle = client.workflow.getHandle(workflowId);
      const description = await handle.describe().catch(() => {
        throw new UsageError(`no workflow ${workflowId} in namespace ${client.options.namespace}`);
      });
      const state = description.status.name;
      if (state === 'COMPLETED') {
        const summary = (await handle.result()) as EpisodeSummary;
        if (flags.json) console.log(JSON.stringify({ ...summaryOutput(description.runId, summary), ledger: summary.ledger, ...tokensOutput(summary, prices) }));
        else {
          printSummary(summary);
          summary.ledger.forEach((s) => console.log(describeStep(s, prices)));
          if (summary.tokens) describeTokens(summary.tokens, episodeModel(summary), prices).forEach((l) => console.log(l));
        }
        return;
      }
      const live = state === 'RUNNING' ? await handle.query(statusQuery) : null;
      if (flags.json) {
        console.log(JSON.stringify({ workflowId, runId: description.runId, status: state, ...live }));
        return;
      }
      console.log(`${workflowId} (run ${description.runId}): ${state}`);
      if (live) {
        console.log(
          `  phase ${live.phase}${live.paused ? ' (paused)' : ''}; steps ${live.steps}/${live.maxSteps}; compute ${live.computeSeconds.toFixed(1)}/${live.budgetComputeSeconds} s`,
        );
        console.log(`  best ${live.metric}: ${live.bestScore ?? '-'}${live.bestCandidate ? ` (${live.bestCandidate.template})` : ''}`);
        if (live.tokens !== undefined) console.log(`  LLM tokens so far: ${live.tokens}`);
        if (live.lastStep) console.log(`  last${describeStep(live.lastStep, prices)}`);
        if (live.currentStep) console.log(`  training step ${live.currentStep.step}: ${live.currentStep.candidate.template}`);
      }
    });
}
