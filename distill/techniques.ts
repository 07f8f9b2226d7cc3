import type { PipelineFragment } from '../schemas/pipeline.js';
import { profileTraits } from '../schemas/profile.js';
import { conditionHolds, describeCondition, type Traits } from '../skill-store/conditions.js';
import { createSkill, type SkillRecord, type TraitCondition } from '../schemas/skill.js';
import { computeUnitOf } from './compute.js';
import type { Trajectory } from './trajectory.js';

/**
 * Technique skills: "when X, do Y", learned from the deltas the engineer measured with and without a
 * technique on the same folds (stage 5), not from winners alone. Each episode yields one task-tier
 * observation per technique (its evidence carries the competition's traits); a technique becomes a
 * domain skill once it helped under the same conditions on enough competitions of a domain, and a
 * global one once it is a domain skill in enough domains.
 */

type Evidence = SkillRecord['evidence'][number];

/** The technique a skill is about (technique skills only). */
export const techniqueOf = (s: Pick<SkillRecord, 'evidence'>): string | undefined => s.evidence.find((e) => e.technique)?.technique;

const fragmentKey = (f: PipelineFragment | undefined) => (f ? JSON.stringify(f) : '');

function describeFragment(f: PipelineFragment | undefined): string {
  if (!f) return 'a whole step (no pipeline fragment)';
  const parts = [
    f.target && `target transform \`${f.target}\``,
    f.features && `feature steps ${f.features.map((s) => `\`${JSON.stringify(s)}\``).join(', ')}`,
    f.model && `model \`${f.model.template}\``,
  ];
  return parts.filter(Boolean).join(', ');
}

const fmt = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(0) : Number(x.toPrecision(3)).toString());

/** The task-tier technique observations of one episode: one per technique it measured, its deltas averaged. */
export function techniqueSkillsFrom(t: Trajectory, now: Date): SkillRecord[] {
  const learnings = t.state.learnings ?? [];
  if (learnings.length === 0) return [];
  const c = t.state.competition;
  const traits: Traits | undefined = t.state.profile ? profileTraits(t.state.profile) : undefined;
  const unit = computeUnitOf(t.state.steps);
  const byTechnique = new Map<string, typeof learnings>();
  for (const l of learnings) byTechnique.set(`${l.technique}|${fragmentKey(l.recipe)}`, [...(byTechnique.get(`${l.technique}|${fragmentKey(l.recipe)}`) ?? []), l]);
  const out: SkillRecord[] = [];
  for (const group of byTechnique.values()) {
    const first = group[0]!;
    const delta = group.reduce((s, l) => s + l.delta, 0) / group.length;
    const compute = group.reduce((s, l) => s + l.computeSeconds, 0);
    const verdict = delta > 0 ? 'helped' : 'did not help';
    out.push(
      createSkill(
        {
          tier: 'task',
          scope: { domain: c.domain, competition: c.id },
          kind: 'technique',
          title: `${c.id}: ${first.technique}`,
          description:
            `${first.technique} (${describeFragment(first.recipe)}) ${verdict} on ${c.id} (${c.taskType}, ${c.metric}): measured delta ${fmt(delta)} with vs without on the same folds.`.slice(
              0,
              1024,
            ),
          body: [
            `# ${first.technique} on ${c.id}`,
            '',
            `Applies ${describeFragment(first.recipe)}.`,
            '',
            `Measured with and without it on the same folds and seed: ${group.map((l) => `${fmt(l.withScore)} vs ${fmt(l.withoutScore)} (steps ${l.steps.join(' and ')})`).join('; ')}; delta ${fmt(delta)} in ${c.metric}'s better direction — it ${verdict}.`,
          ].join('\n'),
          recipe: { preprocessing: [], params: {}, ...(first.recipe ? { pipeline: first.recipe } : {}) },
          conditions: { taskTypes: [c.taskType] },
          evidence: [
            {
              competition: c.id,
              runId: `${t.workflowId}/${t.runId}`,
              metric: c.metric,
              deltaVsBaseline: Number(delta.toPrecision(6)),
              computeSeconds: Number(compute.toFixed(2)),
              computeUnit: unit,
              technique: first.technique,
              ...(traits ? { traits } : {}),
              pair: [first.with, first.without],
            },
          ],
          status: 'candidate',
          provenance: { workflowId: t.workflowId, runId: t.runId, agentBackend: 'offline' },
        },
        now,
      ),
    );
  }
  return out;
}

const CATEGORICAL_FIRST = ['taskType', 'metric'];

/**
 * Conditions derived from the evidence: every name-or-flag trait all helping evidence shares
 * (`metric in [rmsle]`, `target.positive == true`), then, while evidence that did not help still
 * satisfies them, the numeric trait that separates it from the helping evidence (a boundary halfway
 * between the two groups). `separated: false` when some non-helping evidence cannot be told apart:
 * a conflict for validation or a probe to settle.
 */
export function deriveConditions(evidence: Evidence[]): { where: TraitCondition[]; separated: boolean } {
  const withTraits = evidence.filter((e): e is Evidence & { traits: Traits } => e.traits !== undefined);
  const helping = withTraits.filter((e) => e.deltaVsBaseline > 0);
  if (helping.length === 0) return { where: [], separated: true };
  const where: TraitCondition[] = [];
  const names = [...new Set(helping.flatMap((e) => Object.keys(e.traits)))].sort((a, b) => {
    const [ia, ib] = [CATEGORICAL_FIRST.indexOf(a), CATEGORICAL_FIRST.indexOf(b)];
    return (ia === -1 ? 99 : ia) - (ib === -1 ? 99 : ib) || (a < b ? -1 : 1);
  });
  for (const name of names) {
    const values = helping.map((e) => e.traits[name]);
    if (values.some((v) => v === undefined || typeof v === 'number')) continue;
    if (new Set(values).size !== 1) continue;
    const v = values[0]!;
    where.push(typeof v === 'string' ? { trait: name, op: 'in', value: [v] } : { trait: name, op: '==', value: v });
  }
  const holds = (e: Evidence & { traits: Traits }) => where.every((c) => conditionHolds(c, e.traits));
  let hurting = withTraits.filter((e) => e.deltaVsBaseline <= 0 && holds(e));
  while (hurting.length > 0) {
    const split = separator(helping, hurting);
    if (!split) return { where, separated: false };
    where.push(split);
    hurting = hurting.filter(holds);
  }
  return { where, separated: true };
}

/** The numeric trait with the widest relative gap between helping and hurting evidence, as a condition; none when no trait separates. */
function separator(helping: (Evidence & { traits: Traits })[], hurting: (Evidence & { traits: Traits })[]): TraitCondition | undefined {
  let best: { c: TraitCondition; gap: number } | undefined;
  const names = [...new Set(helping.flatMap((e) => Object.keys(e.traits)))].sort();
  for (const name of names) {
    const h = helping.map((e) => e.traits[name]);
    const x = hurting.map((e) => e.traits[name]);
    if (![...h, ...x].every((v) => typeof v === 'number')) continue;
    const [hmin, hmax, xmin, xmax] = [Math.min(...(h as number[])), Math.max(...(h as number[])), Math.min(...(x as number[])), Math.max(...(x as number[]))];
    const scale = Math.max(Math.abs(hmin), Math.abs(hmax), Math.abs(xmin), Math.abs(xmax), 1e-9);
    if (hmin > xmax) {
      const gap = (hmin - xmax) / scale;
      if (!best || gap > best.gap) best = { c: { trait: name, op: '>', value: Number(((hmin + xmax) / 2).toPrecision(4)) }, gap };
    } else if (hmax < xmin) {
      const gap = (xmin - hmax) / scale;
      if (!best || gap > best.gap) best = { c: { trait: name, op: '<', value: Number(((hmax + xmin) / 2).toPrecision(4)) }, gap };
    }
  }
  return best?.c;
}

/** The technique evidence a skill's conditions cover. */
export function covered(skill: Pick<SkillRecord, 'evidence' | 'conditions'>): Evidence[] {
  const where = skill.conditions.where ?? [];
  return skill.evidence.filter((e) => e.technique && e.traits && where.every((c) => conditionHolds(c, e.traits!)));
}

/** The evidence a technique skill's conditions cover that did not help: a conflict when any remains. */
export function contradicting(skill: Pick<SkillRecord, 'evidence' | 'conditions'>): Evidence[] {
  return covered(skill).filter((e) => e.deltaVsBaseline <= 0);
}

function techniqueBody(
  technique: string,
  fragment: PipelineFragment | undefined,
  where: TraitCondition[],
  evidence: Evidence[],
  scope: string,
): { description: string; body: string } {
  const helped = evidence.filter((e) => e.deltaVsBaseline > 0);
  const competitions = [...new Set(helped.map((e) => e.competition))].sort();
  const when = where.length ? where.map(describeCondition).join(' and ') : 'any competition';
  const description =
    `${technique}: apply ${describeFragment(fragment)} when ${when}. Helped on ${competitions.length} competition(s) ${scope} (${competitions.join(', ')}).`.slice(0, 1024);
  const rows = evidence.map((e) => `| ${e.competition} | ${fmt(e.deltaVsBaseline)} | ${fmt(e.computeSeconds)} ${e.computeUnit ?? 'slot-seconds'} | ${e.runId} |`);
  const body = [
    `# ${technique}`,
    '',
    `**What**: ${describeFragment(fragment)}.`,
    '',
    `**When**: ${when}.`,
    '',
    `**Evidence** (delta with vs without on the same folds, positive is better):`,
    '',
    '| competition | delta | compute | run |',
    '| --- | --- | --- | --- |',
    ...rows,
    '',
    evidence.length > helped.length
      ? `Caveat: it did not help on ${evidence.length - helped.length} measurement(s); the conditions exclude those where a trait told them apart.`
      : 'Caveat: measured only where it helped so far.',
  ].join('\n');
  return { description, body };
}

/**
 * Domain technique skills: the observations of one technique (same fragment) in a domain, with
 * conditions derived from their traits; promoted once it helped under those conditions on at least
 * `after` competitions. Global ones: a technique with domain skills in at least `globalAfter`
 * domains, under the conditions all of them share.
 */
export function techniquePromotions(live: SkillRecord[], after: number, globalAfter: number, now: Date): SkillRecord[] {
  const out: SkillRecord[] = [];
  const groups = new Map<string, SkillRecord[]>();
  for (const s of live.filter((s) => s.tier === 'task' && s.kind === 'technique' && techniqueOf(s))) {
    const key = `${s.scope.domain}|${techniqueOf(s)}|${fragmentKey(s.recipe.pipeline)}`;
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  for (const group of [...groups.values()].sort((a, b) => (a[0]!.id < b[0]!.id ? -1 : 1))) {
    const evidence = group.flatMap((s) => s.evidence).sort((a, b) => (a.runId < b.runId ? -1 : 1));
    const { where } = deriveConditions(evidence);
    const helped = new Set(evidence.filter((e) => e.deltaVsBaseline > 0 && e.traits && where.every((c) => conditionHolds(c, e.traits!))).map((e) => e.competition));
    if (helped.size < after) continue;
    const [domain, technique] = [group[0]!.scope.domain!, techniqueOf(group[0]!)!];
    const fragment = group[0]!.recipe.pipeline;
    out.push(
      createSkill(
        {
          tier: 'domain',
          scope: { domain },
          kind: 'technique',
          title: `${domain}: ${technique}`,
          ...techniqueBody(technique, fragment, where, evidence, `of ${domain}`),
          recipe: { preprocessing: [], params: {}, ...(fragment ? { pipeline: fragment } : {}) },
          conditions: { taskTypes: [], where },
          evidence,
          status: 'candidate',
          provenance: { agentBackend: 'distiller' },
        },
        now,
      ),
    );
  }
  const domainSkills = [...live.filter((s) => s.tier === 'domain' && s.kind === 'technique' && techniqueOf(s)), ...out];
  const byTechnique = new Map<string, SkillRecord[]>();
  for (const s of domainSkills) {
    const key = `${techniqueOf(s)}|${fragmentKey(s.recipe.pipeline)}`;
    // A fresh promotion replaces the stored version of the same domain lesson.
    const list = (byTechnique.get(key) ?? []).filter((x) => x.scope.domain !== s.scope.domain);
    byTechnique.set(key, [...list, s]);
  }
  for (const group of byTechnique.values()) {
    const domains = [...new Set(group.map((s) => s.scope.domain!))].sort();
    if (domains.length < globalAfter) continue;
    const shared = (group[0]!.conditions.where ?? []).filter((c) => group.every((s) => (s.conditions.where ?? []).some((d) => JSON.stringify(d) === JSON.stringify(c))));
    const technique = techniqueOf(group[0]!)!;
    const fragment = group[0]!.recipe.pipeline;
    const evidence = [...new Map(group.flatMap((s) => s.evidence).map((e) => [`${e.competition}|${e.runId}`, e])).values()];
    out.push(
      createSkill(
        {
          tier: 'global',
          scope: {},
          kind: 'technique',
          title: `${technique} (any domain)`,
          ...techniqueBody(technique, fragment, shared, evidence, `in ${domains.length} domains (${domains.join(', ')})`),
          recipe: { preprocessing: [], params: {}, ...(fragment ? { pipeline: fragment } : {}) },
          conditions: { taskTypes: [], where: shared },
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
