import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../infra/config.js';

/**
 * Episodes run for days, so workers of a new release replay histories that the previous release
 * wrote. Every history recorded from a release (tests/histories/<release>/, tests/histories/record.ts)
 * must replay on today's workflow code without nondeterminism: a workflow change that would break
 * running episodes needs a patched() branch.
 */
const root = path.join(PROJECT_ROOT, 'tests', 'histories');
const recorded = readdirSync(root, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .flatMap((d) => {
    const index = JSON.parse(readFileSync(path.join(root, d.name, 'index.json'), 'utf8')) as Record<string, string>;
    return Object.entries(index).map(([name, workflowId]) => ({ file: path.join(d.name, `${name}.json`), workflowId }));
  });

describe('recorded histories of earlier releases', () => {
  it('exist', () => {
    expect(recorded.length).toBeGreaterThanOrEqual(5);
  });

  it.each(recorded)('$file replays on the current workflow code', async ({ file, workflowId }) => {
    // The `temporal workflow show --output json` format; runReplayHistory converts it.
    const history: unknown = JSON.parse(readFileSync(path.join(root, file), 'utf8'));
    await expect(Worker.runReplayHistory({ workflowBundle: { codePath: process.env.HASTE_WORKFLOW_BUNDLE! } }, history, workflowId)).resolves.toBeUndefined();
  });
});
