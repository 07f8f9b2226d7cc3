import { z } from 'zod';
import type { CompetitionSpec } from '../schemas/competition.js';
import type { Profile } from '../schemas/profile.js';
import { competitionTraits, conditionsHold } from './conditions.js';
import type { SkillRetriever } from './retriever.js';
import { type RetrievedSkill, type TieredSkills, SKILL_TIERS, type SkillConditions, type SkillRecord, type SkillTier, type TraitRange } from '../schemas/skill.js';
import { RRF_K, type SkillFilter, type SkillStore } from './store.js';

export const TieredRetrievalOptionsSchema = z.strictObject({
  /** At most this many skills per tier. */
  quotas: z
    .strictObject({ global: z.number().int().nonnegative(), domain: z.number().int().nonnegative(), task: z.number().int().nonnegative() })
    .default({ global: 3, domain: 5, task: 5 }),
  /** Prompt tokens all retrieved skills may take together (estimated at 4 characters a token). */
  tokenBudget: z.number().int().positive().default(2400),
  /** How the budget is shared: the orchestrator needs few, broad lessons; the engineer the most specific. */
  budgetShares: z.strictObject({ global: z.number().min(0), domain: z.number().min(0), task: z.number().min(0) }).default({ global: 0.2, domain: 0.4, task: 0.4 }),
  /** Also retrieve skills not yet validated (candidate) or on their way out (deprecated). */
  includeCandidates: z.boolean().default(false),
});
export type TieredRetrievalOptions = z.input<typeof TieredRetrievalOptionsSchema>;

/** How the competition is described to the search: its task, domain, metric and data traits in words. */
export function competitionQuery(c: CompetitionSpec): string {
  const t = c.traits;
  const balance = t.minorityClassShare !== undefined && t.minorityClassShare < 0.2 ? ', imbalanced classes' : '';
  const skew = t.targetSkew !== undefined && Math.abs(t.targetSkew) > 1 ? ', skewed target' : '';
  const mix =
    t.categoricalFeatures === 0
      ? 'all numeric features'
      : t.numericFeatures === 0
        ? 'all categorical features'
        : `${t.numericFeatures} numeric and ${t.categoricalFeatures} categorical features`;
  return `${c.taskType} ${c.domain} competition ${c.id}: ${c.title}. Metric ${c.metric}. ${t.rows} rows, ${mix}${balance}${skew}.`;
}

/** 1 inside the range; outside it decays with the distance (in log space for counts, linearly for shares). */
function rangeMatch(range: TraitRange | undefined, value: number | undefined, scale: 'log' | 'linear'): number {
  if (!range || value === undefined) return 1;
  const below = range.min !== undefined && value < range.min ? range.min : undefined;
  const above = range.max !== undefined && value > range.max ? range.max : undefined;
  const bound = below ?? above;
  if (bound === undefined) return 1;
  const distance = scale === 'log' ? Math.abs(Math.log2(Math.max(value, 1) / Math.max(bound, 1))) : Math.abs(value - bound) * 4;
  return Math.max(0.1, 2 ** -distance);
}

/** How well a skill's conditions fit the competition's traits: 0 for the wrong task type, else (0.1, 1]. */
export function conditionMatch(conditions: SkillConditions, competition: CompetitionSpec): number {
  if (conditions.taskTypes.length && !conditions.taskTypes.includes(competition.taskType)) return 0;
  const t = competition.traits;
  const numericShare = t.features > 0 ? t.numericFeatures / t.features : undefined;
  return (
    rangeMatch(conditions.rows, t.rows, 'log') *
    rangeMatch(conditions.features, t.features, 'log') *
    rangeMatch(conditions.numericShare, numericShare, 'linear') *
    rangeMatch(conditions.minorityClassShare, t.minorityClassShare, 'linear') *
    rangeMatch(conditions.targetSkew, t.targetSkew === undefined ? undefined : Math.abs(t.targetSkew), 'linear')
  );
}

/**
 * What a skill's track record is worth, around 1 for an untried skill: a Laplace-smoothed win rate
 * (wins + 1) / (uses + 2) scaled to [0.5, 1.5), times a bonus in (0.5, 1.5) for its mean delta
 * (recorded uses first, else the evidence it was distilled from).
 */
export function evidenceFactor(skill: SkillRecord): number {
  const { uses, wins, meanDelta } = skill.stats;
  const winRate = (wins + 1) / (uses + 2);
  const delta = uses > 0 ? meanDelta : skill.evidence.length ? skill.evidence.reduce((s, e) => s + e.deltaVsBaseline, 0) / skill.evidence.length : 0;
  return (0.5 + winRate) * (1 + 0.5 * Math.tanh(10 * delta));
}

const estimateTokens = (s: RetrievedSkill) => Math.ceil((s.title.length + s.body.length + JSON.stringify(s.recipe).length) / 4);

function tierFilter(tier: SkillTier, c: CompetitionSpec, includeCandidates: boolean): SkillFilter {
  // Validation runs also give deprecated skills their chance to recover (or be retired).
  const status: SkillFilter['status'] = includeCandidates ? ['active', 'candidate', 'deprecated'] : ['active'];
  if (tier === 'global') return { tier: [tier], status, taskType: c.taskType };
  if (tier === 'domain') return { tier: [tier], status, taskType: c.taskType, domain: c.domain };
  return { tier: [tier], status, taskType: c.taskType, domain: c.domain, competition: c.id };
}

/**
 * The skills for one episode, tier by tier: global for the orchestrator, domain for the specialist,
 * task for the engineer. Conditions first: a skill whose conditions do not hold on the competition's
 * traits (its profile's, else competition.yaml's) is never returned. The rest of each tier's filtered
 * hybrid search is re-ranked by relevance × evidence × condition match, then cut to the tier's quota
 * and share of the token budget.
 */
export async function retrieveTieredSkills(store: SkillStore, competition: CompetitionSpec, options: TieredRetrievalOptions = {}, profile?: Profile | null): Promise<TieredSkills> {
  const o = TieredRetrievalOptionsSchema.parse(options);
  const traits = competitionTraits(competition, profile);
  const text = competitionQuery(competition);
  const maxRrf = 2 / (RRF_K + 1);
  const out: TieredSkills = { global: [], domain: [], task: [] };
  for (const tier of SKILL_TIERS) {
    const quota = o.quotas[tier];
    if (quota === 0) continue;
    const hits = await store.search({ text, filter: tierFilter(tier, competition, o.includeCandidates), limit: Math.max(20, quota * 4) });
    const ranked = hits
      .filter((h) => conditionsHold(h.skill.conditions, traits))
      .map((h) => ({ skill: h.skill, score: (h.score / maxRrf) * evidenceFactor(h.skill) * conditionMatch(h.skill.conditions, competition) }))
      .filter((r) => r.score > 0)
      .sort((a, b) => b.score - a.score || (a.skill.id < b.skill.id ? -1 : 1));
    let budget = o.tokenBudget * o.budgetShares[tier];
    for (const { skill, score } of ranked) {
      if (out[tier].length >= quota) break;
      const retrieved: RetrievedSkill = { id: skill.id, tier, kind: skill.kind, title: skill.title, body: skill.body, recipe: skill.recipe, score: Number(score.toFixed(4)) };
      const tokens = estimateTokens(retrieved);
      if (tokens > budget) continue; // a shorter skill further down may still fit
      budget -= tokens;
      out[tier].push(retrieved);
    }
  }
  return out;
}

/** A retriever over a store opened per call, so a long-lived worker never holds a stale handle. */
export function createStoreRetriever(openStore: () => Promise<SkillStore>, options: TieredRetrievalOptions = {}): SkillRetriever {
  return {
    async retrieve(competition, perCall = {}, profile) {
      const store = await openStore();
      try {
        return await retrieveTieredSkills(store, competition, { ...options, ...perCall }, profile);
      } finally {
        await store.close();
      }
    },
  };
}
