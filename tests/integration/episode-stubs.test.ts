import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuActivities, OrchestratorActivities } from '../../activities/index.js';
import type { HasteConfig } from '../../infra/config.js';
import { startDevServer } from '../../infra/dev-server.js';
import { discardEphemeral, ephemeralConfig } from '../../infra/ephemeral.js';
import type { EpisodeInput, EpisodeState } from '../../schemas/episode.js';
import { PhaseKey } from '../../schemas/search-attributes.js';
import { TASK_QUEUES } from '../../schemas/task-queues.js';
import type { TrainRequest, TrainResult } from '../../schemas/training.js';
import { connectWorker } from '../../workers/connection.js';
import { extendBudgetUpdate, pauseUpdate, resumeUpdate, statusQuery, stopUpdate, type competitionEpisode } from '../../workflows/episode.js';
import { suiteConfig, testClient, waitUntil } from '../helpers/workers.js';
import { trainResult } from '../helpers/train-result.js';
import { toyCompetition } from '../helpers/competition.js';

/**
 * The episode workflow's control flow with stub activities (no data, no Python, no model): each
 * step's CV score, compute and timing are set by the test, so the workflow's own decisions — what it
 * counts, when it stops and why, what it carries across continue-as-new — are what is asserted.
 * Real Temporal dev servers, as everywhere in this suite: the episode has no timers for a
 * time-skipping server to skip, and the Java test server never suggests continue-as-new.
 */

const SPEC = toyCompetition({
  id: 'stub',
  title: 'Stub competition',
  dir: '/nonexistent/stub',
  metric: 'accuracy',
  budget: { computeSeconds: 1000, maxSteps: 3 },
  traits: { rows: 100, features: 2, numericFeatures: 2, categoricalFeatures: 0 },
});
/** How the stub trains one step of one episode; by default it scores 0.6 + step / 100 in a second of compute. */
interface StepPlan {
  cvScore?: number;
  computeSeconds?: number;
  /** Held until the test lets it finish. */
  gate?: Promise<void>;
  /** Never finishes on its own: it heartbeats until cancelled. */
  untilCancelled?: boolean;
}

/** What the stubs saw, per workflow id (continued runs keep their id). */
interface Seen {
  loads: number;
  plans: number;
  /** The history length each proposeCandidate call was given. */
  proposals: number[];
  trainingsStarted: number[];
  cancelled: number[];
  trajectory?: EpisodeState;
}

type Orchestrator = Pick<
  OrchestratorActivities,
  | 'loadCompetition'
  | 'profileCompetition'
  | 'retrieveTieredSkills'
  | 'retrieveSkillsByReference'
  | 'planEpisode'
  | 'proposeCandidate'
  | 'debugCandidate'
  | 'gradeSubmission'
  | 'gradeBaseline'
  | 'recordTrajectory'
>;

class Stubs {
  readonly seen = new Map<string, Seen>();
  readonly steps = new Map<string, (step: number) => StepPlan>();

  of(workflowId: string): Seen {
    let s = this.seen.get(workflowId);
    if (!s) this.seen.set(workflowId, (s = { loads: 0, plans: 0, proposals: [], trainingsStarted: [], cancelled: [] }));
    return s;
  }

  orchestrator(): Orchestrator {
    // Always set here: every activity is scheduled by an episode.
    const id = () => Context.current().info.workflowExecution!.workflowId;
    return {
      loadCompetition: async () => {
        this.of(id()).loads++;
        return SPEC;
      },
      profileCompetition: async () => ({
        version: 1 as const,
        taskType: 'binary' as const,
        metric: 'accuracy',
        rows: 100,
        testRows: 50,
        columns: [{ name: 'x', kind: 'numeric' as const, missingShare: 0, cardinality: 100 }],
        counts: { numeric: 1, categorical: 0, text: 0, symbols: 0, datetime: 0 },
        maxCardinality: 0,
        missingShare: 0,
        target: { classes: 2, minorityShare: 0.5 },
      }),
      retrieveTieredSkills: async () => ({ global: [], domain: [], task: [] }),
      // The stub agents never read the artifact: no file behind it.
      retrieveSkillsByReference: async () => ({ artifact: '/nonexistent/stub-skills.json', global: [], domain: [], task: [] }),
      planEpisode: async () => {
        this.of(id()).plans++;
        return { portfolio: [], notes: 'stub plan' };
      },
      proposeCandidate: async (ctx) => {
        this.of(id()).proposals.push(ctx.history.length);
        return { candidate: { template: 'logistic_regression', params: { C: ctx.step + 1 } }, rationale: 'stub', tokens: 0 };
      },
      debugCandidate: async () => null,
      // A submission is named after its score, so grading needs no files.
      gradeSubmission: async ({ submission }) => ({ metric: 'accuracy', direction: 'maximize', score: Number(submission.split(':')[1]), rows: 100 }),
      gradeBaseline: async () => ({ metric: 'accuracy', direction: 'maximize', score: 0.5, rows: 100 }),
      recordTrajectory: async ({ workflowId, state }) => {
        this.of(workflowId).trajectory = state;
        return `stub-trajectory-${workflowId}`;
      },
    };
  }

  gpu(): Pick<GpuActivities, 'trainCandidate'> {
    return {
      trainCandidate: async (request: TrainRequest): Promise<TrainResult> => {
        const seen = this.of(request.workflowId);
        seen.trainingsStarted.push(request.step);
        const plan = this.steps.get(request.workflowId)?.(request.step) ?? {};
        if (plan.untilCancelled) {
          const ctx = Context.current();
          try {
            for (;;) {
              ctx.heartbeat();
              await ctx.sleep(100);
            }
          } catch (err) {
            seen.cancelled.push(request.step);
            throw err;
          }
        }
        await plan.gate;
        const cvScore = plan.cvScore ?? 0.6 + request.step / 100;
        const computeSeconds = plan.computeSeconds ?? 1;
        return trainResult(cvScore, computeSeconds, { submission: `stub:${cvScore}` });
      },
    };
  }
}

/** Registers hooks that run the stub workers (a fresh task queue for the workflows) against a server. */
function withStubWorkers(server: () => Promise<HasteConfig>, release: (config: HasteConfig) => Promise<unknown> = async () => undefined) {
  const ctx = { stubs: new Stubs(), taskQueue: `stub-episodes-${randomUUID()}` } as { stubs: Stubs; taskQueue: string; config: HasteConfig; client: Client };
  let stop: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    ctx.config = await server();
    ctx.client = await testClient(ctx.config);
    const connection = await connectWorker(ctx.config);
    const bundle = process.env.HASTE_WORKFLOW_BUNDLE!;
    const workers = [
      await Worker.create({ connection, namespace: ctx.config.namespace, taskQueue: ctx.taskQueue, workflowBundle: { codePath: bundle }, activities: ctx.stubs.orchestrator() }),
      // The workflow sends training to the GPU queue by name; no other worker polls it while this file runs.
      await Worker.create({ connection, namespace: ctx.config.namespace, taskQueue: TASK_QUEUES.gpu, activities: ctx.stubs.gpu() }),
    ];
    const running = Promise.all(workers.map((w) => w.run()));
    stop = async () => {
      workers.forEach((w) => w.shutdown());
      await running;
      await connection.close();
    };
  });
  afterAll(async () => {
    await stop?.();
    await ctx.client?.connection.close();
    if (ctx.config) await release(ctx.config);
  });
  const start = (input: Partial<EpisodeInput>, plan?: (step: number) => StepPlan) => {
    const workflowId = `stub-episode-${randomUUID()}`;
    if (plan) ctx.stubs.steps.set(workflowId, plan);
    // A 2 s heartbeat timeout: the stub's heartbeats (and so a cancellation) get through within ~2 s.
    const args: [EpisodeInput] = [{ competition: 'stub', learn: false, skills: false, training: { heartbeatTimeoutSeconds: 2 }, ...input } as EpisodeInput];
    return ctx.client.workflow.start<typeof competitionEpisode>('competitionEpisode', { taskQueue: ctx.taskQueue, workflowId, args });
  };
  return { ctx, start };
}

describe('the episode workflow with stub activities', () => {
  const { ctx, start } = withStubWorkers(async () => suiteConfig());

  it('counts steps up to maxSteps, keeps the incumbent by CV and grades it', async () => {
    const scores = [0.7, 0.9, 0.8];
    const handle = await start({ budget: { maxSteps: 3 } }, (step) => ({ cvScore: scores[step]! }));
    const summary = await handle.result();
    expect(summary.stopReason).toBe('max-steps');
    expect(summary.ledger.map((s) => [s.step, s.status, s.cvScore, s.improved])).toEqual([
      [0, 'ok', 0.7, true],
      [1, 'ok', 0.9, true],
      [2, 'ok', 0.8, false],
    ]);
    expect(summary.bestCvScore).toBe(0.9);
    expect(summary.finalScore).toBe(0.9); // the incumbent's submission was graded, not the last step's
    expect(summary.computeSeconds).toBe(3);
    expect(ctx.stubs.of(handle.workflowId).proposals).toEqual([0, 1, 2]);
    expect(ctx.stubs.of(handle.workflowId).trajectory?.phase).toBe('completed');
  });

  it('stops when the compute budget is spent, and before a step it cannot afford', async () => {
    const [spent, unaffordable] = await Promise.all([
      start({ budget: { computeSeconds: 10, maxSteps: 10 } }, () => ({ computeSeconds: 5 })),
      start({ budget: { computeSeconds: 10, maxSteps: 10 } }, () => ({ computeSeconds: 4 })),
    ]);
    const a = await spent.result();
    expect([a.stopReason, a.steps, a.computeSeconds, a.stopDetail]).toEqual(['budget', 2, 10, null]);
    const b = await unaffordable.result();
    // Two 4 s steps leave 2 s; the next one would cost about 4 s, so it is never started.
    expect([b.stopReason, b.steps, b.computeSeconds]).toEqual(['budget', 2, 8]);
    expect(b.stopDetail).toBe('the next step (logistic_regression) would cost about 4.0 s, 2.0 s of the budget is left');
    expect(ctx.stubs.of(unaffordable.workflowId).trainingsStarted).toEqual([0, 1]);
  });

  it('pause holds the loop between steps, extendBudget raises its limits, resume lets it finish', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const handle = await start({ budget: { maxSteps: 1 } }, (step) => (step === 0 ? { gate } : {}));
    const seen = ctx.stubs.of(handle.workflowId);
    await waitUntil(() => seen.trainingsStarted.length === 1, 30_000, 'the first step to start training');

    expect((await handle.executeUpdate(pauseUpdate)).paused).toBe(true);
    release();
    // The step in flight finishes and is counted; the paused loop then proposes nothing.
    const held = await waitUntil(async () => {
      const s = await handle.query(statusQuery);
      return s.steps === 1 && s;
    });
    expect(held).toMatchObject({ paused: true, phase: 'training', maxSteps: 1 });
    expect((await handle.describe()).typedSearchAttributes.get(PhaseKey)).toBe('paused');
    await sleep(1000);
    expect(seen.proposals).toEqual([0]);

    const extended = await handle.executeUpdate(extendBudgetUpdate, { args: [{ maxSteps: 2, computeSeconds: 5 }] });
    expect([extended.maxSteps, extended.budgetComputeSeconds]).toEqual([3, 1005]);
    expect(seen.proposals).toEqual([0]);

    expect((await handle.executeUpdate(resumeUpdate)).paused).toBe(false);
    const summary = await handle.result();
    expect([summary.stopReason, summary.steps]).toEqual(['max-steps', 3]);
    expect(seen.proposals).toEqual([0, 1, 2]);
  });

  it('stop cancels the step in flight and grades the best model so far', async () => {
    const handle = await start({ budget: { maxSteps: 5 } }, (step) => (step === 1 ? { untilCancelled: true } : { cvScore: 0.75 }));
    const seen = ctx.stubs.of(handle.workflowId);
    await waitUntil(() => seen.trainingsStarted.includes(1), 30_000, 'the second step to start training');

    const stopping = await handle.executeUpdate(stopUpdate, { args: [{ reason: 'enough' }] });
    expect(stopping.steps).toBe(1);
    const summary = await handle.result();
    expect(summary.stopReason).toBe('stopped');
    expect(summary.ledger.map((s) => s.status)).toEqual(['ok', 'cancelled']);
    expect([summary.bestCvScore, summary.finalScore]).toEqual([0.75, 0.75]);
    expect(seen.proposals).toEqual([0, 1]);
    // The training itself was told to stop (the workflow does not wait for it to acknowledge).
    await waitUntil(() => seen.cancelled.includes(1), 30_000, 'the stub training to see its cancellation');
  });
});

describe('the episode workflow with stub activities, on a server that suggests continue-as-new early', () => {
  const { ctx, start } = withStubWorkers(
    async () => {
      const config = await ephemeralConfig('stub-can');
      // After 40 history events instead of thousands: about every second step here.
      await startDevServer(config, { dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': 40 } });
      return config;
    },
    (config) => discardEphemeral(config),
  );

  it('continues as new carrying its steps, best model, budget and plan', async () => {
    const scores = [0.7, 0.72, 0.95, 0.8, 0.81, 0.82];
    const handle = await start({ budget: { maxSteps: 6 } }, (step) => ({ cvScore: scores[step]! }));
    const summary = await handle.result();
    expect(summary.continuedAsNew).toBeGreaterThanOrEqual(2);
    expect(summary.stopReason).toBe('max-steps');
    expect(summary.ledger.map((s) => s.step)).toEqual([0, 1, 2, 3, 4, 5]);
    expect([summary.bestCvScore, summary.finalScore, summary.computeSeconds]).toEqual([0.95, 0.95, 6]);
    const seen = ctx.stubs.of(handle.workflowId);
    // Continued runs neither reload the competition nor re-plan, and each proposal sees every earlier step.
    expect([seen.loads, seen.plans]).toEqual([1, 1]);
    expect(seen.proposals).toEqual([0, 1, 2, 3, 4, 5]);
    const runs: string[] = [];
    for await (const w of ctx.client.workflow.list({ query: `WorkflowId = "${handle.workflowId}"` })) runs.push(w.runId);
    expect(runs.length).toBe(summary.continuedAsNew + 1);
  });
});
