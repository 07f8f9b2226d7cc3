import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Agent, DebugContext, DistillContext, Plan, PlanContext, Proposal, ProposeContext, RoleUsage } from '../agents/types.js';
import { CODE_REF, codeByReference, readSolutionCode } from '../infra/solution-code.js';
import type { AgentBackend } from '../schemas/episode.js';
import { createSkill, type SkillRecord } from '../skill-store/schema.js';
import type { SkillStore } from '../skill-store/store.js';

/** A missing endpoint or model setting will not fix itself on retry. */
function configurationFailure(err: unknown): never {
  if (err instanceof Error && /needs (OPENAI_|HASTE_LLM_)/.test(err.message)) throw ApplicationFailure.nonRetryable(err.message, 'AgentConfiguration');
  throw err;
}

/** Where this activity runs (for artifact names); outside an activity (unit tests) a fixed name. */
function activityName(): { workflowId: string; runId: string; activityId: string; attempt: number } {
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

export interface AgentActivityDeps {
  resolveAgent: (backend: AgentBackend) => Agent;
  /** Prompts and replies are written under here and travel by path, never in workflow history. */
  artifactsDir: string;
  openStore: () => Promise<SkillStore>;
}

/** What the distiller wrote into the library. */
export interface DistilledLearnings {
  skillIds: string[];
  titles: string[];
  rationale: string;
  usage?: RoleUsage;
}

export function createAgentActivities({ resolveAgent, artifactsDir, openStore }: AgentActivityDeps) {
  /** Moves a role's prompts and replies to the artifact store; the usage keeps only the path. */
  const store = <T extends { usage?: RoleUsage } | null>(result: T): T => {
    const usage = result?.usage;
    if (!usage?.exchanges) return result;
    const { exchanges, ...rest } = usage;
    let transcript: string | undefined;
    if (exchanges.length > 0) {
      const at = activityName();
      const dir = path.join(artifactsDir, 'llm', at.workflowId, at.runId);
      mkdirSync(dir, { recursive: true });
      transcript = path.join(dir, `${at.activityId}-${usage.role}-attempt${at.attempt}.json`);
      writeFileSync(transcript, JSON.stringify({ role: usage.role, model: usage.model, exchanges }, null, 2));
    }
    return { ...result, usage: { ...rest, ...(transcript ? { transcript } : {}) } };
  };
  /** A proposal's solution.py goes to the artifact store; the candidate keeps its digest (infra/solution-code.ts). */
  const byReference = (proposal: Proposal | null): Proposal | null => (proposal ? { ...proposal, candidate: codeByReference(artifactsDir, proposal.candidate) } : null);
  /** A failed `custom` step's code, for the debugger to read (absent when the store no longer has it: the debugger then moves on). */
  const failedCode = (ctx: DebugContext): string | undefined => {
    const sha = ctx.failed.candidate.template === 'custom' ? ctx.failed.candidate.params[CODE_REF] : undefined;
    if (sha === undefined) return undefined;
    try {
      return readSolutionCode(artifactsDir, String(sha));
    } catch {
      return undefined;
    }
  };
  const run = async <T extends { usage?: RoleUsage } | null>(call: () => Promise<T>): Promise<T> => {
    try {
      return store(await call());
    } catch (err) {
      return configurationFailure(err);
    }
  };

  return {
    /** Planner (orchestrator level): the competition and global skills → a plan. */
    async planEpisode(input: PlanContext & { backend: AgentBackend }): Promise<Plan> {
      return run(() => resolveAgent(input.backend).plan(input));
    },
    /** Engineer: the next candidate to train, or null when nothing is left worth trying. */
    async proposeCandidate(input: ProposeContext & { backend: AgentBackend }): Promise<Proposal | null> {
      return byReference(await run(() => resolveAgent(input.backend).propose(input)));
    },
    /** Debugger: a fixed version of a failed step's candidate, or null to move on. */
    async debugCandidate(input: DebugContext & { backend: AgentBackend }): Promise<Proposal | null> {
      const code = failedCode(input);
      return byReference(await run(() => resolveAgent(input.backend).debug(code === undefined ? input : { ...input, failedCode: code })));
    },
    /**
     * Distiller: the episode's learnings, written to the library as `candidate` skills. They earn
     * `active` by evidence like any other skill (distill/); a model never promotes one.
     */
    async distillLearnings(input: DistillContext & { backend: AgentBackend; workflowId: string; runId: string }): Promise<DistilledLearnings> {
      const distillation = await run(() => resolveAgent(input.backend).distill(input));
      const { competition } = input;
      const drafted: SkillRecord[] = distillation.learnings.map((l) =>
        createSkill({
          tier: l.tier,
          scope: l.tier === 'global' ? {} : l.tier === 'domain' ? { domain: competition.domain } : { domain: competition.domain, competition: competition.id },
          kind: 'technique',
          title: l.title,
          body: l.body,
          recipe: l.template ? { template: l.template } : {},
          conditions: { taskTypes: [competition.taskType] },
          status: 'candidate',
          statusReason: 'proposed by the LLM distiller; unvalidated',
          provenance: { workflowId: input.workflowId, runId: input.runId, agentBackend: distillation.usage?.backend ?? input.backend, model: distillation.usage?.model },
        }),
      );
      const skills = [...new Map(drafted.map((s) => [s.id, s])).values()];
      if (skills.length > 0) {
        const library = await openStore();
        try {
          // A skill already in the library (same content, same id) keeps its status and evidence.
          const existing = new Set((await Promise.all(skills.map((s) => library.get(s.id)))).flatMap((s) => (s ? [s.id] : [])));
          await library.upsert(skills.filter((s) => !existing.has(s.id)));
        } finally {
          await library.close();
        }
      }
      return { skillIds: skills.map((s) => s.id), titles: skills.map((s) => s.title), rationale: distillation.rationale, usage: distillation.usage };
    },
  };
}
