import type { Command } from 'commander';
import { episodeModel } from '../../agents/cost.js';
import { loadConfig } from '../../infra/config.js';
import { startLlmServer } from '../../infra/llm-server.js';
import { priceTableFromEnv } from '../../infra/prices.js';
import { AgentBackendSchema } from '../../schemas/episode.js';
import { connectClient, startEpisode, waitForEpisode } from '../../client/episodes.js';
import { createProgressPrinter, describeTokens, printSummary, summaryOutput, tokensOutput } from '../format.js';
import { nonNegativeInt, parseFlag, positiveInt, positiveNumber } from '../options.js';

interface RunFlags {
  budgetSeconds?: string;
  maxSteps?: string;
  seed?: string;
  skills: boolean;
  agent: string;
  tag?: string;
  wait?: boolean;
  json?: boolean;
}

export function registerRun(program: Command): void {
  program
    .command('run <competition>')
    .description('start a competition episode (built-in id or competition folder)')
    .option('--budget-seconds <n>', 'compute budget in seconds (default: competition.yaml)')
    .option('--max-steps <n>', 'maximum refinement steps (default: competition.yaml)')
    .option('--seed <n>', 'seed for the agent and cross-validation', '0')
    .option('--no-skills', 'cold start: retrieve no skills')
    .option('--agent <backend>', 'offline | llm', 'offline')
    .option('--tag <tag>', 'run tag: one episode per competition and tag', 'default')
    .option('--wait', 'wait for the result, showing progress')
    .option('--json', 'print one JSON object on stdout')
    .action(async (competition: string, flags: RunFlags) => {
      const config = loadConfig();
      const budget = {
        computeSeconds: flags.budgetSeconds === undefined ? undefined : parseFlag('--budget-seconds', positiveNumber, flags.budgetSeconds),
        maxSteps: flags.maxSteps === undefined ? undefined : parseFlag('--max-steps', positiveInt, flags.maxSteps),
      };
      const log = (line: string) => process.stderr.write(`${line}\n`);
      const prices = priceTableFromEnv();
      // Out of the box: without OPENAI_BASE_URL the LLM agents use the local model (started once, kept running).
      const agent = parseFlag('--agent', AgentBackendSchema, flags.agent);
      if (agent === 'llm' && !config.llm.baseURL) log(`local LLM at ${(await startLlmServer(config, { log })).baseURL}`);
      const client = await connectClient(config);
      const { handle, competitionId, started } = await startEpisode(config, client, {
        competition,
        budget,
        seed: parseFlag('--seed', nonNegativeInt, flags.seed),
        skills: flags.skills,
        agent,
        runTag: flags.tag,
      });
      log(`${started ? 'started' : 'attached to running'} ${handle.workflowId}`);
      if (!flags.wait) {
        const out = { workflowId: handle.workflowId, runId: handle.firstExecutionRunId, competitionId, status: 'RUNNING' };
        console.log(flags.json ? JSON.stringify(out) : `${out.workflowId} (run ${out.runId}) is running; \`haste status ${out.workflowId}\` to follow it`);
        return;
      }
      const summary = await waitForEpisode(handle, createProgressPrinter(log, { prices }));
      const { runId } = await handle.describe();
      if (flags.json) console.log(JSON.stringify({ ...summaryOutput(runId, summary), ...(summary.tokens ? tokensOutput(summary, prices) : {}) }));
      else {
        printSummary(summary);
        if (summary.tokens) describeTokens(summary.tokens, episodeModel(summary), prices).forEach((l) => console.log(l));
      }
    });
}
