import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createAgentActivities } from '../../activities/agents.js';
import { createSkillActivities } from '../../activities/skills.js';
import { offlineAgent } from '../../agents/index.js';
import type { Agent, Plan, PlanContext, ProposeContext, StepView } from '../../agents/types.js';
import type { RetrievedSkill, TieredSkills } from '../../schemas/skill.js';
import type { SkillRetriever } from '../../skill-store/retriever.js';
import { toyCompetition } from '../helpers/competition.js';
import { regressionProfile } from '../helpers/profiles.js';

/**
 * The agent activities' boundary: skills and the run so far arrive by reference (new episodes) or
 * inline (inputs that episodes of an earlier release scheduled, retried after a deploy), and the agent
 * sees the same context either way.
 */
const competition = toyCompetition();
const skill = (tier: RetrievedSkill['tier'], title: string): RetrievedSkill => ({
  id: `${tier}-${title}`,
  tier,
  kind: 'technique',
  title,
  body: `${title}: a lesson long enough to matter`,
  recipe: { preprocessing: [], params: {} },
  score: 1,
});
const tiered: TieredSkills = { global: [skill('global', 'g')], domain: [skill('domain', 'd')], task: [skill('task', 't')] };
const retriever: SkillRetriever = { retrieve: async () => tiered };
const plan: Plan = { portfolio: [{ template: 'ridge', params: {} }], notes: 'the plan' };
const profile = regressionProfile();
const view = (step: number): StepView => ({ step, candidate: { template: 'ridge', params: { alpha: step + 1 } }, status: 'ok', cvScore: 1 / (step + 1), computeSeconds: 1 });

function setup() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'haste-agent-refs-'));
  const seen: { plan: PlanContext[]; propose: ProposeContext[] } = { plan: [], propose: [] };
  const agent: Agent = {
    ...offlineAgent,
    async plan(ctx) {
      seen.plan.push(ctx);
      return plan;
    },
    async propose(ctx) {
      seen.propose.push(ctx);
      return { candidate: { template: 'ridge', params: { alpha: ctx.history.length + 1 } }, rationale: 'next', tokens: 0 };
    },
  };
  const activities = {
    ...createAgentActivities({ resolveAgent: () => agent, artifactsDir: dir, openStore: async () => Promise.reject(new Error('unused')) }),
    ...createSkillActivities(retriever, dir),
  };
  return { activities, seen };
}

const base = { competition, seed: 0, remainingComputeSeconds: 50, initialCandidates: [], backend: 'offline' as const };

describe('agent activities with references', () => {
  it('store the retrieval once; the planner and engineer read it back whole', async () => {
    const { activities, seen } = setup();
    const ref = await activities.retrieveSkillsByReference({ competition, enabled: true });
    expect(ref).toMatchObject({ global: ['global-g'], domain: ['domain-d'], task: ['task-t'] });
    expect(JSON.stringify(ref)).not.toContain('a lesson');
    await activities.planEpisode({ competition, seed: 0, skillsRef: ref, backend: 'offline' });
    expect(seen.plan[0]).toMatchObject({ skills: ['g: g: a lesson long enough to matter'], tiered });
    await activities.proposeCandidate({ ...base, plan, history: [], step: 0, skillsRef: ref });
    expect(seen.propose[0]!.skills).toEqual({ domain: tiered.domain, task: tiered.task });
  });

  it('accept the inline shapes of earlier releases and answer as they did', async () => {
    const { activities, seen } = setup();
    await activities.planEpisode({ competition, seed: 0, skills: ['g: inline'], tiered, backend: 'offline' });
    expect(seen.plan[0]).toMatchObject({ skills: ['g: inline'], tiered });
    const proposal = await activities.proposeCandidate({ ...base, plan, history: [view(0)], step: 1, skills: { domain: [], task: tiered.task } });
    expect(proposal).not.toHaveProperty('runRef'); // not asked for one: the old answer
    expect(seen.propose[0]).toMatchObject({ plan, history: [view(0)], skills: { domain: [], task: tiered.task } });
  });

  it('chain the run: each proposal stores it, the next gets plan, profile and earlier steps from it', async () => {
    const { activities, seen } = setup();
    const first = await activities.proposeCandidate({ ...base, plan, profile, history: [view(0), view(1)], step: 2, runRef: null });
    expect(first!.runRef).toMatchObject({ steps: 2 });
    const second = await activities.proposeCandidate({ ...base, history: [view(2)], step: 3, runRef: first!.runRef });
    expect(seen.propose[1]).toMatchObject({ plan, profile, history: [view(0), view(1), view(2)] });
    expect(second!.runRef).toEqual({ artifact: first!.runRef!.artifact, steps: 3 });
    // A late retry of the first proposal does not shorten the run the second one stored.
    await activities.proposeCandidate({ ...base, plan, profile, history: [view(0), view(1)], step: 2, runRef: null });
    expect((JSON.parse(readFileSync(first!.runRef!.artifact, 'utf8')) as { history: unknown[] }).history).toHaveLength(3);
    // The first reference still reads its own prefix.
    await activities.proposeCandidate({ ...base, history: [view(5)], step: 3, runRef: first!.runRef });
    expect(seen.propose.at(-1)!.history).toEqual([view(0), view(1), view(5)]);
  });

  it('fail for good, naming the artifact, when a reference cannot be read', async () => {
    const { activities } = setup();
    const missing = { artifact: '/nowhere/run.json', steps: 1 };
    await expect(activities.proposeCandidate({ ...base, history: [], step: 1, runRef: missing })).rejects.toMatchObject({
      type: 'ArtifactMissing',
      nonRetryable: true,
      message: expect.stringContaining('/nowhere/run.json'),
    });
    const first = await activities.proposeCandidate({ ...base, plan, history: [view(0)], step: 1, runRef: null });
    await expect(activities.proposeCandidate({ ...base, history: [], step: 5, runRef: { ...first!.runRef!, steps: 4 } })).rejects.toMatchObject({
      type: 'ArtifactMalformed',
      message: expect.stringMatching(/holds 1 steps, the reference names 4/),
    });
    writeFileSync(first!.runRef!.artifact, JSON.stringify({ history: [] }));
    await expect(activities.proposeCandidate({ ...base, history: [], step: 1, runRef: first!.runRef })).rejects.toMatchObject({
      type: 'ArtifactMalformed',
      message: expect.stringContaining('plan'),
    });
  });
});
