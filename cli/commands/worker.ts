import type { Command } from 'commander';
import { runGpuWorker } from '../../workers/gpu.js';
import { runOrchestratorWorker } from '../../workers/orchestrator.js';
import { UsageError } from '../errors.js';

export function registerWorker(program: Command): void {
  program
    .command('worker <kind>')
    .description('run a worker until SIGINT/SIGTERM: orchestrator (haste-orchestrator) or gpu (haste-gpu)')
    .action(async (kind: string) => {
      if (kind === 'orchestrator') await runOrchestratorWorker();
      else if (kind === 'gpu') await runGpuWorker();
      else throw new UsageError(`worker kind must be orchestrator or gpu (got ${JSON.stringify(kind)})`);
    });
}
