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
import { techniqueDeltas } from '../schemas/ablation.js';
import { isBetter } from '../schemas/competition.js';
import {
  EpisodeInputSchema,
  EXTEND_BUDGET_SCHEMA,
  type BudgetExtension,
  type EpisodeConfig,
  type EpisodeInput,
  type Phase,
  type EpisodeState,
  type EpisodeStatus,
  type EpisodeSummary,
  type StepRecord,
  type StepView,
  type StopReason,
} from '../schemas/episode.js';
import { computeToTarget } from '../schemas/incumbent.js';
import { addUsage, emptyLedger, totalTokens, type RoleUsage } from '../schemas/ledger.js';
import { BestScoreKey, CompetitionIdKey, ComputeSecondsKey, DomainKey, PhaseKey, TokensKey } from '../schemas/search-attributes.js';
import { CONTROL_HEARTBEAT, TASK_QUEUES } from '../schemas/task-queues.js';
import { candidateKey, type Candidate } from '../schemas/training.js';
import { distillSkills } from './distill.js';
import { chargeOfFailure, estimateStepSeconds } from './step-cost.js';
import { describeIssues } from '../schemas/issues.js';

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

function initialState(): EpisodeState {
  return {
    phase: 'loading',
    competition: null,
    budget: { computeSeconds: 0, maxSteps: 0 },
    computeSeconds: 0,
    steps: [],
    best: null,
    paused: false,
    stopRequested: null,
    stopReason: null,
    plan: null,
    continuedAsNew: 0,
  };
}

function toView(s: StepRecord): StepView {
  const view: StepView = { step: s.step, candidate: s.candidate, status: s.status, cvScore: s.cvScore, error: s.error, computeSeconds: s.computeSeconds };
  // Stage fields only where set, so episodes without stages hand agents exactly what they did before.
  for (const key of ['stage', 'parent', 'ablation', 'artifactSteps', 'ensembleKept'] as const) if (s[key] !== undefined) Object.assign(view, { [key]: s[key] });
  return view;
}

/** The staged engineer's fields of a proposal, only those it set (the ledger of an unstaged episode stays as it was). */
function stagedFields(p: Proposal): Pick<Proposal, 'stage' | 'parent' | 'ablation' | 'artifactSteps'> {
  const out: Pick<Proposal, 'stage' | 'parent' | 'ablation' | 'artifactSteps'> = {};
  if (p.stage) out.stage = p.stage;
  if (p.parent !== undefined) out.parent = p.parent;
  if (p.ablation) out.ablation = p.ablation;
  if (p.artifactSteps?.length) out.artifactSteps = p.artifactSteps;
  return out;
}

/** Phases in which steps train: a pause shows as `paused` in them. */
const TRAINING_PHASES: readonly Phase[] = ['training', 'screening', 'refining', 'ensembling', 'ablating'];

/**
 * One competition, one durable episode: load → skills → plan → { propose → train on haste-gpu →
 * evaluate → keep the best } until budget, target or stop → grade → record the trajectory.
 * `carried` is only ever passed by continue-as-new.
 */
export async function competitionEpisode(rawInput: EpisodeInput, carried?: EpisodeState): Promise<EpisodeSummary> {
  const input = parseInput(rawInput);
  const state: EpisodeState = carried ?? initialState();
  // Budgets that hold: steps get a deadline, are not started when their estimated cost exceeds what is
  // left, and failed steps are charged the activity's slot seconds. Runs started before keep the old rules.
  const budgetsHold = patched('budgets-hold');
  // The plan, the profile and earlier steps reach the engineer and debugger by reference (the engineer's
  // activity stores the run), not again on every step: history grew with steps². Runs started before keep them inline.
  const runByReference = patched('run-by-reference');
  let currentStep: { step: number; candidate: Candidate; stage?: Proposal['stage'] } | null = null;
  let trainingScope: CancellationScope | null = null;

  const gpu = proxyActivities<GpuActivities>({
    taskQueue: TASK_QUEUES.gpu,
    startToCloseTimeout: '24 hours',
    heartbeatTimeout: input.training.heartbeatTimeoutSeconds * 1000,
    retry: { maximumAttempts: input.training.maxAttempts, initialInterval: '1 second', nonRetryableErrorTypes: ['SolutionError'] },
  });

  const status = (): EpisodeStatus => ({
    phase: state.phase,
    competitionId: state.competition?.id ?? null,
    metric: state.competition?.metric ?? null,
    direction: state.competition?.direction ?? null,
    bestScore: state.best?.cvScore ?? null,
    bestCandidate: state.best?.candidate ?? null,
    steps: state.steps.length,
    maxSteps: state.budget.maxSteps,
    computeSeconds: state.computeSeconds,
    budgetComputeSeconds: state.budget.computeSeconds,
    paused: state.paused,
    stopReason: state.stopReason,
    stopDetail: state.stopDetail ?? null,
    currentStep,
    lastStep: state.steps.at(-1) ?? null,
    ...(state.tokens ? { tokens: totalTokens(state.tokens) } : {}),
  });

  // Each upsert is a history event, and about half of them (a step's start) changed nothing: episodes
  // from this patch on upsert only what changed since the last publish.
  const publishChangesOnly = patched('publish-changes-only');
  const published = { attributes: '', memo: '' };
  /** Keeps the Temporal UI current: search attributes to filter on, a memo and a details line to read. */
  const publish = () => {
    const c = state.competition;
    const attributes = [
      { key: PhaseKey, value: state.paused && TRAINING_PHASES.includes(state.phase) ? 'paused' : state.phase },
      { key: ComputeSecondsKey, value: Math.round(state.computeSeconds * 1000) / 1000 },
      ...(c
        ? [
            { key: CompetitionIdKey, value: c.id },
            { key: DomainKey, value: c.domain },
          ]
        : []),
      ...(state.best ? [{ key: BestScoreKey, value: state.best.cvScore }] : []),
      ...(state.tokens ? [{ key: TokensKey, value: totalTokens(state.tokens) }] : []),
    ];
    const memo = { competition: c?.title ?? rawInput.competition, metric: c?.metric ?? null, best: state.best, steps: state.steps.length };
    const [attributesJson, memoJson] = [JSON.stringify(attributes), JSON.stringify(memo)];
    if (!publishChangesOnly || attributesJson !== published.attributes) upsertSearchAttributes(attributes);
    if (!publishChangesOnly || memoJson !== published.memo) upsertMemo(memo);
    Object.assign(published, { attributes: attributesJson, memo: memoJson });
    setCurrentDetails(
      [
        `**${c?.title ?? rawInput.competition}** — phase ${state.phase}${state.paused ? ' (paused)' : ''}`,
        `steps ${state.steps.length}/${state.budget.maxSteps}, compute ${state.computeSeconds.toFixed(1)}/${state.budget.computeSeconds} s`,
        state.best ? `best ${c?.metric} ${state.best.cvScore.toFixed(5)} (step ${state.best.step}, ${state.best.candidate.template})` : 'no model yet',
        currentStep ? `training step ${currentStep.step}${currentStep.stage ? ` (${currentStep.stage})` : ''}: ${currentStep.candidate.template}` : '',
      ]
        .filter(Boolean)
        .join('\n\n'),
    );
  };

  const assertRunning = () => {
    if (state.phase === 'completed' || state.phase === 'grading') throw new Error(`the episode is ${state.phase}; it no longer takes this update`);
  };

  // ---- Handlers
  setHandler(statusQuery, status);
  setHandler(
    pauseUpdate,
    () => {
      state.paused = true;
      publish();
      return status();
    },
    { validator: assertRunning },
  );
  setHandler(
    resumeUpdate,
    () => {
      state.paused = false;
      publish();
      return status();
    },
    { validator: assertRunning },
  );
  setHandler(
    extendBudgetUpdate,
    (extension) => {
      state.budget.computeSeconds += extension.computeSeconds ?? 0;
      state.budget.maxSteps += extension.maxSteps ?? 0;
      publish();
      return status();
    },
    {
      validator: (extension) => {
        assertRunning();
        const parsed = EXTEND_BUDGET_SCHEMA.safeParse(extension);
        if (!parsed.success) throw new Error(`invalid extendBudget input: ${describeIssues(parsed.error)}`);
      },
    },
  );
  setHandler(
    stopUpdate,
    (request: { reason?: string }) => {
      // Stop is prompt: the step in flight is cancelled and the best model so far is graded.
      state.stopRequested = request.reason ?? 'stopped by request';
      trainingScope?.cancel();
      publish();
      return status();
    },
    { validator: (_request: { reason?: string }) => assertRunning() },
  );

  /** The run so far for the engineer and debugger: `inline` (plan, profile) and every step, or only the steps after the stored run. */
  const runSoFar = <T extends object>(inline: T) => {
    const history = state.steps.map(toView);
    if (!runByReference) return { ...inline, history };
    return state.runRef ? { history: history.slice(state.runRef.steps), runRef: state.runRef } : { ...inline, history, runRef: null };
  };

  // ---- Agent roles beyond planner and engineer: debugger, distiller, and their token ledger.
  /** Counts a role's tokens into the episode's ledger (the Tokens search attribute shows the total). */
  const account = (usage: RoleUsage | undefined) => {
    if (!usage || !patched('llm-token-ledger')) return;
    state.tokens = addUsage(state.tokens ?? emptyLedger(), usage);
  };

  /** The step record with what its role call cost (no prompts: those are in the artifact store). */
  const withRoleRecord = (record: StepRecord, proposal: Proposal, debugOf: number | undefined): StepRecord => ({
    ...record,
    tokens: proposal.tokens,
    ...(proposal.usage ? { usage: proposal.usage } : {}),
    ...(debugOf !== undefined ? { debugOf } : {}),
  });

  /**
   * After a failed step, the debugger proposes a fix, at most input.debugAttempts per failure (a
   * failed fix is fixed again); null when the engineer should move on instead.
   */
  const debugFailedStep = async (step: number): Promise<{ proposal: Proposal; debugOf: number } | null> => {
    const last = state.steps.at(-1);
    if (!last || last.status !== 'failed' || input.debugAttempts === 0) return null;
    // Requested candidates come before the agent's own ideas, fixes included.
    const tried = new Set(state.steps.map((s) => candidateKey(s.candidate)));
    if (input.initialCandidates.some((c) => !tried.has(candidateKey(c)))) return null;
    const debugOf = last.debugOf ?? last.step;
    const attempt = state.steps.filter((s) => s.debugOf === debugOf).length + 1;
    if (attempt > input.debugAttempts || !patched('agent-debugger')) return null;
    const proposal = await control.debugCandidate({
      competition,
      ...runSoFar({ plan: state.plan! }),
      failed: toView(last),
      attempt,
      seed: input.seed,
      step,
      backend: input.agent,
    });
    return proposal ? { proposal, debugOf } : null;
  };

  /**
   * The LLM distiller's learnings enter the library as candidate skills (offline, the rules in
   * distill/ learn from the trajectory alone, so the offline role is not called).
   */
  const distillWithAgent = async (workflowId: string, runId: string) => {
    if (!input.learn || input.agent !== 'llm' || state.distilled || !patched('llm-distiller')) return;
    state.distilled = await control.distillLearnings({ competition, history: state.steps.map(toView), seed: input.seed, backend: input.agent, workflowId, runId });
    account(state.distilled.usage);
  };

  // ---- Main logic
  if (!state.competition) {
    const competition = await control.loadCompetition(input.competition);
    state.competition = competition;
    state.budget = {
      computeSeconds: input.budget.computeSeconds ?? competition.budget.computeSeconds,
      maxSteps: input.budget.maxSteps ?? competition.budget.maxSteps,
    };
  }
  const competition = state.competition;
  publish();

  // Stage 1 of the engineer: the data profile, once, before planning (episodes from this patch on).
  if (!state.profile && !state.plan && patched('profile')) {
    state.phase = 'profiling';
    publish();
    try {
      state.profile = await control.profileCompetition(competition.dir);
    } catch (err) {
      // Without a profile the engineer works as before stages: a profiler fault must not end the episode.
      if (!(err instanceof ActivityFailure)) throw err;
    }
  }

  if (!state.plan) {
    state.phase = 'planning';
    publish();
    const retrieval = { competition, enabled: input.skills, includeCandidates: input.validateSkills, profile: state.profile ?? null };
    const planning = {
      competition,
      budget: state.budget,
      seed: input.seed,
      ...(state.profile && input.engineer === 'staged' ? { profile: state.profile } : {}),
      backend: input.agent,
    };
    if (patched('skills-by-reference')) {
      // The records stay in the artifact store: history carries their ids, once, not once per step.
      state.skillsRef = await control.retrieveSkillsByReference(retrieval);
      state.plan = await control.planEpisode({ ...planning, skillsRef: state.skillsRef });
    } else {
      const skills = await control.retrieveTieredSkills(retrieval);
      state.skills = skills;
      state.plan = await control.planEpisode({ ...planning, skills: skills.global.map((s) => `${s.title}: ${s.body}`), tiered: skills });
    }
    account(state.plan.usage);
  }
  state.phase = 'training';
  publish();

  const runStep = async (
    step: number,
    candidate: Candidate,
    rationale: string,
    skillIds: string[],
    staged: Pick<Proposal, 'stage' | 'parent' | 'ablation' | 'artifactSteps'> = {},
  ): Promise<StepRecord> => {
    const startedAt = Date.now();
    const base = { step, candidate, rationale, improved: false, cpuSeconds: 0, gpuSeconds: 0, peakRssMb: 0, attempts: 0, resumedFromEpoch: 0, skillIds, ...staged };
    currentStep = { step, candidate, ...(staged.stage ? { stage: staged.stage } : {}) };
    publish();
    try {
      trainingScope = new CancellationScope();
      const result = await trainingScope.run(() =>
        gpu.trainCandidate({
          workflowId: workflowInfo().workflowId,
          step,
          competitionDir: competition.dir,
          candidate,
          seed: input.seed,
          folds: input.training.folds,
          checkpointEvery: input.training.checkpointEvery,
          ...(budgetsHold ? { computeSecondsLimit: Math.max(0, state.budget.computeSeconds - state.computeSeconds) } : {}),
          ...(staged.artifactSteps?.length ? { artifactSteps: staged.artifactSteps } : {}),
        }),
      );
      const graded = await control.gradeSubmission({ competitionDir: competition.dir, submission: result.submission });
      const improved = !state.best || isBetter(result.cvScore, state.best.cvScore, competition.direction);
      if (improved) state.best = { step, candidate, cvScore: result.cvScore, submission: result.submission };
      return {
        ...base,
        status: 'ok',
        cvScore: result.cvScore,
        gradedScore: graded.score,
        improved,
        computeSeconds: result.computeSeconds,
        cpuSeconds: result.cpuSeconds,
        gpuSeconds: result.gpuSeconds,
        peakRssMb: result.peakRssMb,
        attempts: result.attempts,
        resumedFromEpoch: result.resumedFromEpoch,
        ...(result.stopped ? { stoppedEarly: result.stopped } : {}),
        submission: result.submission,
        ...(result.ensembleKept !== undefined ? { ensembleKept: result.ensembleKept } : {}),
      };
    } catch (err) {
      // A failed or cancelled step is part of the trajectory, not the end of the episode.
      const spent = (Date.now() - startedAt) / 1000;
      if (isCancellation(err)) return { ...base, status: 'cancelled', computeSeconds: spent };
      if (err instanceof ActivityFailure) {
        // Charged in the unit a success is: the slot seconds the activity measured over all attempts.
        const charge = budgetsHold ? chargeOfFailure(err) : null;
        return {
          ...base,
          status: 'failed',
          error: err.cause?.message ?? err.message,
          computeSeconds: charge?.computeSeconds ?? spent,
          cpuSeconds: charge?.cpuSeconds ?? 0,
        };
      }
      throw err;
    } finally {
      trainingScope = null;
      currentStep = null;
    }
  };

  const exhausted = (): StopReason | null => {
    if (state.stopRequested) return 'stopped';
    const best = state.best;
    if (best && input.stopAtTarget && competition.targetScore !== undefined && !isBetter(competition.targetScore, best.cvScore, competition.direction)) return 'target-reached';
    if (state.steps.length >= state.budget.maxSteps) return 'max-steps';
    if (state.computeSeconds >= state.budget.computeSeconds) return 'budget';
    return null;
  };

  for (;;) {
    if (state.paused && !state.stopRequested) {
      publish();
      await condition(() => !state.paused || state.stopRequested !== null);
      continue;
    }
    const reason = exhausted();
    if (reason) {
      state.stopReason = reason;
      break;
    }
    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      return continueAsNew<typeof competitionEpisode>(rawInput, { ...state, continuedAsNew: state.continuedAsNew + 1 });
    }
    const step = state.steps.length;
    const fix = await debugFailedStep(step);
    const proposal: ProposeResult =
      fix?.proposal ??
      (await control.proposeCandidate({
        competition,
        ...runSoFar({ plan: state.plan, ...(state.profile && input.engineer === 'staged' ? { profile: state.profile } : {}) }),
        seed: input.seed,
        step,
        remainingComputeSeconds: state.budget.computeSeconds - state.computeSeconds,
        maxSteps: state.budget.maxSteps,
        initialCandidates: input.initialCandidates,
        ...(state.profile && input.engineer === 'staged' ? { remainingSteps: state.budget.maxSteps - state.steps.length } : {}),
        ...(state.skillsRef ? { skillsRef: state.skillsRef } : { skills: { domain: state.skills?.domain ?? [], task: state.skills?.task ?? [] } }),
        backend: input.agent,
      }));
    if (!proposal) {
      state.stopReason = 'no-candidates';
      break;
    }
    if (proposal.runRef) state.runRef = proposal.runRef;
    account(proposal.usage);
    if (budgetsHold && state.best) {
      // Once there is a model to submit, a step that cannot finish in what is left is not started.
      const left = state.budget.computeSeconds - state.computeSeconds;
      // Pipeline steps estimated by their model: before this patch, by whatever pipeline step came last.
      const estimate = estimateStepSeconds(proposal.candidate, state.steps, patched('pipeline-step-cost'));
      if (estimate !== null && estimate > left) {
        state.stopReason = 'budget';
        state.stopDetail = `the next step (${proposal.candidate.template}) would cost about ${estimate.toFixed(1)} s, ${left.toFixed(1)} s of the budget is left`;
        break;
      }
    }
    const staged = stagedFields(proposal);
    if (proposal.stage) state.phase = proposal.stage;
    const record = await runStep(step, proposal.candidate, proposal.rationale, proposal.skillIds ?? [], staged);
    state.steps.push(withRoleRecord(record, proposal, fix?.debugOf));
    state.computeSeconds += record.computeSeconds;
    publish();
  }

  // Stage 5's records, from the ledger alone (no activity: what the steps measured is already there).
  if (state.profile) state.learnings = techniqueDeltas(state.steps.map(toView), competition.direction);
  state.phase = 'grading';
  publish();
  const final = state.best ? await control.gradeSubmission({ competitionDir: competition.dir, submission: state.best.submission }) : null;
  const baseline = await control.gradeBaseline({ competitionDir: competition.dir });
  await distillWithAgent(workflowInfo().workflowId, workflowInfo().runId);
  state.phase = 'completed';
  publish();
  const { workflowId, runId } = workflowInfo();
  const trajectory = await control.recordTrajectory({ workflowId, runId, state, finalScore: final?.score ?? null, baselineScore: baseline.score });
  if (input.learn) {
    await control.creditSkills({
      workflowId,
      runId,
      competitionId: competition.id,
      domain: competition.domain,
      taskType: competition.taskType,
      direction: competition.direction,
      steps: state.steps,
      baselineScore: baseline.score,
    });
    // Distillation runs on after the episode has returned: started here, never waited for.
    await startChild(distillSkills, {
      workflowId: `haste-distill-${workflowId}-${runId}`,
      args: [{ trajectories: [trajectory] }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
    });
  }
  await condition(allHandlersFinished);
  return {
    workflowId,
    competitionId: competition.id,
    metric: competition.metric,
    direction: competition.direction,
    bestCvScore: state.best?.cvScore ?? null,
    finalScore: final?.score ?? null,
    baselineScore: baseline.score,
    targetScore: competition.targetScore ?? null,
    steps: state.steps.length,
    computeSeconds: state.computeSeconds,
    computeToTarget: computeToTarget(state.steps, competition.targetScore, competition.direction),
    stopReason: state.stopReason ?? 'stopped',
    stopDetail: state.stopDetail ?? null,
    bestCandidate: state.best?.candidate ?? null,
    ledger: state.steps,
    trajectory,
    continuedAsNew: state.continuedAsNew,
    ...(state.tokens ? { tokens: state.tokens } : {}),
    ...(state.distilled ? { distilled: state.distilled } : {}),
    planNotes: state.plan.notes,
    ...(state.learnings ? { learnings: state.learnings } : {}),
  };
}
