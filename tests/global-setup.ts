import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { PROJECT_ROOT } from '../infra/config.js';
import { startDevServer } from '../infra/dev-server.js';
import { configEnv, discardEphemeral, ephemeralConfig } from '../infra/ephemeral.js';
import { startLlmServer, stopLlmServer } from '../infra/llm-server.js';

/**
 * One real Temporal dev server for the suite (tests that restart a server start their own), the local
 * LLM the LLM agents' tests run against (recorded under the suite's HASTE_HOME, where workers find it;
 * built once per machine by infra/setup.sh --with-test-tools, seconds when cached), and the workflow
 * bundle built once so that every worker, in-process or spawned, starts in about a second.
 */
export default async function setup() {
  // Every temporary folder of the run (the tests', their workers', the runner's) under one that teardown removes:
  // a test that fails before its own cleanup leaves nothing behind in /tmp.
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'haste-tests-'));
  process.env.TMPDIR = scratch;
  const config = await ephemeralConfig('suite');
  await startDevServer(config);
  await startLlmServer(config, { log: (line) => console.log(line) });
  const { code } = await bundleWorkflowCode({ workflowsPath: path.join(PROJECT_ROOT, 'workflows', 'index.ts'), logger: new DefaultLogger('WARN') });
  const bundle = path.join(config.home, 'workflow-bundle.js');
  writeFileSync(bundle, code);
  Object.assign(process.env, configEnv(config), { HASTE_WORKFLOW_BUNDLE: bundle });
  return async () => {
    await stopLlmServer(config);
    await discardEphemeral(config);
    rmSync(scratch, { recursive: true, force: true });
  };
}
