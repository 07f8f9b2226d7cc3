import { ApplicationFailure } from '@temporalio/activity';
import type { Agent, DebugContext, DistillContext, Plan, PlanContext, Proposal, ProposeContext, RoleUsage } from '../agents/types.js';
import type { AgentBackend } from '../schemas/episode.js';
import { SkillsRefSchema, type SkillsRef } from '../schemas/references.js';
import { TieredSkillsSchema, type TieredSkills } from '../skill-store/retriever.js';
import { createSkill, type SkillRecord } from '../skill-store/schema.js';
import type { SkillStore } from '../skill-store/store.js';
import { activityName, readJsonArtifact, writeJsonArtifact } from './artifacts.js';

/** A missing endpoint or model setting will not fix itself on retry. */
function configurationFailure(err: unknown): never {
  if (err instanceof Error && /needs (OPENAI_|HASTE_LLM_)/.test(err.message)) throw ApplicationFailure.nonRetryable(err.message, 'AgentConfiguration');
  throw err;
}

export interface AgentActivityDeps {
  resolveAgent: (backend: AgentBackend) => Agent;
  /** Prompts and replies are written under here and travel by path, never in workflow history. */
  artifactsDir: string;
  openStore: () => Promise<SkillStore>;
}

/** The planner's activity input: the skills by reference, or (inputs scheduled by earlier releases) inline. */
export type PlanInput = Omit<PlanContext, 'skills' | 'tiered'> & { backend: AgentBackend; skillsRef?: SkillsRef; skills?: string[]; tiered?: TieredSkills };

/** The engineer's activity input: the skills by reference, or (earlier releases) inline. */
export type ProposeInput = ProposeContext & { backend: AgentBackend; skillsRef?: SkillsRef };

/** What the planner sees of retrieved skills: global summaries, and every tier for agents that use recipes as their prior. */
function planSkills(tiered: TieredSkills): Pick<PlanContext, 'skills' | 'tiered'> {
  return { skills: tiered.global.map((s) => `${s.title}: ${s.body}`), tiered };
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
      transcript = writeJsonArtifact(artifactsDir, 'llm', `${at.activityId}-${usage.role}-attempt${at.attempt}.json`, { role: usage.role, model: usage.model, exchanges });
    }
    return { ...result, usage: { ...rest, ...(transcript ? { transcript } : {}) } };
  };
  const run = async <T extends { usage?: RoleUsage } | null>(call: () => Promise<T>): Promise<T> => {
    try {
      return store(await call());
    } catch (err) {
      return configurationFailure(err);
    }
  };

  /** The retrieved skills a reference names, loaded from the artifact the retrieval wrote. */
  const loadSkills = (ref: SkillsRef): TieredSkills => readJsonArtifact(SkillsRefSchema.parse(ref).artifact, TieredSkillsSchema);

  return {
    /**
     * Planner (orchestrator level): the competition and global skills → a plan. The skills come by
     * reference (`skillsRef`); inputs scheduled before references existed carry them inline.
     */
    async planEpisode(input: PlanInput): Promise<Plan> {
      const { skillsRef, ...rest } = input;
      const ctx: PlanContext = skillsRef ? { ...rest, ...planSkills(loadSkills(skillsRef)) } : { ...rest, skills: input.skills ?? [] };
      return run(() => resolveAgent(input.backend).plan(ctx));
    },
    /** Engineer: the next candidate to train, or null when nothing is left worth trying (skills by reference, or inline in older inputs). */
    async proposeCandidate(input: ProposeInput): Promise<Proposal | null> {
      const { skillsRef, ...rest } = input;
      let ctx: ProposeContext = rest;
      if (skillsRef) {
        const { domain, task } = loadSkills(skillsRef);
        ctx = { ...rest, skills: { domain, task } };
      }
      return run(() => resolveAgent(input.backend).propose(ctx));
    },
    /** Debugger: a fixed version of a failed step's candidate, or null to move on. */
    async debugCandidate(input: DebugContext & { backend: AgentBackend }): Promise<Proposal | null> {
      return run(() => resolveAgent(input.backend).debug(input));
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
