import type { Client } from '@temporalio/client';
import { episodeModel } from '../agents/cost.js';
import { startEpisode } from '../client/episodes.js';
import { computeUnitOf, stepCompute, type ComputeUnit } from '../distill/compute.js';
import { improvement } from '../distill/trajectory.js';
import { loadCompetitionSpec } from '../infra/competitions.js';
import type { HasteConfig } from '../infra/config.js';
import { isBetter, type Direction } from '../schemas/competition.js';
import type { AgentBackend, EpisodeInput, EpisodeSummary, StepRecord } from '../schemas/episode.js';
import { incumbentsByCv } from '../schemas/incumbent.js';
import { ARMS, armTokens, meanSem, type Arm, type ArmRun, type HeldoutResult, type TransferResult } from '../schemas/transfer.js';
import { openSkillStore } from '../skill-store/open.js';
import type { SkillStore } from '../skill-store/store.js';
import type { distillSkills } from '../workflows/distill.js';
import { TASK_QUEUES } from '../schemas/task-queues.js';
import { runRotation, type Fold, type RotationSplit } from './rotation.js';

export interface TransferOptions {
  train: string[];
  heldout: string[];
  seeds: number;
  budgetSeconds: number;
  /** Compute per learning episode (default: budgetSeconds). A learning run that tries the whole portfolio teaches more. */
  trainBudgetSeconds?: number;
  /** Step cap per learning episode (default: none). Capping at the portfolio's size measures every candidate once, however loaded the machine. */
  trainSteps?: number;
  /**
   * Step cap per held-out episode (cold 2× gets twice it; default: none, compute only). With a generous
   * budget, a cap makes which candidates run independent of the machine's load (the budget is wall time).
   */
  heldoutSteps?: number;
  /** Also run the cold-with-twice-the-budget arm (default true; a quick check may leave it out). */
  coldTwice?: boolean;
  /** The offline engineer of every run (default staged; portfolio lessons order the portfolio engineer). */
  engineer?: 'staged' | 'portfolio';
  /** The agent of every run (default offline); with `llm` the result counts tokens per target reached. */
  agent?: AgentBackend;
  /** Progress lines (to stderr in the CLI). */
  log: (line: string) => void;
}

/**
 * Best graded score of the incumbent (by CV) after each step, against cumulative compute in the
 * run's unit: CPU seconds of the runner on CPU hosts (they do not move with the machine's load as
 * wall seconds do), slot seconds on GPU hosts.
 */
export function incumbentCurve(ledger: StepRecord[], direction: Direction, unit: ComputeUnit = computeUnitOf(ledger)): ArmRun['curve'] {
  const curve: ArmRun['curve'] = [];
  let compute = 0;
  for (const { step, incumbent } of incumbentsByCv(ledger, direction)) {
    compute += stepCompute(step, unit);
    if (incumbent?.gradedScore !== undefined) curve.push({ compute: Number(compute.toFixed(3)), best: incumbent.gradedScore });
  }
  return curve;
}

/** Refinement steps until the final incumbent (best CV) was found, counting it; null when no step scored. */
export function stepsToBest(ledger: StepRecord[], direction: Direction): number | null {
  let at: number | null = null;
  for (const { index, changed } of incumbentsByCv(ledger, direction)) if (changed) at = index + 1;
  return at;
}

/** Cold compute-to-target over warm; null when either run never reached the target. */
function coldOverWarm(cold: ArmRun, warm: ArmRun): number | null {
  return cold.computeToTarget !== null && warm.computeToTarget !== null && warm.computeToTarget > 0 ? cold.computeToTarget / warm.computeToTarget : null;
}

function reached(score: number, target: number, direction: Direction): boolean {
  return score === target || isBetter(score, target, direction);
}

const stepTokens = (s: StepRecord) => (s.usage ? s.usage.promptTokens + s.usage.completionTokens : 0);

/**
 * LLM tokens spent until the incumbent's graded score first reached the target: the planner's, then
 * each step's (engineer or debugger) up to that step; null when it never did. The distiller runs after.
 */
export function tokensToTarget(summary: EpisodeSummary, target: number): number | null {
  const planner = summary.tokens?.byRole.planner;
  let tokens = planner ? planner.promptTokens + planner.completionTokens : 0;
  let incumbent: StepRecord | null = null;
  for (const s of summary.ledger) {
    tokens += stepTokens(s);
    if (s.status === 'ok' && s.cvScore !== undefined && (!incumbent || isBetter(s.cvScore, incumbent.cvScore!, summary.direction))) incumbent = s;
    if (incumbent?.gradedScore !== undefined && reached(incumbent.gradedScore, target, summary.direction)) return tokens;
  }
  return null;
}

export function armRun(summary: EpisodeSummary, seed: number, target: number): ArmRun {
  const unit = computeUnitOf(summary.ledger);
  const curve = incumbentCurve(summary.ledger, summary.direction, unit);
  const model = episodeModel(summary);
  return {
    seed,
    workflowId: summary.workflowId,
    finalScore: summary.finalScore,
    computeToTarget: curve.find((p) => reached(p.best, target, summary.direction))?.compute ?? null,
    computeSeconds: Number(summary.ledger.reduce((s, step) => s + stepCompute(step, unit), 0).toFixed(3)),
    computeUnit: unit,
    steps: summary.steps,
    stepsToBest: stepsToBest(summary.ledger, summary.direction),
    keepRate: summary.steps ? summary.ledger.filter((s) => s.improved).length / summary.steps : 0,
    curve,
    skillsUsed: [...new Set(summary.ledger.flatMap((s) => s.skillIds ?? []))],
    promptTokens: summary.tokens?.promptTokens ?? 0,
    completionTokens: summary.tokens?.completionTokens ?? 0,
    tokensToTarget: tokensToTarget(summary, target),
    ...(model ? { model } : {}),
  };
}

/**
 * Negative transfer on one competition: warm's mean final score worse than cold's by more than the
 * seed noise, 2 × √(SEM_cold² + SEM_warm²) (with one seed there is no noise estimate: worse at all).
 */
export function negativeTransfer(cold: ArmRun[], warm: ArmRun[], direction: Direction): { noise: number | null; negative: boolean } {
  const finals = (runs: ArmRun[]) => runs.map((r) => r.finalScore);
  const [c, w] = [meanSem(finals(cold)), meanSem(finals(warm))];
  if (c.mean === null || w.mean === null) return { noise: null, negative: w.mean === null && c.mean !== null };
  const noise = c.sem === null || w.sem === null ? null : 2 * Math.sqrt(c.sem ** 2 + w.sem ** 2);
  return { noise, negative: improvement(w.mean, c.mean, direction) < -(noise ?? 0) };
}

/** Compute is the only limit in the benchmark: a step cap from competition.yaml would hide what the 2× arm buys. */
const computeOnly = (computeSeconds: number) => ({ computeSeconds, maxSteps: 10_000 });

type Run = (input: EpisodeInput) => Promise<EpisodeSummary>;

const heldoutBudget = (o: TransferOptions, times: number) => ({ ...computeOnly(o.budgetSeconds * times), ...(o.heldoutSteps ? { maxSteps: o.heldoutSteps * times } : {}) });

/**
 * The learning phase: each train competition in order (each episode also validates the skills
 * learned before it, then is distilled), then one more distillation pass over exactly these
 * episodes' trajectories, so their uses count towards validation too and nothing else (an earlier
 * fold's held-out runs, say) is learned from.
 */
async function learnPhase(client: Client, run: Run, tag: string, train: string[], options: TransferOptions): Promise<void> {
  const trajectories: string[] = [];
  for (const [i, competition] of train.entries()) {
    const summary = await run({
      competition,
      runTag: `${tag}-learn-${i}`,
      engineer: options.engineer ?? 'staged',
      agent: options.agent ?? 'offline',
      budget: { ...computeOnly(options.trainBudgetSeconds ?? options.budgetSeconds), ...(options.trainSteps ? { maxSteps: options.trainSteps } : {}) },
      stopAtTarget: false,
      validateSkills: true,
      learn: true,
      seed: i,
    });
    // Wait for this episode's distillation, so the next one sees what it taught.
    const { runId } = await client.workflow.getHandle(summary.workflowId).describe();
    await client.workflow.getHandle<typeof distillSkills>(`haste-distill-${summary.workflowId}-${runId}`).result();
    if (summary.trajectory) trajectories.push(summary.trajectory);
    options.log(
      `learned from ${competition}: final ${summary.finalScore?.toFixed(4)} in ${summary.computeSeconds.toFixed(1)} s, ${summary.ledger.filter((s) => s.skillIds?.length).length} step(s) shaped by skills`,
    );
  }
  const final = await client.workflow.execute<typeof distillSkills>('distillSkills', {
    taskQueue: TASK_QUEUES.orchestrator,
    workflowId: `haste-distill-${tag}`,
    args: [{ trajectories }],
  });
  options.log(`distilled: ${final.skills} skills; ${final.audit.map((a) => `${a.action} ${a.title}`).join('; ') || 'no changes'}`);
}

/** One held-out competition, cold, warm and cold with twice the budget, per seed; nothing is learned from it. */
async function heldoutPhase(
  config: HasteConfig,
  run: Run,
  tag: string,
  competition: string,
  train: string[],
  options: TransferOptions,
  skillsOf: (ids: Map<string, number>) => Promise<HeldoutResult['skills']>,
): Promise<HeldoutResult> {
  const spec = await loadCompetitionSpec(config, competition);
  const arms: Record<Arm, EpisodeSummary[]> = { cold: [], warm: [], cold2x: [] };
  const seeds = Array.from({ length: options.seeds }, (_, i) => i);
  for (const seed of seeds) {
    for (const arm of ARMS.filter((a) => a !== 'cold2x' || options.coldTwice !== false)) {
      const summary = await run({
        competition,
        runTag: `${tag}-${arm}-${seed}`,
        engineer: options.engineer ?? 'staged',
        agent: options.agent ?? 'offline',
        seed,
        skills: arm === 'warm',
        learn: false,
        stopAtTarget: false,
        budget: heldoutBudget(options, arm === 'cold2x' ? 2 : 1),
      });
      arms[arm].push(summary);
      options.log(`${competition} seed ${seed} ${arm}: final ${summary.finalScore?.toFixed(4)} in ${summary.computeSeconds.toFixed(1)} s, ${summary.steps} steps`);
    }
  }
  const targetSource = spec.targetScore !== undefined ? 'competition' : 'cold-best';
  const targetFor = (seed: number) => spec.targetScore ?? arms.cold[seed]!.finalScore ?? NaN;
  const runs = Object.fromEntries(ARMS.map((arm) => [arm, arms[arm].map((s, seed) => armRun(s, seed, targetFor(seed)))])) as Record<Arm, ArmRun[]>;
  const uses = new Map<string, number>();
  for (const r of runs.warm) for (const id of r.skillsUsed) uses.set(id, (uses.get(id) ?? 0) + 1);
  return {
    competition: spec.id,
    metric: spec.metric,
    direction: spec.direction,
    target: spec.targetScore ?? targetFor(0),
    targetSource,
    arms: runs,
    ratio: meanSem(seeds.map((seed) => coldOverWarm(runs.cold[seed]!, runs.warm[seed]!))),
    train,
    skills: await skillsOf(uses),
    ...(({ noise, negative }) => ({ noise, negativeTransfer: negative }))(negativeTransfer(runs.cold, runs.warm, spec.direction)),
  };
}

async function withStore<T>(config: HasteConfig, fn: (store: SkillStore) => Promise<T>): Promise<T> {
  const store = await openSkillStore(config.skills);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** The library's skills as a result lists them, with how often the warm runs used each. */
async function librarySkills(config: HasteConfig, uses: Map<string, number>, usedOnly: boolean): Promise<TransferResult['skills']> {
  return withStore(config, async (store) =>
    (await store.list({}))
      .map((s) => ({ id: s.id, tier: s.tier, title: s.title, status: s.status, uses: uses.get(s.id) ?? 0 }))
      .filter((s) => !usedOnly || s.uses > 0)
      .sort((a, b) => b.uses - a.uses || (a.id < b.id ? -1 : 1)),
  );
}

function totals(competitions: HeldoutResult[], seeds: number[]): TransferResult['total'] {
  const pairs = competitions.flatMap((c) => seeds.map((seed) => ({ c, cold: c.arms.cold[seed]!, warm: c.arms.warm[seed]!, cold2x: c.arms.cold2x[seed] })));
  const per = (f: (r: ArmRun) => number | null) =>
    Object.fromEntries(ARMS.map((arm) => [arm, meanSem(competitions.flatMap((c) => c.arms[arm]).map(f))])) as Record<Arm, ReturnType<typeof meanSem>>;
  return {
    ratio: meanSem(competitions.flatMap((c) => seeds.map((seed) => coldOverWarm(c.arms.cold[seed]!, c.arms.warm[seed]!)))),
    reached: Object.fromEntries(ARMS.map((arm) => [arm, competitions.flatMap((c) => c.arms[arm]).filter((r) => r.computeToTarget !== null).length])) as Record<Arm, number>,
    warmNotWorse: pairs.filter(({ c, cold, warm }) => cold.finalScore !== null && warm.finalScore !== null && !isBetter(cold.finalScore, warm.finalScore, c.direction)).length,
    comparisons: pairs.length,
    warmBeatsCold2x: pairs.filter(
      ({ warm, cold2x }) => cold2x && warm.computeToTarget !== null && (cold2x.computeToTarget === null || warm.computeToTarget < cold2x.computeToTarget),
    ).length,
    negative: competitions.filter((c) => c.negativeTransfer).length,
    stepsToBest: per((r) => r.stepsToBest),
    keepRate: per((r) => r.keepRate),
    tokens: Object.fromEntries(ARMS.map((arm) => [arm, armTokens(competitions.flatMap((c) => c.arms[arm]))])) as Record<Arm, ReturnType<typeof armTokens>>,
  };
}

/** The unit every run used, or slot seconds when any ran on a GPU slot (mixed units are not compared as one). */
const unitOf = (competitions: HeldoutResult[]): ComputeUnit =>
  competitions.flatMap((c) => ARMS.flatMap((a) => c.arms[a])).every((r) => r.computeUnit === 'cpu-seconds') ? 'cpu-seconds' : 'slot-seconds';

const episodeRunner =
  (config: HasteConfig, client: Client): Run =>
  async (input) =>
    (await startEpisode(config, client, input)).handle.result();

/**
 * The transfer benchmark on one split: learn skills on the train sequence, then run every held-out
 * competition cold (no skills), warm (skills) and cold with twice the budget, per seed. Held-out
 * episodes learn nothing (learn: false), so nothing learned on a held-out competition is ever used for it.
 */
export async function runTransferBenchmark(config: HasteConfig, client: Client, options: TransferOptions): Promise<TransferResult> {
  const overlap = options.train.filter((c) => options.heldout.includes(c));
  if (overlap.length) throw new Error(`competitions both in --train and --heldout: ${overlap.join(', ')}`);
  const tag = `transfer-${Date.now()}`;
  const run = episodeRunner(config, client);
  await learnPhase(client, run, tag, options.train, options);
  const competitions: HeldoutResult[] = [];
  for (const competition of options.heldout)
    competitions.push(await heldoutPhase(config, run, tag, competition, options.train, options, (uses) => librarySkills(config, uses, true)));
  const seeds = Array.from({ length: options.seeds }, (_, i) => i);
  const uses = new Map<string, number>();
  for (const c of competitions) for (const r of c.arms.warm) for (const id of r.skillsUsed) uses.set(id, (uses.get(id) ?? 0) + 1);
  return {
    createdAt: new Date().toISOString(),
    train: options.train,
    heldout: options.heldout,
    seeds,
    budgetSeconds: options.budgetSeconds,
    computeUnit: unitOf(competitions),
    agent: options.agent ?? 'offline',
    skills: await librarySkills(config, uses, false),
    competitions,
    total: totals(competitions, seeds),
  };
}

/** Empties the skill library: every fold of a rotation learns from nothing but its own train list. */
async function clearLibrary(config: HasteConfig): Promise<void> {
  await withStore(config, async (store) => {
    for (let page = await store.list({}, { limit: 500 }); page.length > 0; page = await store.list({}, { limit: 500 })) for (const s of page) await store.delete(s.id);
  });
}

/**
 * Leave-one-competition-out on a declared split (bench/rotation.ts): the split is printed first;
 * then per fold, from an empty library, learn on its train list in order and run its held-out
 * competition cold, warm and cold 2×.
 */
export async function runRotationBenchmark(
  config: HasteConfig,
  client: Client,
  split: RotationSplit,
  options: Omit<TransferOptions, 'train' | 'heldout'>,
  print: (line: string) => void,
): Promise<TransferResult> {
  const tag = `rotation-${Date.now()}`;
  const run = episodeRunner(config, client);
  const skills: TransferResult['skills'] = [];
  const competitions = await runRotation(
    split,
    async (fold: Fold, i: number) => {
      await clearLibrary(config);
      const foldOptions = { ...options, train: fold.train, heldout: [fold.heldout] };
      await learnPhase(client, run, `${tag}-f${i}`, fold.train, foldOptions);
      const result = await heldoutPhase(config, run, `${tag}-f${i}`, fold.heldout, fold.train, foldOptions, (uses) => librarySkills(config, uses, true));
      skills.push(...(await librarySkills(config, new Map(result.skills.map((s) => [s.id, s.uses])), false)));
      return result;
    },
    print,
  );
  const seeds = Array.from({ length: options.seeds }, (_, i) => i);
  return {
    createdAt: new Date().toISOString(),
    rotation: split.rotation,
    split: split.folds,
    train: [...new Set(split.folds.flatMap((f) => f.train))],
    heldout: split.folds.map((f) => f.heldout),
    seeds,
    budgetSeconds: options.budgetSeconds,
    computeUnit: unitOf(competitions),
    agent: options.agent ?? 'offline',
    // Every fold's library at its end (a skill learned in several folds is listed once per fold).
    skills,
    competitions,
    total: totals(competitions, seeds),
  };
}
