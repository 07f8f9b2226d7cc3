import { existsSync } from 'node:fs';
import { ApplicationFailure } from '@temporalio/activity';
import type { Agent, DebugContext, DistillContext, Plan, PlanContext, Proposal, ProposeContext, RoleUsage, StepView } from '../agents/types.js';
import { CODE_REF, codeByReference, readSolutionCode } from '../infra/solution-code.js';
import type { AgentBackend } from '../schemas/episode.js';
import type { Profile } from '../schemas/profile.js';
import { RunArtifactSchema, RunRefSchema, SkillsRefSchema, type RunRef, type SkillsRef } from '../schemas/references.js';
import { createSkill, TieredSkillsSchema, type SkillRecord, type TieredSkills } from '../schemas/skill.js';
import type { SkillStore } from '../skill-store/store.js';
import { activityName, artifactPath, readJsonArtifact, writeJsonArtifact } from './artifacts.js';

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

/**
 * The run so far: plan, profile and every step inline (earlier releases, and the first proposal with
 * `runRef: null`), or `runRef` with only the steps after it inline (plan and profile then come from the artifact).
 */
interface RunInput {
  plan?: Plan;
  profile?: Profile;
  history: StepView[];
  runRef?: RunRef | null;
}

/** The engineer's activity input: skills and the run so far by reference, or (earlier releases) inline. */
export type ProposeInput = Omit<ProposeContext, 'history' | 'plan' | 'profile'> & RunInput & { backend: AgentBackend; skillsRef?: SkillsRef };

/** The engineer's answer; with `runRef` in the input, also the reference to the run it stored. */
export type ProposeResult = (Proposal & { runRef?: RunRef }) | null;

/** The debugger's activity input: the run so far by reference or inline, like the engineer's. */
export type DebugInput = Omit<DebugContext, 'history' | 'plan'> & RunInput & { backend: AgentBackend };

type Run = Pick<ProposeContext, 'plan' | 'profile' | 'history'>;

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

  /** The retrieved skills a reference names, loaded from the artifact the retrieval wrote. */
  const loadSkills = (ref: SkillsRef): TieredSkills => readJsonArtifact(SkillsRefSchema.parse(ref).artifact, TieredSkillsSchema);

  /**
   * Writes the whole run to this workflow run's run artifact. Steps never change once recorded, so a
   * longer run keeps every earlier reference's prefix; a shorter one (a late retry of an earlier
   * proposal) leaves the file as it is.
   */
  const storeRun = (run: Run): RunRef => {
    const file = artifactPath(artifactsDir, 'runs', 'run.json');
    const steps = run.history.length;
    if (existsSync(file) && readJsonArtifact(file, RunArtifactSchema).history.length >= steps) return { artifact: file, steps };
    return { artifact: writeJsonArtifact(artifactsDir, 'runs', 'run.json', run), steps };
  };

  /** The whole run: plan, profile and referenced steps from the artifact, then the steps passed inline. */
  const loadRun = (input: RunInput): Run => {
    if (!input.runRef) {
      if (!input.plan) throw ApplicationFailure.nonRetryable('an agent input without runRef needs the plan', 'InvalidInput');
      return { plan: input.plan, ...(input.profile ? { profile: input.profile } : {}), history: input.history };
    }
    const ref = RunRefSchema.parse(input.runRef);
    const stored = readJsonArtifact(ref.artifact, RunArtifactSchema);
    if (stored.history.length < ref.steps)
      throw ApplicationFailure.nonRetryable(`artifact ${ref.artifact} holds ${stored.history.length} steps, the reference names ${ref.steps}`, 'ArtifactMalformed');
    const plan = stored.plan as Plan;
    return { plan, ...(stored.profile ? { profile: stored.profile } : {}), history: [...(stored.history.slice(0, ref.steps) as StepView[]), ...input.history] };
  };

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
    async proposeCandidate(input: ProposeInput): Promise<ProposeResult> {
      const { skillsRef, runRef, ...rest } = input;
      const soFar = loadRun(input);
      // Requested solution.py code is compared by reference, as the steps that ran it record it.
      let ctx: ProposeContext = { ...rest, ...soFar, initialCandidates: rest.initialCandidates.map((c) => codeByReference(artifactsDir, c)) };
      if (skillsRef) {
        const { domain, task } = loadSkills(skillsRef);
        ctx = { ...ctx, skills: { domain, task } };
      }
      const proposal = byReference(await run(() => resolveAgent(input.backend).propose(ctx)));
      // Asked for a reference (runRef present, null on the first proposal): the run is stored for the next one.
      if (!proposal || runRef === undefined) return proposal;
      return { ...proposal, runRef: storeRun(soFar) };
    },
    /** Debugger: a fixed version of a failed step's candidate, or null to move on. */
    async debugCandidate(input: DebugInput): Promise<Proposal | null> {
      const { plan, history } = loadRun(input);
      const ctx: DebugContext = { ...input, plan, history };
      const code = failedCode(ctx);
      return byReference(await run(() => resolveAgent(input.backend).debug(code === undefined ? ctx : { ...ctx, failedCode: code })));
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
