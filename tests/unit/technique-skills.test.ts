import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { distill } from '../../distill/apply.js';
import { DEFAULT_POLICY, resolveConflicts, settleProbe } from '../../distill/rules.js';
import { deriveConditions } from '../../distill/techniques.js';
import type { Trajectory } from '../../distill/trajectory.js';
import type { CompetitionSpec } from '../../schemas/competition.js';
import type { TechniqueDelta } from '../../schemas/learning.js';
import type { Profile } from '../../schemas/profile.js';
import { exportSkillMd, importSkillMd } from '../../skill-store/skill-md.js';
import { retrieveTieredSkills } from '../../skill-store/retrieval.js';
import type { SkillStore } from '../../skill-store/store.js';
import { regressionProfile } from '../helpers/profiles.js';
import { tempSkillStores } from '../helpers/skills.js';

const openStore = tempSkillStores('techniques');

function spec(id: string, domain: string, metric: CompetitionSpec['metric'] = 'rmsle'): CompetitionSpec {
  return {
    id,
    title: id,
    domain,
    taskType: 'regression',
    dir: `/data/${id}`,
    metric,
    direction: 'minimize',
    budget: { computeSeconds: 60, maxSteps: 5 },
    traits: { rows: 1460, features: 2, numericFeatures: 1, categoricalFeatures: 1 },
  };
}

const RIDGE = { version: 1, target: 'none', features: [], model: { template: 'ridge', params: {} } };
const LOG1P: TechniqueDelta = {
  technique: 'target:log1p',
  recipe: { target: 'log1p' },
  with: { template: 'pipeline', params: { ...RIDGE, target: 'log1p' } },
  without: { template: 'pipeline', params: RIDGE },
  withScore: 0.14,
  withoutScore: 0.2,
  delta: 0.06,
  computeSeconds: 4,
  steps: [1, 2],
};

/** An episode whose engineer profiled the data and measured log1p with vs without. */
function episode(c: CompetitionSpec, profile: Profile, delta: number, run = 'r1'): Trajectory {
  return {
    workflowId: `haste-episode-${c.id}`,
    runId: run,
    finalScore: 0.14,
    baselineScore: 0.4,
    state: {
      competition: c,
      steps: [
        { step: 0, candidate: LOG1P.without, status: 'ok', cvScore: 0.2, improved: true, computeSeconds: 3, cpuSeconds: 2.5, gpuSeconds: 0 },
        { step: 1, candidate: LOG1P.with, status: 'ok', cvScore: 0.14, improved: true, computeSeconds: 3, cpuSeconds: 2.4, gpuSeconds: 0 },
      ],
      profile,
      learnings: [{ ...LOG1P, delta, withScore: 0.2 - delta }],
    },
  };
}

const active = async (store: SkillStore, title: string) => {
  const [s] = (await store.list({})).filter((x) => x.title === title);
  await store.upsert([{ ...s!, status: 'active', version: s!.version + 1 }]);
  return s!.id;
};

describe('technique skills learned from measured deltas', () => {
  it('promotes a technique that helped on two competitions, with conditions from their shared traits, and retrieves it only where they hold', async () => {
    const store = await openStore();
    await distill(store, [episode(spec('houses', 'tabular'), regressionProfile({ skew: 1.9 }), 0.06)], { rowsOf: () => 1460 });
    expect(await store.list({ tier: ['domain'] })).toHaveLength(0); // one competition is no evidence for a domain
    const [observation] = (await store.list({ tier: ['task'] })).filter((s) => s.kind === 'technique');
    expect(observation).toMatchObject({
      kind: 'technique',
      recipe: { pipeline: { target: 'log1p' } },
      evidence: [{ technique: 'target:log1p', deltaVsBaseline: 0.06, computeUnit: 'cpu-seconds' }],
    });

    await distill(store, [episode(spec('bikes', 'tabular'), regressionProfile({ skew: 1.3, maxCardinality: 24 }), 0.03)], { rowsOf: () => 1460 });
    const [skill] = (await store.list({ tier: ['domain'] })).filter((s) => s.title.endsWith('target:log1p'));
    expect(skill).toMatchObject({ title: 'tabular: target:log1p', status: 'candidate', recipe: { pipeline: { target: 'log1p' } } });
    expect(skill!.description!.length).toBeLessThanOrEqual(1024);
    expect(skill!.description).toContain('target:log1p');
    expect(skill!.body).toContain('| houses | 0.06 |');
    expect(skill!.evidence.map((e) => e.competition).sort()).toEqual(['bikes', 'houses']);
    // Shared names and flags only: both were RMSLE regressions with a positive target.
    expect(skill!.conditions.where).toEqual(
      expect.arrayContaining([
        { trait: 'taskType', op: 'in', value: ['regression'] },
        { trait: 'metric', op: 'in', value: ['rmsle'] },
        { trait: 'target.positive', op: '==', value: true },
      ]),
    );
    await active(store, 'tabular: target:log1p');

    const third = spec('prices', 'tabular');
    const hit = await retrieveTieredSkills(store, third, {}, regressionProfile({ skew: 2.4 }));
    expect(hit.domain.map((s) => s.title)).toContain('tabular: target:log1p');
    const rmse = await retrieveTieredSkills(store, spec('prices', 'tabular', 'rmse'), {}, regressionProfile({ metric: 'rmse' }));
    expect(rmse.domain.map((s) => s.title)).not.toContain('tabular: target:log1p');
    const negative = await retrieveTieredSkills(store, third, {}, regressionProfile({ min: -5 }));
    expect(negative.domain.map((s) => s.title)).not.toContain('tabular: target:log1p');
  });

  it('needs k competitions (policy): with k = 3 two are not enough', async () => {
    const store = await openStore();
    const policy = { promoteDomainAfter: 3 };
    await distill(store, [episode(spec('houses', 'tabular'), regressionProfile(), 0.06), episode(spec('bikes', 'tabular'), regressionProfile(), 0.03)], {
      rowsOf: () => 1,
      policy,
    });
    expect((await store.list({ tier: ['domain'] })).filter((s) => s.title.endsWith('target:log1p'))).toHaveLength(0);
    await distill(store, [episode(spec('prices', 'tabular'), regressionProfile(), 0.01)], { rowsOf: () => 1, policy });
    expect((await store.list({ tier: ['domain'] })).filter((s) => s.title.endsWith('target:log1p'))).toHaveLength(1);
  });

  it('narrows the conditions by the trait that separates where it helped from where it hurt', async () => {
    const store = await openStore();
    await distill(
      store,
      [
        episode(spec('houses', 'tabular'), regressionProfile({ skew: 1.9 }), 0.06),
        episode(spec('bikes', 'tabular'), regressionProfile({ skew: 1.3 }), 0.03),
        episode(spec('flat', 'tabular'), regressionProfile({ skew: 0.1 }), -0.02),
      ],
      { rowsOf: () => 1 },
    );
    const [skill] = (await store.list({ tier: ['domain'] })).filter((s) => s.title.endsWith('target:log1p'));
    const skew = skill!.conditions.where!.find((c) => c.trait === 'target.skew');
    expect(skew).toEqual({ trait: 'target.skew', op: '>', value: 0.7 });
    await active(store, 'tabular: target:log1p');
    expect((await retrieveTieredSkills(store, spec('x', 'tabular'), {}, regressionProfile({ skew: 0.3 }))).domain.map((s) => s.title)).not.toContain('tabular: target:log1p');
    expect((await retrieveTieredSkills(store, spec('x', 'tabular'), {}, regressionProfile({ skew: 1.0 }))).domain.map((s) => s.title)).toContain('tabular: target:log1p');
  });

  it('leaves an unseparable conflict to a probe: with vs without on a competition where it hurt', async () => {
    const store = await openStore();
    const same = regressionProfile();
    await distill(store, [episode(spec('houses', 'tabular'), same, 0.06), episode(spec('bikes', 'tabular'), same, 0.03), episode(spec('flat', 'tabular'), same, -0.02)], {
      rowsOf: () => 1,
    });
    expect(deriveConditions((await store.list({ tier: ['domain'] })).find((s) => s.title.endsWith('target:log1p'))!.evidence).separated).toBe(false);
    const id = await active(store, 'tabular: target:log1p');
    const target = { competition: 'flat', dir: '/data/flat', direction: 'minimize' as const };
    const change = resolveConflicts(
      await store.list({}),
      () => 1,
      (cs) => (cs.includes('flat') ? target : undefined),
    );
    expect(change.probes).toEqual([{ skills: [id, id], candidates: [LOG1P.with, LOG1P.without], target }]);
    const skill = (await store.get(id))!;
    const lost = settleProbe(change.probes![0]!, [skill, skill], [0.25, 0.2]);
    expect(lost.write[0]).toMatchObject({ status: 'candidate' });
    expect(lost.write[0]!.statusReason).toMatch(/^probe on flat: with .* cv 0\.2500 vs without cv 0\.2000; back to candidate$/);
    const kept = settleProbe(change.probes![0]!, [skill, skill], [0.18, 0.2]);
    expect(kept.write[0]).toMatchObject({ status: 'active' });
    // Once settled there, the same probe is not asked again.
    expect(
      resolveConflicts(
        [kept.write[0]!],
        () => 1,
        () => target,
      ).probes,
    ).toEqual([]);
  });

  it('becomes a global skill once it is a domain skill in two domains, under the conditions they share', async () => {
    const store = await openStore();
    await distill(
      store,
      [
        episode(spec('houses', 'tabular'), regressionProfile({ maxCardinality: 5 }), 0.06),
        episode(spec('bikes', 'tabular'), regressionProfile({ maxCardinality: 5 }), 0.03),
        episode(spec('sales', 'time-series'), regressionProfile({ maxCardinality: 9 }), 0.05),
        episode(spec('visits', 'time-series'), regressionProfile({ maxCardinality: 9 }), 0.02),
      ],
      { rowsOf: () => 1, policy: DEFAULT_POLICY },
    );
    const [global] = (await store.list({ tier: ['global'] })).filter((s) => s.kind === 'technique' && s.recipe.pipeline);
    expect(global).toMatchObject({ title: 'target:log1p (any domain)', kind: 'technique', recipe: { pipeline: { target: 'log1p' } } });
    expect(global!.evidence.map((e) => e.competition).sort()).toEqual(['bikes', 'houses', 'sales', 'visits']);
    expect(global!.conditions.where).toContainEqual({ trait: 'metric', op: 'in', value: ['rmsle'] });
  });

  it('distillation of technique evidence is idempotent, and a technique skill survives a skill-md round trip', async () => {
    const store = await openStore();
    const eps = [episode(spec('houses', 'tabular'), regressionProfile(), 0.06), episode(spec('bikes', 'tabular'), regressionProfile(), 0.03)];
    await distill(store, eps, { rowsOf: () => 1 });
    const before = await store.list({});
    expect((await distill(store, eps, { rowsOf: () => 1 })).audit).toEqual([]);
    expect(await store.list({})).toEqual(before);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'haste-technique-md-'));
    await exportSkillMd(store, dir);
    const copy = await openStore();
    await importSkillMd(copy, dir);
    expect(await copy.list({})).toEqual(before);
  });

  it('an old trajectory without profile or learnings still distils (a task skill, no technique)', async () => {
    const store = await openStore();
    const t = episode(spec('houses', 'tabular'), regressionProfile(), 0.06);
    const { profile: _p, learnings: _l, ...state } = t.state;
    await distill(store, [{ ...t, state }], { rowsOf: () => 1 });
    const all = await store.list({});
    expect(all.map((s) => s.kind)).toEqual(['recipe']);
    expect(all[0]!.recipe.pipeline).toEqual({ target: 'log1p', model: { template: 'ridge', params: {} } });
  });
});
