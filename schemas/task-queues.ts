/** Workflows and control-plane activities run on the orchestrator queue; training runs only on the GPU queue. */
export const TASK_QUEUES = { orchestrator: 'haste-orchestrator', gpu: 'haste-gpu' } as const;

/** One episode per competition and run tag: a repeated start finds the running one instead of a twin. */
export function episodeWorkflowId(competitionId: string, runTag = 'default'): string {
  return `haste-episode-${competitionId}-${runTag}`;
}

/**
 * Control-plane activities heartbeat while they run, so a dead orchestrator worker is noticed within
 * the heartbeat timeout and the activity retried elsewhere, not after its 10-minute start-to-close.
 */
export const CONTROL_HEARTBEAT = { timeout: '30 seconds', everyMs: 5_000 } as const;
