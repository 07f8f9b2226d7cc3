import { profileOf, savingAgainstNeutral } from '../distill/portfolio.js';
import { DEFAULT_POLICY } from '../distill/rules.js';
import type { Direction, TaskType } from '../schemas/competition.js';
import type { StepRecord } from '../schemas/episode.js';
import type { SkillRecord } from '../schemas/skill.js';
import type { SkillOutcome, SkillStore } from '../skill-store/store.js';
import { improvement } from '../distill/trajectory.js';

type ScoredStep = Pick<StepRecord, 'status' | 'cvScore' | 'skillIds'>;
type CreditStep = ScoredStep & Pick<StepRecord, 'candidate' | 'computeSeconds'> & Partial<Pick<StepRecord, 'cpuSeconds' | 'gpuSeconds'>>;

interface CreditInput {
  workflowId: string;
  runId: string;
  competitionId: string;
  domain: string;
  taskType: TaskType;
  direction: Direction;
  steps: CreditStep[];
  baselineScore: number | null;
}

/**
 * Credit assignment, one outcome per skill per episode, with and without it inside the episode:
 * delta = the best CV score of the steps the skill shaped − the best of the steps it did not shape
 * (the naive baseline's graded score when every step was shaped by it).
 */
export function skillOutcomes(steps: ScoredStep[], baselineScore: number | null, direction: Direction): Map<string, { delta: number; won: boolean }> {
  const ok = steps.filter((s): s is ScoredStep & { cvScore: number } => s.status === 'ok' && typeof s.cvScore === 'number');
  const best = (xs: number[]) => (xs.length === 0 ? null : direction === 'maximize' ? Math.max(...xs) : Math.min(...xs));
  const out = new Map<string, { delta: number; won: boolean }>();
  for (const id of new Set(ok.flatMap((s) => s.skillIds ?? []))) {
    const withIt = best(ok.filter((s) => s.skillIds?.includes(id)).map((s) => s.cvScore))!;
    const without = best(ok.filter((s) => !s.skillIds?.includes(id)).map((s) => s.cvScore)) ?? baselineScore;
    if (without === null) continue;
    const delta = improvement(withIt, without, direction);
    out.set(id, { delta, won: delta > 0 });
  }
  return out;
}

/**
 * A portfolio skill's outcome is about compute, not the final score: the share of compute-to-near-best
 * its order saved against the neutral order, replayed on this episode's own measurements (every
 * candidate of both orders' prefixes was tried here). Undefined when the replay cannot tell.
 */
export function portfolioOutcome(skill: SkillRecord, input: CreditInput): { delta: number; won: boolean } | undefined {
  const profile = profileOf(input.steps, input.baselineScore, input.direction);
  if (!profile) return undefined;
  const saving = savingAgainstNeutral(skill.recipe.portfolio ?? [], input.domain, input.taskType, profile, DEFAULT_POLICY.nearBest);
  return saving === undefined ? undefined : { delta: Number(saving.toFixed(4)), won: saving > 0 };
}

export function createCreditActivities(openStore: () => Promise<SkillStore>) {
  return {
    /** Updates the stats of every skill that shaped the episode's steps; a retry counts nothing twice. */
    async creditSkills(input: CreditInput): Promise<Record<string, SkillOutcome>> {
      const outcomes = skillOutcomes(input.steps, input.baselineScore, input.direction);
      if (outcomes.size === 0) return {};
      const store = await openStore();
      const recorded: Record<string, SkillOutcome> = {};
      try {
        for (const [id, scored] of outcomes) {
          // A skill deleted since the episode retrieved it has nothing left to credit.
          const skill = await store.get(id);
          const o = skill?.recipe.portfolio ? portfolioOutcome(skill, input) : scored;
          if (skill && o) {
            const outcome = { ...o, competition: input.competitionId, key: `${input.workflowId}/${input.runId}` };
            await store.recordOutcome(id, outcome);
            recorded[id] = outcome;
          }
        }
      } finally {
        await store.close();
      }
      return recorded;
    },
  };
}
