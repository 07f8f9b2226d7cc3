import type { Agent } from '../agents/types.js';
import type { HasteConfig } from '../infra/config.js';
import type { SlotPool } from '../infra/gpu-slots.js';
import type { AgentBackend } from '../schemas/episode.js';
import { CONTROL_HEARTBEAT } from '../schemas/task-queues.js';
import type { SkillRetriever } from '../skill-store/retriever.js';
import type { SkillStore } from '../skill-store/store.js';
import { createAgentActivities } from './agents.js';
import { createCreditActivities } from './credit.js';
import { createDistillActivities } from './distill.js';
import { createCompetitionActivities } from './competition.js';
import { createGradingActivities } from './grading.js';
import { heartbeating } from './heartbeat.js';
import { createSkillActivities } from './skills.js';
import { createTrainingActivities } from './training.js';
import { createTrajectoryActivities } from './trajectory.js';

export interface OrchestratorDeps {
  config: HasteConfig;
  resolveAgent: (backend: AgentBackend) => Agent;
  skills: SkillRetriever;
  /** The skill library itself, opened per use (credit assignment and distillation write to it). */
  openStore: () => Promise<SkillStore>;
}

/** Control-plane activities, registered on haste-orchestrator; each heartbeats while it runs. */
export function createOrchestratorActivities(deps: OrchestratorDeps) {
  return heartbeating(
    {
      ...createCompetitionActivities(deps.config),
      ...createSkillActivities(deps.skills, deps.config.artifactsDir),
      ...createAgentActivities({ resolveAgent: deps.resolveAgent, artifactsDir: deps.config.artifactsDir, openStore: deps.openStore }),
      ...createGradingActivities(deps.config.python),
      ...createTrajectoryActivities(deps.config.runsDir),
      ...createCreditActivities(deps.openStore),
      ...createDistillActivities(deps.config, deps.openStore),
    },
    CONTROL_HEARTBEAT.everyMs,
  );
}

/** Training activities, registered on haste-gpu only. */
export function createGpuActivities(deps: { config: HasteConfig; slots: SlotPool; heartbeatEveryMs?: number }) {
  return createTrainingActivities({
    python: deps.config.python,
    artifactsDir: deps.config.artifactsDir,
    slots: deps.slots,
    sandbox: deps.config.sandbox,
    heartbeatEveryMs: deps.heartbeatEveryMs,
  });
}

export type OrchestratorActivities = ReturnType<typeof createOrchestratorActivities>;
export type GpuActivities = ReturnType<typeof createGpuActivities>;
