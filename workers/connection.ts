import { DefaultLogger, NativeConnection, Runtime, type LogLevel } from '@temporalio/worker';
import type { HasteConfig } from '../infra/config.js';

let runtimeInstalled = false;

/** The SDK logs every worker state change at INFO; HASTE_LOG_LEVEL (default WARN) keeps the CLI readable. */
function installRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const level = (process.env.HASTE_LOG_LEVEL ?? 'WARN').toUpperCase() as LogLevel;
  Runtime.install({ logger: new DefaultLogger(level) });
}

export async function connectWorker(config: HasteConfig): Promise<NativeConnection> {
  installRuntime();
  try {
    return await NativeConnection.connect({ address: config.temporalAddress });
  } catch (err) {
    throw new Error(`cannot reach Temporal at ${config.temporalAddress} (${(err as Error).message}); start it with \`haste dev up\` or set TEMPORAL_ADDRESS`);
  }
}
