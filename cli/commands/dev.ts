import type { Command } from 'commander';
import { loadConfig } from '../../infra/config.js';
import { devServerStatus, startDevServer, stopDevServer } from '../../infra/dev-server.js';
import { localLlmServer, startLlmServer, stopLlmServer } from '../../infra/llm-server.js';

export function registerDev(program: Command): void {
  const dev = program.command('dev').description('the local Temporal dev server (SQLite under HASTE_HOME, Web UI on)');
  dev
    .command('up')
    .description('start it if it is not running (idempotent); returns once healthy')
    .option('--llm', 'also the local model for `--agent llm` (llama-server; built once, ~17 min, then cached)')
    .action(async (flags: { llm?: boolean }) => {
      const config = loadConfig();
      const status = await startDevServer(config);
      console.log(`Temporal ${status.address} healthy${status.pid ? ` (pid ${status.pid}, ${status.dbFile})` : ' (not started by haste)'}; UI ${status.ui}`);
      if (flags.llm) {
        if (config.llm.baseURL) console.log(`note: OPENAI_BASE_URL is set (${config.llm.baseURL}); LLM agents use it, not the local model`);
        const llm = await startLlmServer(config, { log: (line) => console.log(line) });
        console.log(`local LLM ${llm.model} at ${llm.baseURL} (pid ${llm.pid}, log ${llm.logFile})`);
      }
    });
  dev
    .command('down')
    .description('stop the servers that `haste dev up` started (Temporal, and the local LLM if any)')
    .action(async () => {
      const config = loadConfig();
      if (await stopLlmServer(config)) console.log('local LLM stopped');
      console.log((await stopDevServer(config)) ? 'stopped' : 'no dev server started by haste is running');
    });
  dev
    .command('status')
    .description('is it running and healthy, with our search attributes')
    .option('--json', 'print one JSON object')
    .action(async (flags: { json?: boolean }) => {
      const config = loadConfig();
      const status = await devServerStatus(config);
      const llm = localLlmServer(config);
      if (flags.json) console.log(JSON.stringify({ ...status, llm }));
      else {
        console.log(`${status.address}: ${status.healthy ? 'healthy' : 'not reachable'}${status.managed ? ` (started by haste, pid ${status.pid})` : ''}`);
        if (status.healthy)
          console.log(`UI ${status.ui}; search attributes ${status.missingSearchAttributes.length ? `missing ${status.missingSearchAttributes.join(', ')}` : 'registered'}`);
        console.log(llm ? `local LLM ${llm.model} at ${llm.baseURL} (pid ${llm.pid})` : 'local LLM: not running (`haste dev up --llm`)');
      }
      if (!status.healthy) process.exitCode = 1;
    });
}
