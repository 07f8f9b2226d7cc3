import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type HasteConfig } from './config.js';
import { stopDevServer } from './dev-server.js';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A throwaway HASTE config with its own home and free ports (tests, benchmarks). */
export async function ephemeralConfig(prefix: string, env: NodeJS.ProcessEnv = process.env): Promise<HasteConfig> {
  const home = mkdtempSync(path.join(os.tmpdir(), `haste-${prefix}-`));
  return loadConfig({
    ...env,
    HASTE_HOME: home,
    TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}`,
    TEMPORAL_UI_PORT: String(await freePort()),
  });
}

/**
 * Stops a throwaway config's dev server and removes its home (server database, prepared data,
 * artifacts): left behind, every test run kept its 1 GB or so.
 */
export async function discardEphemeral(config: HasteConfig): Promise<void> {
  await stopDevServer(config);
  rmSync(config.home, { recursive: true, force: true });
}

/** The environment a worker process needs to join the given config's server and home. */
export function configEnv(config: HasteConfig): NodeJS.ProcessEnv {
  return {
    ...process.env,
    HASTE_HOME: config.home,
    TEMPORAL_ADDRESS: config.temporalAddress,
    TEMPORAL_UI_PORT: String(config.uiPort),
  };
}
