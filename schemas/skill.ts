import { createHash } from 'node:crypto';
import { z } from 'zod';
import { DomainSchema, TaskTypeSchema } from './competition.js';
import { PipelineFragmentSchema } from './pipeline.js';
import { CandidateSchema } from './training.js';

export const SkillTierSchema = z.enum(['global', 'domain', 'task']);
export type SkillTier = z.infer<typeof SkillTierSchema>;
export const SKILL_TIERS = SkillTierSchema.options;

export const SkillKindSchema = z.enum(['technique', 'pitfall', 'hyperparameter-prior', 'recipe', 'code']);
export type SkillKind = z.infer<typeof SkillKindSchema>;

/** candidate: not yet validated; active: trusted and retrieved; deprecated: superseded but kept; retired: stopped helping. */
export const SkillStatusSchema = z.enum(['candidate', 'active', 'deprecated', 'retired']);
export type SkillStatus = z.infer<typeof SkillStatusSchema>;

/** Where a skill applies: global skills have no scope, domain skills a domain, task skills a domain and a competition. */
export const SkillScopeSchema = z.strictObject({
  domain: DomainSchema.optional(),
  competition: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]*$/, 'a competition id such as credit-default')
    .optional(),
});

/** A hyperparameter as the offline engineer can use it: a fixed value, a numeric range, or a set of choices. */
export const ParamPriorSchema = z.union([
  z.number(),
  z.string(),
  z.boolean(),
  z.strictObject({ min: z.number(), max: z.number(), log: z.boolean().default(false) }).refine((r) => r.min <= r.max, 'min must not exceed max'),
  z.strictObject({ choices: z.array(z.union([z.number(), z.string(), z.boolean(), z.array(z.number())])).min(1) }),
]);

/** The machine-usable part of a skill: a runner template, preprocessing steps and hyperparameter priors. */
export const SkillRecipeSchema = z.strictObject({
  template: z.string().min(1).optional(),
  pipeline: PipelineFragmentSchema.optional(),
  preprocessing: z.array(z.string().min(1)).default([]),
  params: z.record(z.string(), ParamPriorSchema).default({}),
  /** An ordered portfolio, best bet first: candidates to try before the rest of the default portfolio. */
  portfolio: z.array(CandidateSchema).optional(),
});
export type SkillRecipe = z.infer<typeof SkillRecipeSchema>;

const RangeSchema = z
  .strictObject({ min: z.number().optional(), max: z.number().optional() })
  .refine((r) => r.min === undefined || r.max === undefined || r.min <= r.max, 'min must not exceed max');
export type TraitRange = z.infer<typeof RangeSchema>;

const TraitValueSchema = z.union([z.number(), z.string(), z.boolean()]);

/**
 * One condition over a profile trait (`profileTraits`): `{trait: 'target.skew', op: '>', value: 1}`,
 * `{trait: 'metric', op: 'in', value: ['rmsle']}`. A trait the profile lacks makes it false.
 */
export const TraitConditionSchema = z
  .strictObject({
    trait: z.string().regex(/^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)*$/, 'a profile trait such as target.skew'),
    op: z.enum(['<', '<=', '>', '>=', '==', '!=', 'in']),
    value: z.union([TraitValueSchema, z.array(TraitValueSchema).min(1)]),
  })
  .superRefine((c, ctx) => {
    if (c.op === 'in' && !Array.isArray(c.value)) ctx.addIssue({ code: 'custom', path: ['value'], message: "'in' takes a list of values" });
    if (c.op !== 'in' && Array.isArray(c.value)) ctx.addIssue({ code: 'custom', path: ['value'], message: `'${c.op}' takes one value` });
    if (['<', '<=', '>', '>='].includes(c.op) && typeof c.value !== 'number') ctx.addIssue({ code: 'custom', path: ['value'], message: `'${c.op}' compares numbers` });
  });
export type TraitCondition = z.infer<typeof TraitConditionSchema>;

/** When a skill applies; every condition left out matches anything. Shares are fractions in [0, 1]. */
export const SkillConditionsSchema = z.strictObject({
  /** Conditions over the competition's profile traits, all of which must hold. */
  where: z.array(TraitConditionSchema).optional(),
  taskTypes: z.array(TaskTypeSchema).default([]),
  rows: RangeSchema.optional(),
  features: RangeSchema.optional(),
  /** Share of numeric features among all features. */
  numericShare: RangeSchema.optional(),
  /** Share of the rarest class among training rows (classification only). */
  minorityClassShare: RangeSchema.optional(),
  /** Absolute skewness of the target (regression only). */
  targetSkew: RangeSchema.optional(),
});
export type SkillConditions = z.infer<typeof SkillConditionsSchema>;

/** What a skill is known to have done, measured on a run. */
export const SkillEvidenceSchema = z.strictObject({
  competition: z.string().min(1),
  runId: z.string().min(1),
  metric: z.string().min(1),
  score: z.number().optional(),
  /** Improvement over the run's baseline in the metric's better direction (positive is better). */
  deltaVsBaseline: z.number(),
  computeSeconds: z.number().nonnegative(),
  /** What computeSeconds counts: the runner's CPU seconds (CPU hosts) or slot seconds (GPU hosts, and records before units). */
  computeUnit: z.enum(['cpu-seconds', 'slot-seconds']).optional(),
  /** Technique evidence: the stable technique name (TechniqueDelta.technique) the delta measured. */
  technique: z.string().min(1).optional(),
  /** The competition's profile traits when the evidence was measured: what technique conditions are derived from. */
  traits: z.record(z.string(), TraitValueSchema).optional(),
  /** Technique evidence: the candidates with and without it, as measured (what a conflict probe re-runs). */
  pair: z.tuple([CandidateSchema, CandidateSchema]).optional(),
  /** Every candidate the run tried: its regret (share of the run's gain over the baseline it missed; null: failed) and cost. */
  profile: z.record(z.string(), z.strictObject({ candidate: CandidateSchema, regret: z.number().nonnegative().nullable(), computeSeconds: z.number().nonnegative() })).optional(),
});

/** One use of a skill and what it did there (the newest RECENT_OUTCOMES are kept, for decay and validation). */
export const SkillUseSchema = z.strictObject({
  /** Identifies the use (e.g. workflowId/runId): a retried report of the same use is not counted twice. */
  key: z.string().min(1),
  competition: z.string(),
  delta: z.number(),
  won: z.boolean(),
});
export type SkillUse = z.infer<typeof SkillUseSchema>;

export const SkillStatsSchema = z.strictObject({
  uses: z.number().int().nonnegative().default(0),
  wins: z.number().int().nonnegative().default(0),
  losses: z.number().int().nonnegative().default(0),
  meanDelta: z.number().default(0),
  recent: z.array(SkillUseSchema).default([]),
});
export type SkillStats = z.infer<typeof SkillStatsSchema>;

export const SkillProvenanceSchema = z.strictObject({
  workflowId: z.string().optional(),
  runId: z.string().optional(),
  agentBackend: z.string().optional(),
  model: z.string().optional(),
});

/** One skill, as stored, exported and imported (one JSON object per JSONL line). */
export const SkillRecordSchema = z
  .strictObject({
    id: z.uuid('a UUID; skillId() derives it from tier, scope and content'),
    tier: SkillTierSchema,
    scope: SkillScopeSchema.default({}),
    kind: SkillKindSchema,
    title: z.string().min(1).max(200),
    /** What the skill does and when to use it, for readers choosing among skills (SKILL.md's description). */
    description: z.string().min(1).max(1024).optional(),
    body: z.string().min(1),
    recipe: SkillRecipeSchema.default({ preprocessing: [], params: {} }),
    conditions: SkillConditionsSchema.default({ taskTypes: [] }),
    evidence: z.array(SkillEvidenceSchema).default([]),
    stats: SkillStatsSchema.default({ uses: 0, wins: 0, losses: 0, meanDelta: 0, recent: [] }),
    status: SkillStatusSchema.default('candidate'),
    statusReason: z.string().optional(),
    /** Bumped by one on every content change; a write of version n+1 succeeds only over version n. */
    version: z.number().int().positive().default(1),
    supersedes: z.uuid().optional(),
    provenance: SkillProvenanceSchema.default({}),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .superRefine((s, ctx) => {
    if (s.tier !== 'global' && !s.scope.domain) ctx.addIssue({ code: 'custom', path: ['scope', 'domain'], message: `${s.tier} skills need a domain` });
    if (s.tier === 'task' && !s.scope.competition) ctx.addIssue({ code: 'custom', path: ['scope', 'competition'], message: 'task skills need a competition' });
    if (s.tier === 'global' && (s.scope.domain || s.scope.competition)) ctx.addIssue({ code: 'custom', path: ['scope'], message: 'global skills have no domain or competition' });
    if (s.tier === 'domain' && s.scope.competition) ctx.addIssue({ code: 'custom', path: ['scope', 'competition'], message: 'domain skills have no competition (use tier task)' });
  });
export type SkillRecord = z.output<typeof SkillRecordSchema>;
export type SkillRecordInput = z.input<typeof SkillRecordSchema>;

/** A new skill as a writer states it: everything the store and skillId() can fill in is optional. */
export type SkillDraft = Omit<SkillRecordInput, 'id' | 'createdAt' | 'updatedAt'> & Partial<Pick<SkillRecordInput, 'createdAt' | 'updatedAt'>>;

// Fixed namespace for HASTE skill ids (UUIDv5): the same content always gets the same id, on any machine.
const SKILL_NAMESPACE = Buffer.from('6f1c2a4e9b3d4c8aa2e15b7d0c9f3e21', 'hex');

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Case, spacing and markdown emphasis do not make a different skill. */
function normaliseText(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[*_`]+/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * The deterministic id: a UUIDv5 of tier, scope and normalised content (title, body, recipe), so a
 * retried write of the same skill lands on the same id and never duplicates it.
 */
export function skillId(skill: Pick<SkillRecordInput, 'tier' | 'scope' | 'title' | 'body' | 'recipe'>): string {
  const name = canonicalJson({
    tier: skill.tier,
    domain: skill.scope?.domain ?? null,
    competition: skill.scope?.competition ?? null,
    title: normaliseText(skill.title),
    body: normaliseText(skill.body),
    recipe: SkillRecipeSchema.parse(skill.recipe ?? {}),
  });
  const hash = createHash('sha1').update(SKILL_NAMESPACE).update(name).digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Validates a draft and completes it into a record: id from content, timestamps now unless given. */
export function createSkill(draft: SkillDraft, now: Date = new Date()): SkillRecord {
  const stamp = now.toISOString();
  return SkillRecordSchema.parse({ ...draft, id: skillId(draft), createdAt: draft.createdAt ?? stamp, updatedAt: draft.updatedAt ?? stamp });
}

/** The text both the embedder and BM25 see: title, body and the recipe in words. */
export function skillSearchText(skill: SkillRecord): string {
  const recipe = skill.recipe.template ? `template ${skill.recipe.template} ${Object.keys(skill.recipe.params).join(' ')} ${skill.recipe.preprocessing.join(' ')}` : '';
  const where = (skill.conditions.where ?? []).map((c) => `${c.trait} ${c.op} ${JSON.stringify(c.value)}`).join(' ');
  return `${skill.title}\n${skill.body}\n${recipe}\n${where}`.trim();
}

/** Two writes carry the same skill state when they differ at most in timestamps. */
export function sameSkillState(a: SkillRecord, b: SkillRecord): boolean {
  const strip = ({ createdAt: _c, updatedAt: _u, ...rest }: SkillRecord) => canonicalJson(rest);
  return strip(a) === strip(b);
}

/** A skill as an episode sees it once retrieved: what an agent reads, and what the offline engineer can use. */
export const RetrievedSkillSchema = z.strictObject({
  id: z.string(),
  tier: SkillTierSchema,
  kind: SkillKindSchema,
  title: z.string(),
  body: z.string(),
  recipe: SkillRecipeSchema,
  /** relevance × evidence × condition match, in (0, ~1.5]: the order the agent should weigh them in. */
  score: z.number(),
});
export type RetrievedSkill = z.infer<typeof RetrievedSkillSchema>;

/** One episode's retrieved skills, tier by tier (as the retrieval artifact stores them). */
export const TieredSkillsSchema = z.strictObject({
  global: z.array(RetrievedSkillSchema),
  domain: z.array(RetrievedSkillSchema),
  task: z.array(RetrievedSkillSchema),
});
export type TieredSkills = z.infer<typeof TieredSkillsSchema>;
