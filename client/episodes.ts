import { Client, Connection, WorkflowIdConflictPolicy, WorkflowIdReusePolicy, type WorkflowHandle, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import type { HasteConfig } from '../infra/config.js';
import { loadCompetitionSpec } from '../infra/competitions.js';
import { EpisodeInputSchema, type EpisodeConfig, type EpisodeInput, type EpisodeStatus, type EpisodeSummary } from '../schemas/episode.js';
import { CompetitionIdKey, DomainKey, PhaseKey } from '../schemas/search-attributes.js';
import { episodeWorkflowId, TASK_QUEUES } from '../schemas/task-queues.js';
import type { competitionEpisode } from '../workflows/episode.js';
import { statusQuery } from '../workflows/episode.js';
import { UsageError } from '../infra/errors.js';
import { describeIssues } from '../schemas/issues.js';

export async function connectClient(config: HasteConfig): Promise<Client> {
  try {
    const connection = await Connection.connect({ address: config.temporalAddress, connectTimeout: 3000 });
    return new Client({ connection, namespace: config.namespace });
  } catch (err) {
    throw new UsageError(`cannot reach Temporal at ${config.temporalAddress} (${(err as Error).message}); start it with \`haste dev up\``);
  }
}

export interface StartedEpisode {
  handle: WorkflowHandleWithFirstExecutionRunId<typeof competitionEpisode>;
  input: EpisodeConfig;
  competitionId: string;
  /** False when a running episode with the same id was found and attached to instead. */
  started: boolean;
}

/**
 * Validates everything before anything reaches Temporal (input, competition, its data), then
 * starts the episode under its deterministic id; a repeated start attaches to the running one.
 */
export async function startEpisode(config: HasteConfig, client: Client, raw: EpisodeInput): Promise<StartedEpisode> {
  const parsed = EpisodeInputSchema.safeParse(raw);
  if (!parsed.success) {
    throw new UsageError(`invalid episode input:\n  ${describeIssues(parsed.error, '\n  ')}`);
  }
  const spec = await loadCompetitionSpec(config, parsed.data.competition);
  // Workers may run elsewhere: hand them the folder for user competitions, the id for built-ins.
  const input: EpisodeConfig = { ...parsed.data, competition: parsed.data.competition.includes('/') || parsed.data.competition.startsWith('.') ? spec.dir : spec.id };
  const workflowId = episodeWorkflowId(spec.id, input.runTag);
  const running = await client.workflow
    .getHandle(workflowId)
    .describe()
    .then((d) => d.status.name === 'RUNNING')
    .catch(() => false);
  const handle = await client.workflow.start<typeof competitionEpisode>('competitionEpisode', {
    taskQueue: TASK_QUEUES.orchestrator,
    workflowId,
    args: [input],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    typedSearchAttributes: [
      { key: CompetitionIdKey, value: spec.id },
      { key: DomainKey, value: spec.domain },
      { key: PhaseKey, value: 'queued' },
    ],
    memo: { competition: spec.title },
  });
  return { handle, input, competitionId: spec.id, started: !running };
}

/** Polls the status query and reports each newly finished step until the episode ends. */
export async function waitForEpisode(handle: WorkflowHandle<typeof competitionEpisode>, onProgress: (status: EpisodeStatus) => void, pollMs = 1000): Promise<EpisodeSummary> {
  const result = handle.result();
  let done = false;
  void result.finally(() => (done = true)).catch(() => undefined);
  while (!done) {
    try {
      onProgress(await handle.query(statusQuery));
    } catch {
      // The workflow may be between tasks or already closed; the result decides.
    }
    await Promise.race([result.catch(() => undefined), new Promise((r) => setTimeout(r, pollMs))]);
  }
  return result;
}
