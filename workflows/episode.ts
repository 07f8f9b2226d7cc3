import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  defineQuery,
  defineUpdate,
  isCancellation,
  ParentClosePolicy,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  startChild,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { ProposeResult } from '../activities/agents.js';
import type { GpuActivities, OrchestratorActivities } from '../activities/index.js';
import type { Proposal } from '../agents/types.js';
import {
  EpisodeInputSchema,
  type BudgetExtension,
  type EpisodeConfig,
  type EpisodeInput,
  type EpisodeState,
  type EpisodeStatus,
  type EpisodeSummary,
  type StepRecord,
} from '../schemas/episode.js';
import { describeIssues } from '../schemas/issues.js';
import type { RoleUsage } from '../schemas/ledger.js';
import type { TieredSkills } from '../schemas/skill.js';
import { CONTROL_HEARTBEAT, TASK_QUEUES } from '../schemas/task-queues.js';
import { distillSkills } from './distill.js';
import { Episode, stagedFields, type StagedFields } from './episode-state.js';
import { chargeOfFailure } from './step-cost.js';

// ---- Messages: a query to watch, updates (not signals) so the caller learns at once whether it took.
export const statusQuery = defineQuery<EpisodeStatus>('status');
export const pauseUpdate = defineUpdate<EpisodeStatus>('pause');
export const resumeUpdate = defineUpdate<EpisodeStatus>('resume');
export const extendBudgetUpdate = defineUpdate<EpisodeStatus, [BudgetExtension]>('extendBudget');
export const stopUpdate = defineUpdate<EpisodeStatus, [{ reason?: string }]>('stop');

const control = proxyActivities<OrchestratorActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: CONTROL_HEARTBEAT.timeout,
  retry: { maximumAttempts: 5, initialInterval: '1 second' },
});

function parseInput(raw: EpisodeInput): EpisodeConfig {
  const parsed = EpisodeInputSchema.safeParse(raw);
  if (!parsed.success) {
    throw ApplicationFailure.nonRetryable(`invalid competitionEpisode input: ${describeIssues(parsed.error)}`, 'InvalidInput');
  }
  return parsed.data;
}

/**
 * Keeps the Temporal UI current: search attributes to filter on, a memo and a details line to read.
 * Each upsert is a history event, and about half of them (a step's start) changed nothing: episodes
 * from the 'publish-changes-only' patch on upsert only what changed since the last publish.
 */
function publisher(episode: Episode, requested: string): () => void {
  const publishChangesOnly = patched('publish-changes-only');
  const published = { attributes: '', memo: '' };
  return () => {
    const attributes = episode.searchAttributes();
    const memo = episode.memo(requested);
    const [attributesJson, memoJson] = [JSON.stringify(attributes), JSON.stringify(memo)];
    if (!publishChangesOnly || attributesJson !== published.attributes) upsertSearchAttributes(attributes);
    if (!publishChangesOnly || memoJson !== published.memo) upsertMemo(memo);
    Object.assign(published, { attributes: attributesJson, memo: memoJson });
    setCurrentDetails(episode.details(requested));
  };
}

/**
 * One competition, one durable episode: load → profile → skills → plan → { propose → train on
 * haste-gpu → evaluate → keep the best } until budget, target or stop → grade → record the trajectory.
 * `carried` is only ever passed by continue-as-new. The state and its rules live in `Episode`; this
 * function issues the commands, in an order that running episodes' histories fix.
 */
export async function competitionEpisode(rawInput: EpisodeInput, carried?: EpisodeState): Promise<EpisodeSummary> {
  const input = parseInput(rawInput);
  const episode = new Episode(input, carried);
  const state = episode.state;
  // Budgets that hold: steps get a deadline, are not started when their estimated cost exceeds what is
  // left, and failed steps are charged the activity's slot seconds. Runs started before keep the old rules.
  const budgetsHold = patched('budgets-hold');
  // The plan, the profile and earlier steps reach the engineer and debugger by reference (the engineer's
  // activity stores the run), not again on every step: history grew with steps². Runs started before keep them inline.
  const runByReference = patched('run-by-reference');
  let trainingScope: CancellationScope | null = null;

  const gpu = proxyActivities<GpuActivities>({
    taskQueue: TASK_QUEUES.gpu,
    startToCloseTimeout: '24 hours',
    heartbeatTimeout: input.training.heartbeatTimeoutSeconds * 1000,
    retry: { maximumAttempts: input.training.maxAttempts, initialInterval: '1 second', nonRetryableErrorTypes: ['SolutionError'] },
  });
  const publish = publisher(episode, rawInput.competition);

  // ---- Handlers: each update changes the state, shows it in the UI and answers the new status.
  const running = { validator: () => episode.assertRunning() };
  const answer = (change: () => void): EpisodeStatus => {
    change();
    publish();
    return episode.status();
  };
  setHandler(statusQuery, () => episode.status());
  setHandler(pauseUpdate, () => answer(() => episode.pause()), running);
  setHandler(resumeUpdate, () => answer(() => episode.resume()), running);
  setHandler(extendBudgetUpdate, (extension) => answer(() => episode.extend(extension)), { validator: (extension) => episode.validateExtension(extension) });
  setHandler(
    stopUpdate,
    // Stop is prompt: the step in flight is cancelled and the best model so far is graded.
    (request: { reason?: string }) =>
      answer(() => {
        episode.requestStop(request.reason);
        trainingScope?.cancel();
      }),
    { validator: (_request: { reason?: string }) => episode.assertRunning() },
  );

  // ---- Main logic
  await load();
  await profile();
  if (!state.plan) await plan(await retrieveSkills());
  episode.enter('training');
  publish();
  await trainUntilDone();
  const scores = await grade();
  await distillWithAgent(workflowInfo().workflowId, workflowInfo().runId);
  episode.enter('completed');
  publish();
  const { workflowId, runId } = workflowInfo();
  const trajectory = await record(workflowId, runId, scores);
  await condition(allHandlersFinished);
  return episode.summary(workflowId, scores, trajectory);

  // ---- Stages, in the order they run

  async function load(): Promise<void> {
    if (!state.competition) episode.load(await control.loadCompetition(input.competition));
    publish();
  }

  /** Stage 1 of the engineer: the data profile, once, before planning (episodes from this patch on). */
  async function profile(): Promise<void> {
    if (state.profile || state.plan || !patched('profile')) return;
    episode.enter('profiling');
    publish();
    try {
      state.profile = await control.profileCompetition(episode.competition.dir);
    } catch (err) {
      // Without a profile the engineer works as before stages: a profiler fault must not end the episode.
      if (!(err instanceof ActivityFailure)) throw err;
    }
  }

  async function retrieveSkills(): Promise<{ byReference: true } | { byReference: false; skills: TieredSkills }> {
    episode.enter('planning');
    publish();
    const retrieval = { competition: episode.competition, enabled: input.skills, includeCandidates: input.validateSkills, profile: state.profile ?? null };
    if (patched('skills-by-reference')) {
      // The records stay in the artifact store: history carries their ids, once, not once per step.
      state.skillsRef = await control.retrieveSkillsByReference(retrieval);
      return { byReference: true };
    }
    const skills = await control.retrieveTieredSkills(retrieval);
    state.skills = skills;
    return { byReference: false, skills };
  }

  async function plan(retrieved: Awaited<ReturnType<typeof retrieveSkills>>): Promise<void> {
    const planning = {
      competition: episode.competition,
      budget: state.budget,
      seed: input.seed,
      ...(episode.stagedProfile ? { profile: episode.stagedProfile } : {}),
      backend: input.agent,
    };
    state.plan = retrieved.byReference
      ? await control.planEpisode({ ...planning, skillsRef: state.skillsRef })
      : await control.planEpisode({ ...planning, skills: retrieved.skills.global.map((s) => `${s.title}: ${s.body}`), tiered: retrieved.skills });
    account(state.plan.usage);
  }

  /** Steps until a stop, the target or the budget ends them (or continue-as-new carries the state on). */
  async function trainUntilDone(): Promise<void> {
    for (;;) {
      if (episode.holding) {
        publish();
        await condition(() => episode.released());
        continue;
      }
      const reason = episode.exhausted();
      if (reason) return episode.finish(reason);
      if (workflowInfo().continueAsNewSuggested) {
        await condition(allHandlersFinished);
        return continueAsNew<typeof competitionEpisode>(rawInput, episode.continued());
      }
      const step = episode.nextStep;
      const fix = await debugFailedStep(step);
      const proposal: ProposeResult = fix?.proposal ?? (await propose(step));
      if (!proposal) return episode.finish('no-candidates');
      if (proposal.runRef) state.runRef = proposal.runRef;
      account(proposal.usage);
      const overrun = budgetsHold ? episode.overrun(proposal.candidate, () => patched('pipeline-step-cost')) : null;
      if (overrun) return episode.finish('budget', overrun);
      const staged = stagedFields(proposal);
      if (proposal.stage) episode.enter(proposal.stage);
      episode.record(await runStep(step, proposal, staged), proposal, fix?.debugOf);
      publish();
    }
  }

  function propose(step: number): Promise<ProposeResult> {
    return control.proposeCandidate({
      competition: episode.competition,
      ...episode.runSoFar({ plan: episode.plan, ...(episode.stagedProfile ? { profile: episode.stagedProfile } : {}) }, runByReference),
      seed: input.seed,
      step,
      remainingComputeSeconds: episode.remainingComputeSeconds(),
      maxSteps: state.budget.maxSteps,
      initialCandidates: input.initialCandidates,
      ...(episode.stagedProfile ? { remainingSteps: episode.remainingSteps() } : {}),
      ...(state.skillsRef ? { skillsRef: state.skillsRef } : { skills: { domain: state.skills?.domain ?? [], task: state.skills?.task ?? [] } }),
      backend: input.agent,
    });
  }

  /** After a failed step, the debugger's fix (see Episode.debugTarget); null when the engineer should move on instead. */
  async function debugFailedStep(step: number): Promise<{ proposal: Proposal; debugOf: number } | null> {
    const target = episode.debugTarget();
    if (!target || !patched('agent-debugger')) return null;
    const proposal = await control.debugCandidate({
      competition: episode.competition,
      ...episode.runSoFar({ plan: episode.plan }, runByReference),
      failed: target.failed,
      attempt: target.attempt,
      seed: input.seed,
      step,
      backend: input.agent,
    });
    return proposal ? { proposal, debugOf: target.debugOf } : null;
  }

  /** Trains one candidate on haste-gpu and grades its submission; a failed or cancelled step is part of the trajectory, not the end of the episode. */
  async function runStep(step: number, proposal: Proposal, staged: StagedFields): Promise<StepRecord> {
    const startedAt = Date.now();
    const base = episode.startStep(step, proposal, staged);
    publish();
    try {
      trainingScope = new CancellationScope();
      const result = await trainingScope.run(() =>
        gpu.trainCandidate({
          workflowId: workflowInfo().workflowId,
          step,
          competitionDir: episode.competition.dir,
          candidate: proposal.candidate,
          seed: input.seed,
          folds: input.training.folds,
          checkpointEvery: input.training.checkpointEvery,
          ...(budgetsHold ? { computeSecondsLimit: Math.max(0, episode.remainingComputeSeconds()) } : {}),
          ...(staged.artifactSteps?.length ? { artifactSteps: staged.artifactSteps } : {}),
        }),
      );
      const graded = await control.gradeSubmission({ competitionDir: episode.competition.dir, submission: result.submission });
      return episode.trained(base, result, graded.score);
    } catch (err) {
      const spent = (Date.now() - startedAt) / 1000;
      if (isCancellation(err)) return episode.cancelled(base, spent);
      // Charged in the unit a success is: the slot seconds the activity measured over all attempts.
      if (err instanceof ActivityFailure) return episode.failed(base, err.cause?.message ?? err.message, spent, budgetsHold ? chargeOfFailure(err) : null);
      throw err;
    } finally {
      trainingScope = null;
      episode.endStep();
    }
  }

  async function grade(): Promise<{ finalScore: number | null; baselineScore: number | null }> {
    episode.learn();
    episode.enter('grading');
    publish();
    const final = state.best ? await control.gradeSubmission({ competitionDir: episode.competition.dir, submission: state.best.submission }) : null;
    const baseline = await control.gradeBaseline({ competitionDir: episode.competition.dir });
    return { finalScore: final?.score ?? null, baselineScore: baseline.score };
  }

  /**
   * The LLM distiller's learnings enter the library as candidate skills (offline, the rules in
   * distill/ learn from the trajectory alone, so the offline role is not called).
   */
  async function distillWithAgent(workflowId: string, runId: string): Promise<void> {
    if (!input.learn || input.agent !== 'llm' || state.distilled || !patched('llm-distiller')) return;
    state.distilled = await control.distillLearnings({ competition: episode.competition, history: episode.history(), seed: input.seed, backend: input.agent, workflowId, runId });
    account(state.distilled.usage);
  }

  /** The trajectory, and with `learn` the skills' credit and their distillation. */
  async function record(workflowId: string, runId: string, scores: { finalScore: number | null; baselineScore: number | null }): Promise<string | null> {
    const trajectory = await control.recordTrajectory({ workflowId, runId, state, finalScore: scores.finalScore, baselineScore: scores.baselineScore });
    if (input.learn) {
      const competition = episode.competition;
      await control.creditSkills({
        workflowId,
        runId,
        competitionId: competition.id,
        domain: competition.domain,
        taskType: competition.taskType,
        direction: competition.direction,
        steps: state.steps,
        baselineScore: scores.baselineScore,
      });
      // Distillation runs on after the episode has returned: started here, never waited for.
      await startChild(distillSkills, {
        workflowId: `haste-distill-${workflowId}-${runId}`,
        args: [{ trajectories: [trajectory] }],
        parentClosePolicy: ParentClosePolicy.ABANDON,
      });
    }
    return trajectory;
  }

  /** Counts a role's tokens into the episode's ledger (the Tokens search attribute shows the total). */
  function account(usage: RoleUsage | undefined): void {
    if (usage && patched('llm-token-ledger')) episode.addUsage(usage);
  }
}
