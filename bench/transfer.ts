import type { Client } from '@temporalio/client';
import { startEpisode } from '../cli/client.js';
import { loadCompetitionSpec } from '../infra/competitions.js';
import type { HasteConfig } from '../infra/config.js';
import { isBetter, type Direction } from '../schemas/competition.js';
import type { EpisodeInput, EpisodeSummary, StepRecord } from '../schemas/episode.js';
import { ARMS, meanSem, type Arm, type ArmRun, type HeldoutResult, type TransferResult } from '../schemas/transfer.js';
import { openSkillStore } from '../skill-store/open.js';
import type { distillSkills } from '../workflows/distill.js';
import { TASK_QUEUES } from '../schemas/task-queues.js';

export interface TransferOptions {
  train: string[];
  heldout: string[];
  seeds: number;
  budgetSeconds: number;
  /** Compute per learning episode (default: budgetSeconds). A learning run that tries the whole portfolio teaches more. */
  trainBudgetSeconds?: number;
  /** Step cap per learning episode (default: none). Capping at the portfolio's size measures every candidate once, however loaded the machine. */
  trainSteps?: number;
  /** Also run the cold-with-twice-the-budget arm (default true; a quick check may leave it out). */
  coldTwice?: boolean;
  /** Progress lines (to stderr in the CLI). */
  log: (line: string) => void;
}

/** Best graded score of the incumbent (by CV) after each step, against cumulative compute. */
export function incumbentCurve(ledger: StepRecord[], direction: Direction): ArmRun['curve'] {
  const curve: ArmRun['curve'] = [];
  let compute = 0;
  let incumbent: StepRecord | null = null;
  for (const s of ledger) {
    compute += s.computeSeconds;
    if (s.status === 'ok' && s.cvScore !== undefined && (!incumbent || isBetter(s.cvScore, incumbent.cvScore!, direction))) incumbent = s;
    if (incumbent?.gradedScore !== undefined) curve.push({ compute, best: incumbent.gradedScore });
  }
  return curve;
}

/** Cold compute-to-target over warm; null when either run never reached the target. */
function coldOverWarm(cold: ArmRun, warm: ArmRun): number | null {
  return cold.computeToTarget !== null && warm.computeToTarget !== null && warm.computeToTarget > 0 ? cold.computeToTarget / warm.computeToTarget : null;
}

function reached(score: number, target: number, direction: Direction): boolean {
  return score === target || isBetter(score, target, direction);
}

function armRun(summary: EpisodeSummary, seed: number, target: number): ArmRun {
  const curve = incumbentCurve(summary.ledger, summary.direction);
  return {
    seed,
    workflowId: summary.workflowId,
    finalScore: summary.finalScore,
    computeToTarget: curve.find((p) => reached(p.best, target, summary.direction))?.compute ?? null,
    computeSeconds: summary.computeSeconds,
    steps: summary.steps,
    keepRate: summary.steps ? summary.ledger.filter((s) => s.improved).length / summary.steps : 0,
    curve,
    skillsUsed: [...new Set(summary.ledger.flatMap((s) => s.skillIds ?? []))],
  };
}

/** Compute is the only limit in the benchmark: a step cap from competition.yaml would hide what the 2× arm buys. */
const computeOnly = (computeSeconds: number) => ({ computeSeconds, maxSteps: 10_000 });

/**
 * The transfer benchmark: learn skills on the train sequence (each episode also validates the skills
 * learned before it, then is distilled), then run every held-out competition cold (no skills), warm
 * (skills) and cold with twice the budget, per seed. Held-out episodes learn nothing (learn: false),
 * so nothing learned on a held-out competition is ever used for it.
 */
export async function runTransferBenchmark(config: HasteConfig, client: Client, options: TransferOptions): Promise<TransferResult> {
  const overlap = options.train.filter((c) => options.heldout.includes(c));
  if (overlap.length) throw new Error(`competitions both in --train and --heldout: ${overlap.join(', ')}`);
  const tag = `transfer-${Date.now()}`;
  const run = async (input: EpisodeInput): Promise<EpisodeSummary> => (await startEpisode(config, client, input)).handle.result();

  for (const [i, competition] of options.train.entries()) {
    const summary = await run({ competition, runTag: `${tag}-learn-${i}`, budget: { ...computeOnly(options.trainBudgetSeconds ?? options.budgetSeconds), ...(options.trainSteps ? { maxSteps: options.trainSteps } : {}) }, stopAtTarget: false, validateSkills: true, learn: true, seed: i });
    // Wait for this episode's distillation, so the next one sees what it taught.
    const { runId } = await client.workflow.getHandle(summary.workflowId).describe();
    await client.workflow.getHandle<typeof distillSkills>(`haste-distill-${summary.workflowId}-${runId}`).result();
    options.log(`learned from ${competition}: final ${summary.finalScore?.toFixed(4)} in ${summary.computeSeconds.toFixed(1)} s, ${summary.ledger.filter((s) => s.skillIds?.length).length} step(s) shaped by skills`);
  }
  // One more pass over everything, so the last episode's uses count towards validation too.
  const final = await client.workflow.execute<typeof distillSkills>('distillSkills', { taskQueue: TASK_QUEUES.orchestrator, workflowId: `haste-distill-${tag}`, args: [{}] });
  options.log(`distilled: ${final.skills} skills; ${final.audit.map((a) => `${a.action} ${a.title}`).join('; ') || 'no changes'}`);

  const competitions: HeldoutResult[] = [];
  const allRatios: (number | null)[] = [];
  const seeds = Array.from({ length: options.seeds }, (_, i) => i);
  for (const competition of options.heldout) {
    const spec = await loadCompetitionSpec(config, competition);
    const arms: Record<Arm, EpisodeSummary[]> = { cold: [], warm: [], cold2x: [] };
    for (const seed of seeds) {
      for (const arm of ARMS.filter((a) => a !== 'cold2x' || options.coldTwice !== false)) {
        const summary = await run({
          competition,
          runTag: `${tag}-${arm}-${seed}`,
          seed,
          skills: arm === 'warm',
          learn: false,
          stopAtTarget: false,
          budget: computeOnly(options.budgetSeconds * (arm === 'cold2x' ? 2 : 1)),
        });
        arms[arm].push(summary);
        options.log(`${competition} seed ${seed} ${arm}: final ${summary.finalScore?.toFixed(4)} in ${summary.computeSeconds.toFixed(1)} s, ${summary.steps} steps`);
      }
    }
    const targetSource = spec.targetScore !== undefined ? 'competition' : 'cold-best';
    const targetFor = (seed: number) => spec.targetScore ?? arms.cold[seed]!.finalScore ?? NaN;
    const runs = Object.fromEntries(ARMS.map((arm) => [arm, arms[arm].map((s, seed) => armRun(s, seed, targetFor(seed)))])) as Record<Arm, ArmRun[]>;
    const ratios = seeds.map((seed) => coldOverWarm(runs.cold[seed]!, runs.warm[seed]!));
    allRatios.push(...ratios);
    competitions.push({ competition: spec.id, metric: spec.metric, direction: spec.direction, target: spec.targetScore ?? targetFor(0), targetSource, arms: runs, ratio: meanSem(ratios) });
  }

  const pairs = competitions.flatMap((c) => seeds.map((seed) => ({ c, cold: c.arms.cold[seed]!, warm: c.arms.warm[seed]! })));
  const uses = new Map<string, number>();
  for (const { warm } of pairs) for (const id of warm.skillsUsed) uses.set(id, (uses.get(id) ?? 0) + 1);
  const store = await openSkillStore(config.skills);
  const skills = [];
  try {
    for (const s of await store.list({})) skills.push({ id: s.id, tier: s.tier, title: s.title, status: s.status, uses: uses.get(s.id) ?? 0 });
  } finally {
    await store.close();
  }
  return {
    createdAt: new Date().toISOString(),
    train: options.train,
    heldout: options.heldout,
    seeds,
    budgetSeconds: options.budgetSeconds,
    skills: skills.sort((a, b) => b.uses - a.uses),
    competitions,
    total: {
      ratio: meanSem(allRatios),
      reached: Object.fromEntries(ARMS.map((arm) => [arm, competitions.flatMap((c) => c.arms[arm]).filter((r) => r.computeToTarget !== null).length])) as Record<Arm, number>,
      warmNotWorse: pairs.filter(({ c, cold, warm }) => cold.finalScore !== null && warm.finalScore !== null && !isBetter(cold.finalScore, warm.finalScore, c.direction)).length,
      comparisons: pairs.length,
    },
  };
}
