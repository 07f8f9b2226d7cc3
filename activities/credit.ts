import type { Direction } from '../schemas/competition.js';
import type { StepRecord } from '../schemas/episode.js';
import type { SkillOutcome, SkillStore } from '../skill-store/store.js';
import { improvement } from '../distill/trajectory.js';

type CreditStep = Pick<StepRecord, 'status' | 'cvScore' | 'skillIds'>;

/**
 * Credit assignment, one outcome per skill per episode, with and without it inside the episode:
 * delta = the best CV score of the steps the skill shaped − the best of the steps it did not shape
 * (the naive baseline's graded score when every step was shaped by it).
 */
export function skillOutcomes(steps: CreditStep[], baselineScore: number | null, direction: Direction): Map<string, { delta: number; won: boolean }> {
  const ok = steps.filter((s): s is CreditStep & { cvScore: number } => s.status === 'ok' && typeof s.cvScore === 'number');
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

export function createCreditActivities(openStore: () => Promise<SkillStore>) {
  return {
    /** Updates the stats of every skill that shaped the episode's steps; a retry counts nothing twice. */
    async creditSkills(input: { workflowId: string; runId: string; competitionId: string; direction: Direction; steps: CreditStep[]; baselineScore: number | null }): Promise<Record<string, SkillOutcome>> {
      const outcomes = skillOutcomes(input.steps, input.baselineScore, input.direction);
      if (outcomes.size === 0) return {};
      const store = await openStore();
      const recorded: Record<string, SkillOutcome> = {};
      try {
        for (const [id, o] of outcomes) {
          const outcome = { ...o, competition: input.competitionId, key: `${input.workflowId}/${input.runId}` };
          // A skill deleted since the episode retrieved it has nothing left to credit.
          if (await store.get(id)) {
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
