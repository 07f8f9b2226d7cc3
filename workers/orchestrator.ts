import { createRequire } from 'node:module';
import { Worker, type NativeConnection } from '@temporalio/worker';
import { createOrchestratorActivities, type OrchestratorDeps } from '../activities/index.js';
import { createAgentResolver } from '../agents/index.js';
import { loadConfig, type HasteConfig } from '../infra/config.js';
import { TASK_QUEUES } from '../schemas/task-queues.js';
import { openSkillStore } from '../skill-store/open.js';
import { createStoreRetriever } from '../skill-store/retrieval.js';
import { connectWorker } from './connection.js';

const require = createRequire(import.meta.url);

/**
 * Workflow code: a prebuilt bundle when HASTE_WORKFLOW_BUNDLE names one (tests, production images),
 * else bundled from source at start-up (a few seconds).
 */
function workflowCode(): { workflowBundle: { codePath: string } } | { workflowsPath: string } {
  const bundle = process.env.HASTE_WORKFLOW_BUNDLE;
  return bundle ? { workflowBundle: { codePath: bundle } } : { workflowsPath: require.resolve('../workflows/index.ts') };
}

export async function createOrchestratorWorker(config: HasteConfig, connection: NativeConnection, deps: Partial<OrchestratorDeps> = {}): Promise<Worker> {
  const openStore = deps.openStore ?? (() => openSkillStore(config.skills));
  return Worker.create({
    connection,
    namespace: config.namespace,
    taskQueue: TASK_QUEUES.orchestrator,
    ...workflowCode(),
    activities: createOrchestratorActivities({
      config,
      resolveAgent: deps.resolveAgent ?? createAgentResolver(config),
      skills: deps.skills ?? createStoreRetriever(openStore),
      openStore,
    }),
    shutdownGraceTime: '10 seconds',
  });
}

/** `haste worker orchestrator`: runs until SIGINT/SIGTERM, then drains gracefully. */
export async function runOrchestratorWorker(config = loadConfig()): Promise<void> {
  const connection = await connectWorker(config);
  try {
    const worker = await createOrchestratorWorker(config, connection);
    console.error(`orchestrator worker polling ${TASK_QUEUES.orchestrator} at ${config.temporalAddress}`);
    await worker.run();
  } finally {
    await connection.close();
  }
}
