import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { z } from 'zod';
import { describeIssues } from '../schemas/issues.js';

/**
 * The artifact store as the control-plane activities use it: a payload too large for workflow history
 * (prompts, retrieved skills) is written as a JSON file under HASTE_HOME/artifacts and travels as its path.
 */

/** Where this activity runs (for artifact names); outside an activity (unit tests) a fixed name. */
export function activityName(): { workflowId: string; runId: string; activityId: string; attempt: number } {
  try {
    const info = Context.current().info;
    return {
      workflowId: info.workflowExecution?.workflowId ?? 'standalone',
      runId: info.workflowExecution?.runId ?? 'standalone',
      activityId: info.activityId,
      attempt: info.attempt,
    };
  } catch {
    return { workflowId: 'local', runId: 'local', activityId: String(Date.now()), attempt: 1 };
  }
}

/** `<artifactsDir>/<kind>/<workflowId>/<runId>/<file>` for the workflow run this activity serves. */
export function artifactPath(artifactsDir: string, kind: string, file: string): string {
  const at = activityName();
  return path.join(artifactsDir, kind, at.workflowId.replace(/[^A-Za-z0-9._-]/g, '_'), at.runId, file);
}

/** Writes `value` at artifactPath (atomically: a reader never sees half a file) and returns the path. */
export function writeJsonArtifact(artifactsDir: string, kind: string, file: string, value: unknown): string {
  const target = artifactPath(artifactsDir, kind, file);
  mkdirSync(path.dirname(target), { recursive: true });
  writeFileSync(`${target}.tmp`, JSON.stringify(value, null, 2));
  renameSync(`${target}.tmp`, target);
  return target;
}

/** Reads an artifact written by writeJsonArtifact; a missing or malformed one will not heal on retry. */
export function readJsonArtifact<S extends z.ZodType>(file: string, schema: S): z.output<S> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw ApplicationFailure.nonRetryable(`artifact ${file} cannot be read: ${(err as Error).message}`, 'ArtifactMissing');
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw ApplicationFailure.nonRetryable(`artifact ${file} is malformed: ${describeIssues(parsed.error)}`, 'ArtifactMalformed');
  return parsed.data;
}
