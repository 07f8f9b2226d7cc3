import type { CompetitionSpec } from '../schemas/competition.js';
import { profileTraits, type Profile, type TraitValue } from '../schemas/profile.js';
import type { SkillConditions, TraitCondition, TraitRange } from '../schemas/skill.js';

export type Traits = Record<string, TraitValue>;

/** Whether one condition holds on the traits; a trait the profile lacks makes it false. */
export function conditionHolds(c: TraitCondition, traits: Traits): boolean {
  const v = traits[c.trait];
  if (v === undefined) return false;
  switch (c.op) {
    case 'in':
      return (c.value as TraitValue[]).includes(v);
    case '==':
      return v === c.value;
    case '!=':
      return v !== c.value;
    default: {
      if (typeof v !== 'number') return false;
      const x = c.value as number;
      return c.op === '<' ? v < x : c.op === '<=' ? v <= x : c.op === '>' ? v > x : v >= x;
    }
  }
}

function inRange(range: TraitRange | undefined, value: TraitValue | undefined): boolean {
  // The legacy ranges keep their meaning: a trait the competition does not report does not exclude.
  if (!range || typeof value !== 'number') return true;
  return (range.min === undefined || value >= range.min) && (range.max === undefined || value <= range.max);
}

/**
 * Whether a skill's conditions hold on a competition's traits: every `where` condition, and the
 * legacy fields (task types; rows, features, numeric share, minority share and |target skew| ranges,
 * read from the same traits).
 */
export function conditionsHold(conditions: SkillConditions, traits: Traits): boolean {
  if (!(conditions.where ?? []).every((c) => conditionHolds(c, traits))) return false;
  if (conditions.taskTypes.length && !conditions.taskTypes.includes(traits.taskType as never)) return false;
  const skew = traits['target.skew'];
  return (
    inRange(conditions.rows, traits.rows) &&
    inRange(conditions.features, traits.features) &&
    inRange(conditions.numericShare, traits['columns.numericShare']) &&
    inRange(conditions.minorityClassShare, traits['target.minorityShare']) &&
    inRange(conditions.targetSkew, typeof skew === 'number' ? Math.abs(skew) : undefined)
  );
}

/**
 * The traits of a competition: the engineer's profile when it has one, else what competition.yaml's
 * summary traits say (a subset of the same names, so conditions on the rest do not hold).
 */
export function competitionTraits(c: CompetitionSpec, profile?: Profile | null): Traits {
  if (profile) return profileTraits(profile);
  const t = c.traits;
  const traits: Traits = {
    taskType: c.taskType,
    metric: c.metric,
    rows: t.rows,
    features: t.features,
    'columns.numeric': t.numericFeatures,
    'columns.categorical': t.categoricalFeatures,
    'columns.numericShare': t.features === 0 ? 0 : t.numericFeatures / t.features,
  };
  if (t.minorityClassShare !== undefined) traits['target.minorityShare'] = t.minorityClassShare;
  if (t.targetSkew !== undefined) traits['target.skew'] = t.targetSkew;
  return traits;
}

/** A condition in words, for bodies and reports: `target.skew > 1`, `metric in [rmsle]`. */
export function describeCondition(c: TraitCondition): string {
  return `${c.trait} ${c.op} ${Array.isArray(c.value) ? `[${c.value.join(', ')}]` : String(c.value)}`;
}
