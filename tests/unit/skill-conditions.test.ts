import { describe, expect, it } from 'vitest';
import type { CompetitionSpec } from '../../schemas/competition.js';
import { profileTraits } from '../../schemas/profile.js';
import { competitionTraits, conditionHolds, conditionsHold } from '../../skill-store/conditions.js';
import { createSkill, SkillConditionsSchema, skillId, TraitConditionSchema } from '../../schemas/skill.js';
import { regressionProfile } from '../helpers/profiles.js';

describe('skill conditions over profile traits', () => {
  const traits = profileTraits(regressionProfile());

  it('evaluates every operator on the trait it names', () => {
    const holds = (trait: string, op: '<' | '<=' | '>' | '>=' | '==' | '!=' | 'in', value: number | string | boolean | (number | string | boolean)[]) =>
      conditionHolds(TraitConditionSchema.parse({ trait, op, value }), traits);
    expect(holds('target.skew', '>', 1)).toBe(true);
    expect(holds('target.skew', '>', 2)).toBe(false);
    expect(holds('target.skew', '>=', 1.88)).toBe(true);
    expect(holds('rows', '<', 1460)).toBe(false);
    expect(holds('rows', '<=', 1460)).toBe(true);
    expect(holds('metric', 'in', ['rmsle', 'rmse'])).toBe(true);
    expect(holds('metric', 'in', ['auc'])).toBe(false);
    expect(holds('target.positive', '==', true)).toBe(true);
    expect(holds('taskType', '!=', 'regression')).toBe(false);
    expect(holds('columns.maxCardinality', '>', 50)).toBe(false);
    // A numeric comparison on a name never holds.
    expect(holds('metric', '>', 1)).toBe(false);
  });

  it('a condition on a trait the profile lacks does not hold (a regression has no classes)', () => {
    expect(conditionHolds({ trait: 'target.classes', op: '>=', value: 2 }, traits)).toBe(false);
    expect(conditionHolds({ trait: 'target.classes', op: '!=', value: 2 }, traits)).toBe(false);
    expect(conditionHolds({ trait: 'series.count', op: '>', value: 0 }, traits)).toBe(false);
  });

  it('refuses malformed conditions, naming the field', () => {
    expect(TraitConditionSchema.safeParse({ trait: 'metric', op: 'in', value: 'rmsle' }).error?.issues[0]).toMatchObject({ path: ['value'] });
    expect(TraitConditionSchema.safeParse({ trait: 'rows', op: '>', value: '5' }).error?.issues[0]).toMatchObject({ path: ['value'] });
    expect(TraitConditionSchema.safeParse({ trait: 'rows', op: '~', value: 5 }).success).toBe(false);
  });

  it('all `where` conditions and the legacy fields must hold together', () => {
    const c = SkillConditionsSchema.parse({
      taskTypes: ['regression'],
      where: [
        { trait: 'target.skew', op: '>', value: 1 },
        { trait: 'metric', op: 'in', value: ['rmsle'] },
      ],
    });
    expect(conditionsHold(c, traits)).toBe(true);
    expect(conditionsHold(c, profileTraits(regressionProfile({ metric: 'rmse' })))).toBe(false);
    expect(conditionsHold(c, profileTraits(regressionProfile({ skew: 0.2 })))).toBe(false);
    expect(conditionsHold({ ...c, taskTypes: ['binary'] }, traits)).toBe(false);
  });

  it('keeps the legacy range fields working against the same traits (|skew|, rows, numeric share)', () => {
    expect(conditionsHold(SkillConditionsSchema.parse({ targetSkew: { min: 1 } }), profileTraits(regressionProfile({ skew: -1.5 })))).toBe(true);
    expect(conditionsHold(SkillConditionsSchema.parse({ targetSkew: { min: 1 } }), profileTraits(regressionProfile({ skew: 0.5 })))).toBe(false);
    expect(conditionsHold(SkillConditionsSchema.parse({ rows: { max: 1000 } }), traits)).toBe(false);
    expect(conditionsHold(SkillConditionsSchema.parse({ numericShare: { min: 0.4, max: 0.6 } }), traits)).toBe(true);
    // As before, a trait the competition does not report does not exclude a legacy range.
    expect(conditionsHold(SkillConditionsSchema.parse({ minorityClassShare: { max: 0.1 } }), traits)).toBe(true);
  });

  it('without a profile, conditions read the same trait names from competition.yaml', () => {
    const spec: CompetitionSpec = {
      id: 'h',
      title: 'h',
      domain: 'tabular',
      taskType: 'regression',
      dir: '/d',
      metric: 'rmsle',
      direction: 'minimize',
      budget: { computeSeconds: 60, maxSteps: 5 },
      traits: { rows: 1460, features: 79, numericFeatures: 36, categoricalFeatures: 43, targetSkew: 1.88 },
    };
    const t = competitionTraits(spec);
    expect(t).toMatchObject({ taskType: 'regression', metric: 'rmsle', rows: 1460, 'target.skew': 1.88, 'columns.categorical': 43 });
    expect(conditionHolds({ trait: 'columns.maxCardinality', op: '>', value: 1 }, t)).toBe(false);
    expect(competitionTraits(spec, regressionProfile())).toEqual(profileTraits(regressionProfile()));
  });

  it('a skill id does not depend on its conditions, so ids stay stable where content did not change', () => {
    const draft = { tier: 'global' as const, kind: 'technique' as const, title: 'log target', body: 'Train on log1p(target).' };
    const a = createSkill(draft);
    const b = createSkill({ ...draft, conditions: { taskTypes: [], where: [{ trait: 'target.skew', op: '>' as const, value: 1 }] } });
    expect(b.id).toBe(a.id);
    expect(a.id).toBe(skillId(draft));
    expect(a.conditions.where).toBeUndefined(); // old records parse and export as they were
  });
});
