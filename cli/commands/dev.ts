import type { Command } from 'commander';
import { loadConfig } from '../../infra/config.js';
import { devServerStatus, startDevServer, stopDevServer } from '../../infra/dev-server.js';

export function registerDev(program: Command): void {
  const dev = program.command('dev').description('the local Temporal dev server (SQLite under HASTE_HOME, Web UI on)');
  dev
    .command('up')
    .description('start it if it is not running (idempotent); returns once healthy')
    .action(async () => {
      const status = await startDevServer(loadConfig());
      console.log(`Temporal ${status.address} healthy${status.pid ? ` (pid ${status.pid}, ${status.dbFile})` : ' (not started by haste)'}; UI ${status.ui}`);
    });
  dev
    .command('down')
    .description('stop the server that `haste dev up` started')
    .action(async () => {
      console.log((await stopDevServer(loadConfig())) ? 'stopped' : 'no dev server started by haste is running');
    });
  dev
    .command('status')
    .description('is it running and healthy, with our search attributes')
    .option('--json', 'print one JSON object')
    .action(async (flags: { json?: boolean }) => {
      const status = await devServerStatus(loadConfig());
      if (flags.json) console.log(JSON.stringify(status));
      else {
        console.log(`${status.address}: ${status.healthy ? 'healthy' : 'not reachable'}${status.managed ? ` (started by haste, pid ${status.pid})` : ''}`);
        if (status.healthy) console.log(`UI ${status.ui}; search attributes ${status.missingSearchAttributes.length ? `missing ${status.missingSearchAttributes.join(', ')}` : 'registered'}`);
      }
      if (!status.healthy) process.exitCode = 1;
    });
}
