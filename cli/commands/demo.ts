import type { Command } from 'commander';
import { episodeModel } from '../../agents/cost.js';
import { loadConfig, uiAddress } from '../../infra/config.js';
import { startDevServer } from '../../infra/dev-server.js';
import { startLlmServer } from '../../infra/llm-server.js';
import { priceTableFromEnv } from '../../infra/prices.js';
import { AgentBackendSchema, type StepRecord } from '../../schemas/episode.js';
import { startInProcessWorkers } from '../../workers/in-process.js';
import type { distillSkills } from '../../workflows/distill.js';
import { connectClient, startEpisode, waitForEpisode } from '../../client/episodes.js';
import { createProgressPrinter, describeTokens, printSummary } from '../format.js';
import { parseFlag, positiveInt, positiveNumber } from '../options.js';

/** Which role answered a step and why: the model's rationale and latency, or the fallback's reason (tokens are on the step line). */
export function describeRole(s: StepRecord): string {
  const u = s.usage;
  const who = u ? `${u.role}${u.backend === 'offline' ? ' (offline fallback)' : ''}, ${(u.latencyMs / 1000).toFixed(1)} s` : 'no model asked';
  return `      ${who}: ${s.rationale}${u?.fallback ? ` [${u.fallback}]` : ''}`;
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('start the dev server and both workers, run one episode, print the result')
    .option('--competition <id>', 'competition to run', 'titanic')
    .option('--budget-seconds <n>', 'compute budget in seconds', '60')
    .option('--max-steps <n>', 'at most this many steps (default: competition.yaml)')
    .option('--agent <backend>', 'offline | llm (the local model unless OPENAI_BASE_URL is set)', 'offline')
    .action(async (flags: { competition: string; budgetSeconds: string; maxSteps?: string; agent: string }) => {
      const config = loadConfig();
      const budgetSeconds = parseFlag('--budget-seconds', positiveNumber, flags.budgetSeconds);
      const maxSteps = flags.maxSteps === undefined ? undefined : parseFlag('--max-steps', positiveInt, flags.maxSteps);
      const agent = parseFlag('--agent', AgentBackendSchema, flags.agent);
      const prices = priceTableFromEnv();
      console.log(`Temporal dev server: ${(await startDevServer(config)).address}`);
      if (agent === 'llm') console.log(`LLM: ${config.llm.baseURL ?? `local model at ${(await startLlmServer(config, { log: (l) => console.log(l) })).baseURL}`}`);
      const workers = await startInProcessWorkers(config);
      try {
        const client = await connectClient(config);
        const { handle } = await startEpisode(config, client, {
          competition: flags.competition,
          budget: { computeSeconds: budgetSeconds, maxSteps },
          agent,
          runTag: `demo-${Date.now()}`,
        });
        console.log(`episode ${handle.workflowId} started; watch it at ${uiAddress(config)}/namespaces/${config.namespace}/workflows/${handle.workflowId}`);
        const summary = await waitForEpisode(
          handle,
          // With an LLM agent each step's line is followed by the role's rationale.
          createProgressPrinter((l) => console.log(l), { prices, ...(agent === 'llm' ? { detail: describeRole } : {}) }),
        );
        printSummary(summary);
        if (agent === 'llm') {
          console.log(`  plan: ${summary.planNotes ?? '-'}`);
          if (summary.distilled)
            console.log(`  learnings (candidate skills): ${summary.distilled.titles.map((t) => `"${t}"`).join('; ') || 'none'} — ${summary.distilled.rationale}`);
          if (summary.tokens) describeTokens(summary.tokens, episodeModel(summary), prices).forEach((l) => console.log(l));
        }
        const { runId } = await handle.describe();
        const distilled = await client.workflow.getHandle<typeof distillSkills>(`haste-distill-${handle.workflowId}-${runId}`).result();
        console.log(`distilled into the skill library (${distilled.skills} skills): ${distilled.audit.map((a) => `${a.action} "${a.title}"`).join('; ') || 'nothing new'}`);
        console.log(`\nTemporal UI: ${uiAddress(config)}  (the dev server keeps running; \`npm run haste -- dev down\` stops it)`);
      } finally {
        await workers.stop();
      }
    });
}
