import type { NativeConnection, Worker } from '@temporalio/worker';
import type { HasteConfig } from '../infra/config.js';
import { connectWorker } from './connection.js';
import { createGpuWorker } from './gpu.js';
import { createOrchestratorWorker } from './orchestrator.js';

export interface InProcessWorkers {
  /** Shuts the workers down gracefully and closes their connection. */
  stop(): Promise<void>;
}

/** Both workers (or one) in this process: for `haste demo`, benchmarks and tests. */
export async function startInProcessWorkers(config: HasteConfig, which: ('orchestrator' | 'gpu')[] = ['orchestrator', 'gpu']): Promise<InProcessWorkers> {
  const connection: NativeConnection = await connectWorker(config);
  const workers: Worker[] = [];
  if (which.includes('orchestrator')) workers.push(await createOrchestratorWorker(config, connection));
  if (which.includes('gpu')) workers.push((await createGpuWorker(config, connection)).worker);
  const running = Promise.all(workers.map((w) => w.run()));
  return {
    async stop() {
      workers.forEach((w) => w.shutdown());
      await running;
      await connection.close();
    },
  };
}
