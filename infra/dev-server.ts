import { spawn } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, rmSync, writeFileSync, closeSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTE_REGISTRATION } from '../schemas/search-attributes.js';
import { uiAddress, type HasteConfig } from './config.js';
import { findTemporalCli } from './temporal-cli.js';

interface DevServerRecord {
  pid: number;
  address: string;
  uiPort: number;
  dbFile: string;
  logFile: string;
  startedAt: string;
}

export interface DevServerStatus {
  address: string;
  ui: string;
  healthy: boolean;
  /** Started by `haste dev up` (and so stoppable by `haste dev down`), as opposed to one found running. */
  managed: boolean;
  pid: number | null;
  missingSearchAttributes: string[];
  dbFile: string | null;
}

export interface StartOptions {
  /** `--dynamic-config-value KEY=VALUE` pairs, e.g. to make the server suggest continue-as-new early in tests. */
  dynamicConfig?: Record<string, string | number>;
  timeoutMs?: number;
}

function serverDir(config: HasteConfig): string {
  return path.join(config.home, 'temporal');
}
function recordFile(config: HasteConfig): string {
  return path.join(serverDir(config), 'server.json');
}

function readRecord(config: HasteConfig): DevServerRecord | null {
  try {
    return JSON.parse(readFileSync(recordFile(config), 'utf8')) as DevServerRecord;
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Asks the server itself: reachable, and which of our search attributes it lacks. */
async function probe(config: HasteConfig): Promise<{ healthy: boolean; missing: string[] }> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address: config.temporalAddress, connectTimeout: 1500 });
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: config.namespace });
    const present = new Set(Object.keys(customAttributes ?? {}));
    return { healthy: true, missing: Object.keys(SEARCH_ATTRIBUTE_REGISTRATION).filter((k) => !present.has(k)) };
  } catch {
    return { healthy: false, missing: Object.keys(SEARCH_ATTRIBUTE_REGISTRATION) };
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

export async function devServerStatus(config: HasteConfig): Promise<DevServerStatus> {
  const record = readRecord(config);
  const managed = record !== null && record.address === config.temporalAddress && isAlive(record.pid);
  const { healthy, missing } = await probe(config);
  return {
    address: config.temporalAddress,
    ui: uiAddress(config),
    healthy,
    managed,
    pid: managed ? record.pid : null,
    missingSearchAttributes: healthy ? missing : [],
    dbFile: managed ? record.dbFile : null,
  };
}

/**
 * Starts `temporal server start-dev` with its SQLite file under HASTE_HOME and our search attributes,
 * unless a healthy server already answers at TEMPORAL_ADDRESS. Idempotent; resolves once healthy.
 */
export async function startDevServer(config: HasteConfig, options: StartOptions = {}): Promise<DevServerStatus> {
  const before = await devServerStatus(config);
  if (before.healthy) {
    if (before.missingSearchAttributes.length > 0) {
      throw new Error(
        `the Temporal server at ${config.temporalAddress} lacks search attributes ${before.missingSearchAttributes.join(', ')}; ` +
          `register them with \`temporal operator search-attribute create --name <Name> --type <Type>\``,
      );
    }
    return before;
  }
  const [host, port] = config.temporalAddress.split(':') as [string, string];
  const dir = serverDir(config);
  mkdirSync(dir, { recursive: true });
  const dbFile = path.join(dir, 'dev.sqlite');
  const logFile = path.join(dir, 'server.log');
  const args = [
    'server',
    'start-dev',
    '--ip',
    host,
    '--port',
    port,
    '--ui-port',
    String(config.uiPort),
    '--namespace',
    config.namespace,
    '--db-filename',
    dbFile,
    '--log-level',
    'warn',
    ...Object.entries(SEARCH_ATTRIBUTE_REGISTRATION).flatMap(([name, type]) => ['--search-attribute', `${name}=${type}`]),
    ...Object.entries(options.dynamicConfig ?? {}).flatMap(([k, v]) => ['--dynamic-config-value', `${k}=${v}`]),
  ];
  const log = openSync(logFile, 'a');
  const child = spawn(findTemporalCli(config), args, { detached: true, stdio: ['ignore', log, log] });
  closeSync(log);
  child.unref();
  if (child.pid === undefined) throw new Error('could not start the temporal CLI');
  const record: DevServerRecord = { pid: child.pid, address: config.temporalAddress, uiPort: config.uiPort, dbFile, logFile, startedAt: new Date().toISOString() };
  writeFileSync(recordFile(config), JSON.stringify(record, null, 2));

  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  while (Date.now() < deadline) {
    if (!isAlive(child.pid)) {
      rmSync(recordFile(config), { force: true });
      const tail = readFileSync(logFile, 'utf8').trim().split('\n').slice(-10).join('\n');
      throw new Error(`temporal dev server exited during start-up (log ${logFile}):\n${tail}`);
    }
    const status = await devServerStatus(config);
    if (status.healthy && status.missingSearchAttributes.length === 0) return status;
    await sleep(300);
  }
  throw new Error(`temporal dev server did not become healthy at ${config.temporalAddress} within ${options.timeoutMs ?? 60_000} ms (log ${logFile})`);
}

/** Stops the dev server that `startDevServer` started; returns false when there was none. */
export async function stopDevServer(config: HasteConfig, timeoutMs = 20_000): Promise<boolean> {
  const record = readRecord(config);
  if (!record || !isAlive(record.pid)) {
    rmSync(recordFile(config), { force: true });
    return false;
  }
  // The CLI runs in its own process group; signal the group so its children go too.
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-record.pid, signal);
    } catch {
      try {
        process.kill(record.pid, signal);
      } catch {
        /* already gone */
      }
    }
  };
  signalGroup('SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (isAlive(record.pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(record.pid)) signalGroup('SIGKILL');
  while (isAlive(record.pid)) await sleep(50);
  rmSync(recordFile(config), { force: true });
  return true;
}
