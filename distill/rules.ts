import { familyOf } from '../agents/offline/families.js';
import { candidateFromRecipe } from '../agents/offline/skill-guided.js';
import type { Candidate } from '../schemas/training.js';
import type { TaskType } from '../schemas/competition.js';
import { createSkill, type SkillConditions, type SkillRecord, type SkillRecipe } from '../schemas/skill.js';
import { PipelineSpecSchema, type PipelineFragment } from '../schemas/pipeline.js';
import { computeUnitOf } from './compute.js';
import { leaveOneOut, learnOrder, profileOf, type PortfolioCase } from './portfolio.js';
import { contradicting, covered, techniqueOf, techniquePromotions } from './techniques.js';
import { improvement, incumbent, type Trajectory } from './trajectory.js';

/** The numbers the rules run on; defaults documented in docs/skills.md. */
export interface DistillPolicy {
  /** Promote task → domain when one template won on at least this many competitions of a domain. */
  promoteDomainAfter: number;
  /** Promote domain → global when one model family has a domain skill in at least this many domains. */
  promoteGlobalAfter: number;
  /** A candidate becomes active after this many uses on competitions it was not learned from... */
  validateAfterUses: number;
  /** Decay looks at the mean delta over a skill's last this-many uses. */
  decayWindow: number;
  /** A candidate is near-best on a run when it missed at most this share of the run's gain over the baseline. */
  nearBest: number;
}

export const DEFAULT_POLICY: DistillPolicy = { promoteDomainAfter: 2, promoteGlobalAfter: 2, validateAfterUses: 1, decayWindow: 3, nearBest: 0.02 };

/** One auditable change: what happened to which skill, why, and from which runs. */
export interface AuditEntry {
  action: 'created' | 'merged' | 'promoted' | 'narrowed' | 'activated' | 'deprecated' | 'retired' | 'restored' | 'conflict' | 'judged';
  skillId: string;
  title: string;
  reason: string;
  runs: string[];
}

/** Where a conflict can be settled by a probe run: a competition both skills' evidence knows, on this machine. */
export interface ProbeTarget {
  competition: string;
  dir: string;
  direction: 'maximize' | 'minimize';
}

/** Two conflicting skills' candidates to train side by side on the GPU queue; the worse one goes back to candidate. */
export interface ConflictProbe {
  skills: [string, string];
  candidates: [Candidate, Candidate];
  target: ProbeTarget;
}

/** What a change does to the store: whole records to write (each at its next version), and probes to run. */
export interface DistillChange {
  write: SkillRecord[];
  audit: AuditEntry[];
  probes?: ConflictProbe[];
}

/**
 * Identity of a lesson, independent of run-specific numbers: merging happens on this key. Technique
 * skills are one lesson per technique and pipeline fragment; other keys are as they were, so stored
 * skills keep merging into the same records.
 */
export function lessonKey(s: Pick<SkillRecord, 'tier' | 'scope' | 'recipe'> & Partial<Pick<SkillRecord, 'evidence'>>): string {
  const params = s.tier === 'task' ? JSON.stringify(Object.entries(s.recipe.params).sort(([a], [b]) => (a < b ? -1 : 1))) : '';
  const family = typeof s.recipe.params.family === 'string' ? s.recipe.params.family : '';
  const key = [s.tier, s.scope.domain ?? '', s.scope.competition ?? '', s.recipe.template ?? '', family, params, s.recipe.portfolio ? 'portfolio' : ''];
  const technique = s.evidence ? techniqueOf({ evidence: s.evidence }) : undefined;
  if (technique) key.push(`technique:${technique}`);
  if (s.recipe.pipeline) key.push(JSON.stringify(s.recipe.pipeline));
  return key.join('|');
}

/** A pipeline candidate's whole spec as a recipe fragment (target, features, model); ensembles and other templates have none. */
function pipelineOf(candidate: Candidate): PipelineFragment | undefined {
  if (candidate.template !== 'pipeline') return undefined;
  const spec = PipelineSpecSchema.safeParse(candidate.params);
  if (!spec.success || !('model' in spec.data)) return undefined;
  const { target, features, model } = spec.data;
  return { target, ...(features.length ? { features } : {}), model };
}

const runOf = (t: Trajectory) => `${t.workflowId}/${t.runId}`;

/** A candidate's params as a recipe holds them: lists (e.g. layer sizes) become a one-choice set. */
function recipeParams(params: Record<string, unknown>): SkillRecipe['params'] {
  const out: SkillRecipe['params'] = {};
  for (const [name, value] of Object.entries(params)) {
    if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') out[name] = value;
    else if (Array.isArray(value) && value.every((v) => typeof v === 'number')) out[name] = { choices: [value as number[]] };
  }
  return out;
}

/** The task-tier skill a finished episode teaches: what won on this competition, its recipe and score. */
export function taskSkillFrom(t: Trajectory, now: Date): SkillRecord | null {
  const best = incumbent(t);
  const c = t.state.competition;
  if (!best || t.finalScore === null || t.baselineScore === null) return null;
  const delta = improvement(t.finalScore, t.baselineScore, c.direction);
  const { template, params } = best.step.candidate;
  // The whole final pipeline, so the engineer can start from it on this competition again.
  const pipeline = pipelineOf(best.step.candidate);
  return createSkill(
    {
      tier: 'task',
      scope: { domain: c.domain, competition: c.id },
      kind: 'recipe',
      title: `${c.id}: ${template}`,
      body: `On **${c.id}** (${c.taskType}, ${c.traits.rows} rows, ${c.traits.features} features) the best model was \`${template}\` with ${JSON.stringify(params)}.`,
      recipe: { template, preprocessing: [], params: recipeParams(params), ...(pipeline ? { pipeline } : {}) },
      conditions: { taskTypes: [c.taskType] },
      evidence: [
        {
          competition: c.id,
          runId: runOf(t),
          metric: c.metric,
          score: t.finalScore,
          deltaVsBaseline: delta,
          computeSeconds: best.computeSeconds,
          computeUnit: computeUnitOf(t.state.steps),
          profile: profileOf(t.state.steps, t.baselineScore, c.direction) ?? undefined,
        },
      ],
      status: 'candidate',
      provenance: { workflowId: t.workflowId, runId: t.runId, agentBackend: 'offline' },
    },
    now,
  );
}

/** Merges the evidence of a newly extracted skill into the stored one of the same lesson (a new version). */
export function mergeEvidence(stored: SkillRecord, incoming: SkillRecord): SkillRecord | null {
  const known = new Set(stored.evidence.map((e) => `${e.competition}|${e.runId}`));
  const fresh = incoming.evidence.filter((e) => !known.has(`${e.competition}|${e.runId}`));
  if (fresh.length === 0) return null; // already merged: distillation is idempotent
  return { ...stored, evidence: [...stored.evidence, ...fresh], version: stored.version + 1 };
}

/** Numeric ranges that cover every value seen, widened a little on log scales; other values become choices. */
function spanParams(recipes: SkillRecipe[]): SkillRecipe['params'] {
  const names = [...new Set(recipes.flatMap((r) => Object.keys(r.params)))].sort();
  const out: SkillRecipe['params'] = {};
  for (const name of names) {
    const values = recipes.map((r) => r.params[name]).filter((v) => v !== undefined);
    if (values.every((v) => typeof v === 'number')) {
      const nums = values as number[];
      const [min, max] = [Math.min(...nums), Math.max(...nums)];
      const ints = nums.every((v) => Number.isInteger(v));
      const positive = min > 0;
      const lo = positive ? min / 1.5 : min;
      const hi = positive ? max * 1.5 : max;
      out[name] = { min: ints ? Math.max(1, Math.floor(lo)) : Number(lo.toPrecision(3)), max: ints ? Math.ceil(hi) : Number(hi.toPrecision(3)), log: positive };
    } else {
      const flat: unknown[] = values.flatMap((v): unknown[] => (typeof v === 'object' && v !== null && 'choices' in v ? v.choices : [v]));
      const choices = [...new Map(flat.map((v) => [JSON.stringify(v), v])).values()] as (string | number | boolean | number[])[];
      out[name] = choices.length === 1 && !Array.isArray(choices[0]) ? (choices[0] as string | number | boolean) : { choices };
    }
  }
  return out;
}

function conditionsOf(taskTypes: TaskType[]): SkillConditions {
  return { taskTypes: [...new Set(taskTypes)].sort() };
}

/**
 * Promotion on evidence only: a template that won on ≥ promoteDomainAfter competitions of a domain
 * (positive delta vs baseline on each) becomes a domain skill spanning their hyperparameters; a model
 * family with domain skills in ≥ promoteGlobalAfter domains becomes a global preference. New skills
 * start as candidates.
 */
export function promotions(skills: SkillRecord[], policy: DistillPolicy, now: Date): SkillRecord[] {
  const out: SkillRecord[] = [];
  const live = skills.filter((s) => s.status !== 'retired');
  const byDomainTemplate = new Map<string, SkillRecord[]>();
  // Whole pipelines are not one template: what transfers from them is learned as techniques.
  for (const s of live.filter((s) => s.tier === 'task' && s.kind !== 'technique' && s.recipe.template && s.recipe.template !== 'pipeline')) {
    if (!s.evidence.some((e) => e.deltaVsBaseline > 0)) continue;
    const key = `${s.scope.domain}|${s.recipe.template}`;
    byDomainTemplate.set(key, [...(byDomainTemplate.get(key) ?? []), s]);
  }
  for (const [key, group] of byDomainTemplate) {
    const competitions = new Set(group.map((s) => s.scope.competition));
    if (competitions.size < policy.promoteDomainAfter) continue;
    const [domain, template] = key.split('|') as [string, string];
    out.push(
      createSkill(
        {
          tier: 'domain',
          scope: { domain },
          kind: 'hyperparameter-prior',
          title: `${domain}: start with ${template}`,
          body: `\`${template}\` won on ${competitions.size} ${domain} competitions (${[...competitions].sort().join(', ')}); start with it, inside the hyperparameter ranges that won there.`,
          recipe: { template, preprocessing: [], params: spanParams(group.map((s) => s.recipe)) },
          conditions: conditionsOf(group.flatMap((s) => s.conditions.taskTypes)),
          evidence: group.flatMap((s) => s.evidence),
          status: 'candidate',
          provenance: { agentBackend: 'distiller' },
        },
        now,
      ),
    );
  }
  out.push(...portfolioLessons(live, policy, now));
  const techniques = techniquePromotions(live, policy.promoteDomainAfter, policy.promoteGlobalAfter, now);
  const domainSkills = [...live.filter((s) => s.tier === 'domain' && s.kind !== 'technique' && !s.recipe.portfolio), ...out.filter((s) => !s.recipe.portfolio)];
  const byFamily = new Map<string, SkillRecord[]>();
  for (const s of domainSkills) {
    if (!s.recipe.template) continue;
    const family = familyOf(s.recipe.template);
    byFamily.set(family, [...(byFamily.get(family) ?? []), s]);
  }
  for (const [family, group] of byFamily) {
    const domains = new Set(group.map((s) => s.scope.domain));
    if (domains.size < policy.promoteGlobalAfter) continue;
    out.push(
      createSkill(
        {
          tier: 'global',
          scope: {},
          kind: 'technique',
          title: `try ${family} models first`,
          body: `${family} models won in ${domains.size} domains (${[...domains].sort().join(', ')}): put them first in the portfolio of any domain.`,
          recipe: { preprocessing: [], params: { family } },
          conditions: { taskTypes: [] },
          evidence: group.flatMap((s) => s.evidence),
          status: 'candidate',
          provenance: { agentBackend: 'distiller' },
        },
        now,
      ),
    );
  }
  return [...out, ...techniques];
}

/** Every distilled run of a domain that has a profile, one per run: as cases to learn from, and as evidence. */
function portfolioRuns(skills: SkillRecord[], domain: string): { cases: PortfolioCase[]; evidence: SkillRecord['evidence'] } {
  const runs = new Map<string, { case: PortfolioCase; evidence: SkillRecord['evidence'][number] }>();
  for (const s of skills.filter((s) => s.tier === 'task' && s.status !== 'retired' && s.scope.domain === domain)) {
    for (const { profile, ...evidence } of s.evidence) {
      const taskType = s.conditions.taskTypes[0];
      if (profile && taskType) runs.set(evidence.runId, { case: { competition: evidence.competition, runId: evidence.runId, taskType, profile }, evidence });
    }
  }
  const sorted = [...runs.values()].sort((a, b) => (a.case.runId < b.case.runId ? -1 : 1));
  return { cases: sorted.map((r) => r.case), evidence: sorted.map((r) => r.evidence) };
}

/**
 * The domain's portfolio lesson: once ≥ promoteDomainAfter competitions of a domain have run
 * profiles, the order that would have reached a near-best candidate soonest on them (learnOrder).
 * One lesson per domain; new runs re-learn its order as a new version.
 */
function portfolioLessons(live: SkillRecord[], policy: DistillPolicy, now: Date): SkillRecord[] {
  const domains = [...new Set(live.filter((s) => s.tier === 'task').map((s) => s.scope.domain!))].sort();
  const out: SkillRecord[] = [];
  for (const domain of domains) {
    const { cases, evidence } = portfolioRuns(live, domain);
    const competitions = [...new Set(cases.map((c) => c.competition))].sort();
    if (competitions.length < policy.promoteDomainAfter) continue;
    const order = learnOrder(
      cases.map((c) => c.profile),
      policy.nearBest,
    );
    if (order.length === 0) continue;
    const steps = order.map((c) => `\`${c.template}\`${Object.keys(c.params).length ? ` ${JSON.stringify(c.params)}` : ''}`).join(' → ');
    out.push(
      createSkill(
        {
          tier: 'domain',
          scope: { domain },
          kind: 'technique',
          title: `${domain}: learned portfolio order`,
          body: `Try ${steps} first: on ${competitions.length} ${domain} competitions (${competitions.join(', ')}) this order reached a candidate within ${policy.nearBest * 100}% of the best gain over the baseline for the least compute.`,
          recipe: { preprocessing: [], params: {}, portfolio: order },
          // Domain-wide: each use keeps only the candidates its task type can run.
          conditions: { taskTypes: [] },
          evidence,
          status: 'candidate',
          provenance: { agentBackend: 'distiller' },
        },
        now,
      ),
    );
  }
  return out;
}

function overlap(a?: { min?: number; max?: number }, b?: { min?: number; max?: number }): boolean {
  return (a?.min ?? -Infinity) < (b?.max ?? Infinity) && (b?.min ?? -Infinity) < (a?.max ?? Infinity);
}

/**
 * Two active domain skills of one domain recommending different templates for an overlapping task
 * type and row range conflict. They are narrowed apart by the rows of the competitions behind their
 * evidence when those separate; otherwise, when `probeOn` finds a competition of their evidence to
 * run on, a probe is returned (the caller trains both candidates there and settles it); failing that,
 * the weaker one (lower mean delta) goes back to candidate — with the reason recorded, never silently
 * overwritten — until uses decide.
 */
export function resolveConflicts(
  skills: SkillRecord[],
  rowsOf: (competition: string) => number | undefined,
  probeOn?: (competitions: string[]) => ProbeTarget | undefined,
): DistillChange {
  const change: DistillChange = { write: [], audit: [], probes: [] };
  const active = skills.filter((s) => s.status === 'active' && s.tier === 'domain' && s.recipe.template);
  const touched = new Set<string>();
  for (let i = 0; i < active.length; i++) {
    for (let j = i + 1; j < active.length; j++) {
      const [a, b] = [active[i]!, active[j]!];
      if (touched.has(a.id) || touched.has(b.id)) continue;
      if (a.scope.domain !== b.scope.domain || a.recipe.template === b.recipe.template) continue;
      const sharedTypes = a.conditions.taskTypes.length === 0 || b.conditions.taskTypes.length === 0 || a.conditions.taskTypes.some((t) => b.conditions.taskTypes.includes(t));
      if (!sharedTypes || !overlap(a.conditions.rows, b.conditions.rows)) continue;
      const rows = (s: SkillRecord) => s.evidence.map((e) => rowsOf(e.competition)).filter((r): r is number => r !== undefined);
      const [ra, rb] = [rows(a), rows(b)];
      const runs = [...a.evidence, ...b.evidence].map((e) => e.runId);
      touched.add(a.id).add(b.id);
      if (ra.length && rb.length && (Math.max(...ra) < Math.min(...rb) || Math.max(...rb) < Math.min(...ra))) {
        const [small, large, rs, rl] = Math.max(...ra) < Math.min(...rb) ? [a, b, ra, rb] : [b, a, rb, ra];
        const boundary = Math.round(Math.sqrt(Math.max(...rs) * Math.min(...rl)));
        change.write.push(
          { ...small, conditions: { ...small.conditions, rows: { ...small.conditions.rows, max: boundary } }, version: small.version + 1 },
          { ...large, conditions: { ...large.conditions, rows: { ...large.conditions.rows, min: boundary } }, version: large.version + 1 },
        );
        for (const s of [small, large]) {
          change.audit.push({
            action: 'narrowed',
            skillId: s.id,
            title: s.title,
            reason: `conflicted with ${s === small ? large.id : small.id}; separated at ${boundary} rows by its evidence`,
            runs,
          });
        }
        continue;
      }
      const target = probeOn?.([...new Set([...a.evidence, ...b.evidence].map((e) => e.competition))]);
      const candidates = [candidateFromRecipe(a.recipe), candidateFromRecipe(b.recipe)];
      if (target && candidates[0] && candidates[1]) {
        change.probes!.push({ skills: [a.id, b.id], candidates: [candidates[0], candidates[1]], target });
      } else {
        const [weak, strong] = a.stats.meanDelta < b.stats.meanDelta || (a.stats.meanDelta === b.stats.meanDelta && a.id > b.id) ? [a, b] : [b, a];
        const reason = `conflicts with ${strong.id} (${strong.recipe.template}) under overlapping conditions; not separable by rows; kept the one with the higher mean delta (${strong.stats.meanDelta.toFixed(4)} vs ${weak.stats.meanDelta.toFixed(4)}) active`;
        change.write.push({ ...weak, status: 'candidate', statusReason: reason, version: weak.version + 1 });
        change.audit.push({ action: 'conflict', skillId: weak.id, title: weak.title, reason, runs });
      }
    }
  }
  // A technique whose conditions still cover evidence where it did not help (no trait told them apart).
  for (const s of skills.filter((s) => s.status === 'active' && s.kind === 'technique' && s.tier !== 'task')) {
    const against = contradicting(s);
    if (against.length === 0) continue;
    const target = probeOn?.([...new Set(against.map((e) => e.competition))]);
    const pair = target && against.find((e) => e.competition === target.competition && e.pair)?.pair;
    if (target && pair) {
      // One probe per competition: a verdict already on the record is not asked again.
      if (!s.statusReason?.includes(`probe on ${target.competition}:`)) change.probes!.push({ skills: [s.id, s.id], candidates: pair, target });
      continue;
    }
    // Settled as today's unprobeable conflicts: kept while the evidence its conditions cover still helps on average.
    const m = mean(covered(s).map((e) => e.deltaVsBaseline));
    if (m > 0) continue;
    const reason = `did not help on ${against.map((e) => e.competition).join(', ')} under its own conditions (no trait separates them); mean delta ${m.toFixed(4)} over its evidence`;
    change.write.push({ ...s, status: 'candidate', statusReason: reason, version: s.version + 1 });
    change.audit.push({ action: 'conflict', skillId: s.id, title: s.title, reason, runs: s.evidence.map((e) => e.runId) });
  }
  return change;
}

/**
 * A probe's verdict: the skill whose candidate scored worse (cross-validated, on the probe's
 * competition; a failed run is worst) goes back to candidate with the scores as the reason. Nothing
 * to do when either skill is no longer active (settled already, or changed since).
 */
export function settleProbe(probe: ConflictProbe, skills: [SkillRecord | null, SkillRecord | null], scores: [number | null, number | null]): DistillChange {
  const [a, b] = skills;
  if (a?.status !== 'active' || b?.status !== 'active') return { write: [], audit: [] };
  const { direction, competition } = probe.target;
  const worse = (x: number | null, y: number | null) => x === null || (y !== null && (direction === 'maximize' ? x < y : x > y));
  const fmtScore = (v: number | null) => (v === null ? 'failed' : `cv ${v.toFixed(4)}`);
  if (probe.skills[0] === probe.skills[1]) {
    // A technique probe: its candidate with the technique against the one without.
    const hurt = worse(scores[0], scores[1]);
    const reason = `probe on ${competition}: with ${a.title} ${fmtScore(scores[0])} vs without ${fmtScore(scores[1])}; ${hurt ? 'back to candidate' : 'kept active'}`;
    return {
      write: [{ ...a, status: hurt ? 'candidate' : 'active', statusReason: reason, version: a.version + 1 }],
      audit: [{ action: hurt ? 'conflict' : 'judged', skillId: a.id, title: a.title, reason, runs: a.evidence.map((e) => e.runId) }],
    };
  }
  const [loser, winner, ls, ws] = worse(scores[0], scores[1]) ? [a, b, scores[0], scores[1]] : [b, a, scores[1], scores[0]];
  const fmt = (v: number | null) => (v === null ? 'failed' : `cv ${v.toFixed(4)}`);
  const reason = `conflicts with ${winner.id} (${winner.recipe.template}); probe on ${competition}: ${loser.recipe.template} ${fmt(ls)} vs ${winner.recipe.template} ${fmt(ws)}; kept ${winner.recipe.template} active`;
  return {
    write: [{ ...loser, status: 'candidate', statusReason: reason, version: loser.version + 1 }],
    audit: [{ action: 'conflict', skillId: loser.id, title: loser.title, reason, runs: [...a.evidence, ...b.evidence].map((e) => e.runId) }],
  };
}

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
/** The deltas of a skill's last n uses. */
const last = (s: SkillRecord, n: number) => s.stats.recent.slice(-n).map((r) => r.delta);

/**
 * Validation and decay, from each skill's recent uses:
 * - candidate → active after ≥ validateAfterUses uses on competitions it had not learned from, with
 *   a positive mean delta there and no more losses than wins;
 * - active → deprecated when the mean delta of its last decayWindow uses is ≤ 0;
 * - deprecated → active again when its last decayWindow uses recovered (> 0), → retired when its last
 *   2 × decayWindow uses averaged ≤ 0; a candidate that failed 2 × validateAfterUses unseen uses retires.
 * A pure function of the records: re-running it on unchanged records changes nothing.
 */
export function review(skills: SkillRecord[], policy: DistillPolicy): DistillChange {
  const change: DistillChange = { write: [], audit: [] };
  const set = (s: SkillRecord, status: SkillRecord['status'], action: AuditEntry['action'], reason: string) => {
    change.write.push({ ...s, status, statusReason: reason, version: s.version + 1 });
    change.audit.push({ action, skillId: s.id, title: s.title, reason, runs: s.stats.recent.map((r) => r.key) });
  };
  for (const s of skills) {
    if (s.recipe.portfolio && (s.status === 'candidate' || s.status === 'active')) {
      // Validated by leave-one-out replay over the domain's runs, not by uses: an order is judged on
      // competitions it was not learned from, each time its evidence changes.
      const loo = leaveOneOut(portfolioRuns(skills, s.scope.domain!).cases, s.scope.domain!, policy.nearBest);
      const verdict = `leave-one-competition-out over ${loo.n} run(s): mean compute-to-near-best saving ${(loo.mean * 100).toFixed(1)}%, ${loo.wins} win(s), ${loo.losses} loss(es)`;
      const holds = loo.n >= 2 && loo.mean > 0 && loo.wins >= loo.losses;
      if (s.status === 'candidate') {
        // Either way the verdict is kept on the record, so `haste skills show` says why.
        if (holds) set(s, 'active', 'activated', verdict);
        else if (s.statusReason !== `not validated: ${verdict}`) set(s, 'candidate', 'judged', `not validated: ${verdict}`);
        continue;
      }
      if (!holds) {
        set(s, 'candidate', 'judged', `not validated: ${verdict}`);
        continue;
      }
      // Active and still supported: it decays by its uses like any other skill (below).
    }
    const learnedOn = new Set(s.evidence.map((e) => e.competition));
    // Unseen: the skill had learned nothing from that competition when it was used there (evidence
    // the same run contributed afterwards does not count against it).
    const unseen = s.stats.recent.filter((r) => !s.evidence.some((e) => e.competition === r.competition && e.runId !== r.key));
    if (s.status === 'candidate' && s.tier !== 'task') {
      if (unseen.length >= policy.validateAfterUses) {
        const wins = unseen.filter((r) => r.won).length;
        const m = mean(unseen.map((r) => r.delta));
        if (m > 0 && wins * 2 >= unseen.length) set(s, 'active', 'activated', `validated on ${unseen.length} unseen use(s): mean delta ${m.toFixed(4)}, ${wins} win(s)`);
        else if (unseen.length >= 2 * policy.validateAfterUses && m <= 0) set(s, 'retired', 'retired', `never helped on ${unseen.length} unseen uses (mean delta ${m.toFixed(4)})`);
      }
    } else if (s.status === 'candidate' && s.tier === 'task') {
      // A task skill can only be checked on its own competition: one later use that won activates it.
      const reuse = s.stats.recent.filter((r) => learnedOn.has(r.competition));
      if (reuse.length >= 1 && mean(reuse.map((r) => r.delta)) > 0)
        set(s, 'active', 'activated', `reused on ${s.scope.competition} and helped (mean delta ${mean(reuse.map((r) => r.delta)).toFixed(4)})`);
    } else if (s.status === 'active' && s.stats.recent.length >= policy.decayWindow && mean(last(s, policy.decayWindow)) <= 0) {
      set(s, 'deprecated', 'deprecated', `stopped paying: mean delta ${mean(last(s, policy.decayWindow)).toFixed(4)} over its last ${policy.decayWindow} uses`);
    } else if (s.status === 'deprecated' && s.stats.recent.length >= policy.decayWindow) {
      if (mean(last(s, policy.decayWindow)) > 0)
        set(s, 'active', 'restored', `recovered: mean delta ${mean(last(s, policy.decayWindow)).toFixed(4)} over its last ${policy.decayWindow} uses`);
      else if (s.stats.recent.length >= 2 * policy.decayWindow && mean(last(s, 2 * policy.decayWindow)) <= 0) {
        set(s, 'retired', 'retired', `kept failing after deprecation: mean delta ${mean(last(s, 2 * policy.decayWindow)).toFixed(4)} over its last ${2 * policy.decayWindow} uses`);
      }
    }
  }
  return change;
}
