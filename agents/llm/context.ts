import { z } from 'zod';
import { isBetter, type CompetitionSpec } from '../../schemas/competition.js';
import type { ParamSpace } from '../../schemas/prior.js';
import type { Candidate } from '../../schemas/training.js';
import type { RetrievedSkill } from '../../schemas/skill.js';
import { templateFits } from '../offline/search-space.js';
import { TEMPLATE_SPACES } from '../../schemas/templates.js';
import type { StepView } from '../../schemas/episode.js';

/** Rough token count (~4 characters a token for English and JSON); only used to keep prompts in budget. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** The most lines the run history takes in a prompt, however long the episode (issue 12: ~20). */
export const HISTORY_LINES = 20;

const short = (c: Candidate) => `${c.template} ${JSON.stringify(c.params)}`;

/**
 * The run so far in at most HISTORY_LINES lines: a summary, the best steps, the latest ones, and the
 * latest failures with their errors. Only cross-validated scores: agents never see graded ones.
 */
export function compressHistory(history: StepView[], direction: 'maximize' | 'minimize'): string[] {
  if (history.length === 0) return ['(no steps yet)'];
  const ok = history.filter((s): s is StepView & { cvScore: number } => s.status === 'ok' && s.cvScore !== undefined);
  const failed = history.filter((s) => s.status === 'failed');
  const ranked = [...ok].sort((a, b) => (isBetter(a.cvScore, b.cvScore, direction) ? -1 : isBetter(b.cvScore, a.cvScore, direction) ? 1 : a.step - b.step));
  const byTemplate = new Map<string, number>();
  for (const s of history) byTemplate.set(s.candidate.template, (byTemplate.get(s.candidate.template) ?? 0) + 1);
  const lines = [`${history.length} steps: ${ok.length} ok, ${failed.length} failed; templates tried: ${[...byTemplate].map(([t, n]) => `${t}×${n}`).join(', ')}`];
  const shown = new Set<number>();
  const line = (s: StepView) => {
    shown.add(s.step);
    return s.status === 'ok'
      ? `step ${s.step}: ${short(s.candidate)} → cv ${s.cvScore!.toPrecision(5)}`
      : `step ${s.step}: ${short(s.candidate)} → ${s.status}${s.error ? `: ${s.error.slice(0, 160)}` : ''}`;
  };
  lines.push('best:', ...ranked.slice(0, 6).map(line));
  const latest = history.slice(-6).filter((s) => !shown.has(s.step));
  if (latest.length) lines.push('latest:', ...latest.map(line));
  const failures = failed.slice(-3).filter((s) => !shown.has(s.step));
  if (failures.length) lines.push('failures:', ...failures.map(line));
  return lines.slice(0, HISTORY_LINES);
}

/**
 * Skills in context, best first, while they fit the token budget left after the fixed part of the
 * prompt; returns the text and the ids that made it in (recorded on the step, credited as today).
 */
export function skillsWithinBudget(skills: RetrievedSkill[], budgetTokens: number): { text: string; ids: string[] } {
  const lines: string[] = [];
  const ids: string[] = [];
  let used = 0;
  for (const skill of skills) {
    const recipe = skill.recipe.template ? ` (recipe: ${skill.recipe.template} ${JSON.stringify(skill.recipe.params)})` : '';
    const text = `- [${skill.tier}] ${skill.title}: ${skill.body.replace(/\s+/g, ' ').slice(0, 400)}${recipe}`;
    const cost = estimateTokens(text) + 1;
    if (used + cost > budgetTokens) continue;
    lines.push(text);
    ids.push(skill.id);
    used += cost;
  }
  return { text: lines.length ? lines.join('\n') : '(none)', ids };
}

export function profile(c: CompetitionSpec): string {
  return `Competition "${c.id}" (${c.domain}, ${c.taskType}); metric ${c.metric}, ${c.direction === 'maximize' ? 'higher' : 'lower'} is better. Data: ${JSON.stringify(c.traits)}. Budget: ${c.budget.maxSteps} steps, ${c.budget.computeSeconds} s compute.`;
}

/**
 * The `custom` template (a solution.py of the model's own) works on the same scaled feature rows as
 * knn, so it fits wherever knn does (runner/haste_runner/templates/tabular.py).
 */
export function customFits(c: CompetitionSpec): boolean {
  return templateFits('knn', c.domain, c.taskType);
}

/** What a solution.py must define: the runner's contract for the `custom` template (runner/README.md). */
export const CUSTOM_CONTRACT =
  'custom: params.code is the whole Python source of solution.py, for an idea no template above can express. It must define make_model(task_type, seed) returning an object with fit(X, y) and, for regression, predict(X); for binary/multiclass, predict_proba(X) and classes_. X is a numpy array of scaled numeric features. numpy, scipy and scikit-learn are available; no network, no files. Keep it short.';

/** Longest solution.py the model may write (about 1,500 tokens; the runner accepts up to 1 MB). */
export const MAX_CODE_CHARS = 6000;

/** Why a proposed solution.py cannot be used as it is (null when it can): rules the schema does not state. */
export function codeProblem(candidate: Candidate): string | null {
  const code = candidate.params.code;
  if (candidate.template !== 'custom' || typeof code !== 'string') return null;
  if (code.length > MAX_CODE_CHARS) return `params.code is ${code.length} characters; keep solution.py under ${MAX_CODE_CHARS}`;
  if (!/\bdef\s+make_model\s*\(/.test(code)) return 'params.code must define make_model(task_type, seed)';
  return null;
}

/** The runner's templates this competition can use. */
export function fittingTemplates(c: CompetitionSpec): string[] {
  return Object.keys(TEMPLATE_SPACES).filter((t) => templateFits(t, c.domain, c.taskType));
}

function describeSpace(space: ParamSpace): string {
  if (space.kind === 'choice') return `one of ${JSON.stringify(space.values)}`;
  return `${space.kind} ${space.min}..${space.max}${space.log ? ' (log scale)' : ''}`;
}

/** Params a model can state in JSON: numbers in range and choices of plain values (list-valued choices keep their default). */
function promptableParams(template: string): [string, ParamSpace][] {
  return Object.entries(TEMPLATE_SPACES[template]?.params ?? {}).filter(
    ([, s]) => s.kind !== 'choice' || s.values.every((v) => ['string', 'number', 'boolean'].includes(typeof v)),
  );
}

export function describeTemplates(templates: string[]): string {
  return templates
    .map((t) => {
      const params = promptableParams(t);
      return `- ${t}: ${params.length ? params.map(([name, s]) => `${name} ${describeSpace(s)}`).join('; ') : 'no params'}`;
    })
    .join('\n');
}

function paramSchema(space: ParamSpace): z.ZodType {
  if (space.kind === 'int') return z.number().int().min(space.min).max(space.max);
  if (space.kind === 'float') return z.number().min(space.min).max(space.max);
  const values = space.values as (string | number | boolean)[];
  return z.literal(values);
}

/**
 * A candidate the model may propose: one of the given templates with exactly its params, each in the
 * runner's range. The small model invents params that do not belong to a template; this rules them out.
 */
export function boundedCandidateSchema(templates: string[], options: { custom?: boolean } = {}) {
  const variant = (template: string, params: Record<string, z.ZodType>) => z.strictObject({ template: z.literal(template), params: z.strictObject(params) });
  const variants = [
    ...templates.map((t) => variant(t, Object.fromEntries(promptableParams(t).map(([name, s]) => [name, paramSchema(s)])))),
    // The code goes to the artifact store by reference once the activity has it (infra/solution-code.ts).
    // Its length is checked by codeProblem, not the schema: llama.cpp unrolls a maxLength into that many grammar rules.
    ...(options.custom ? [variant('custom', { code: z.string() })] : []),
  ];
  if (variants.length === 0) throw new Error('no template fits this competition');
  return variants.length === 1 ? variants[0]! : z.discriminatedUnion('template', variants as [(typeof variants)[0], ...typeof variants]);
}
