import { z } from 'zod';

/** Metrics the Python graders implement, whether a higher value is better, and the task types each fits. */
export const METRICS = {
  accuracy: { direction: 'maximize', tasks: ['binary', 'multiclass'] },
  balanced_accuracy: { direction: 'maximize', tasks: ['binary', 'multiclass'] },
  macro_f1: { direction: 'maximize', tasks: ['binary', 'multiclass'] },
  roc_auc: { direction: 'maximize', tasks: ['binary'] },
  log_loss: { direction: 'minimize', tasks: ['binary'] },
  rmse: { direction: 'minimize', tasks: ['regression', 'forecasting'] },
  rmsle: { direction: 'minimize', tasks: ['regression', 'forecasting'] },
  mae: { direction: 'minimize', tasks: ['regression', 'forecasting'] },
  mape: { direction: 'minimize', tasks: ['regression', 'forecasting'] },
  smape: { direction: 'minimize', tasks: ['regression', 'forecasting'] },
  r2: { direction: 'maximize', tasks: ['regression', 'forecasting'] },
  poisson_deviance: { direction: 'minimize', tasks: ['regression', 'forecasting'] },
} as const;
export type MetricName = keyof typeof METRICS;
const metricNames = Object.keys(METRICS) as [MetricName, ...MetricName[]];

export const TaskTypeSchema = z.enum(['binary', 'multiclass', 'regression', 'forecasting']);
export type TaskType = z.infer<typeof TaskTypeSchema>;
export const DirectionSchema = z.enum(['maximize', 'minimize']);
export type Direction = z.infer<typeof DirectionSchema>;
export const DomainSchema = z.string().regex(/^[a-z][a-z0-9-]*$/, 'a lowercase slug such as tabular, vision, text, time-series');

/** The built-in domains; any other lowercase slug is a user-defined domain that trains with the tabular templates. */
export const BUILTIN_DOMAINS = ['tabular', 'vision', 'text', 'time-series'] as const;

export function metricsFor(task: TaskType): MetricName[] {
  return metricNames.filter((m) => (METRICS[m].tasks as readonly string[]).includes(task));
}

/**
 * How to fix each field, by dotted path. They become the JSON Schema `description`s, which the Python runner
 * prints after its own description of the problem, and the zod messages here: one text for both sides.
 */
export const FIELD_FIXES: Record<string, string> = {
  '': 'competition.yaml must be a mapping of the keys documented in the README ("Competitions")',
  id: 'write a lowercase slug of letters, digits and single dashes, e.g. credit-default',
  title: 'write a non-empty title, e.g. "Credit default"',
  task_type: 'write one of binary, multiclass, regression, forecasting',
  domain:
    'write tabular, vision, text (binary or multiclass only), time-series (exactly when task_type is forecasting), ' +
    'or a lowercase slug of your own (a user-defined domain trains with the tabular templates)',
  target_column: 'name the column of train.csv and answers.csv that holds the target, e.g. target',
  id_column: 'name the column that identifies a row in train.csv, test.csv and answers.csv, e.g. id',
  metric: 'write metric: {name, direction} with a metric for this task_type and its direction',
  'metric.name': 'pick a metric this task_type supports',
  'metric.direction': 'write the direction the metric is optimised in',
  positive_label: 'binary only: the label whose probability roc_auc/log_loss submissions hold, e.g. 1 or "yes"',
  budget: 'write budget: {compute_seconds: N, max_steps: N}',
  'budget.compute_seconds': 'a positive number of slot seconds, e.g. 300',
  'budget.max_steps': 'a positive whole number of refinement steps, e.g. 10',
  target_score: "optional: the score that counts as solved, a number in the metric's units",
  source: 'optional: where the data comes from, free text',
  description: 'optional: free text (description.md is read too)',
  text_columns: 'a list of the free-text columns, e.g. [title, body]; the other columns stay numeric or categorical features',
  'text_columns.*': 'a column name of train.csv and test.csv',
  image: 'image: {height, width, channels, layout, pixel_pattern}; pixel columns are named by pixel_pattern',
  'image.height': 'a positive whole number of pixel rows',
  'image.width': 'a positive whole number of pixel columns',
  'image.channels': 'a positive whole number of channels (1 greyscale, 3 RGB); default 1',
  'image.layout':
    'hwc (row, column, channel: how HxWxC arrays store pixels) or chw (one channel plane after another): the order of the ' +
    'pixel vector, and the meaning of {i} in pixel_pattern; default hwc',
  'image.pixel_pattern':
    'a column-name pattern with {r} and {c} (row, column, from 0) and, for several channels, {ch} (appended as _{ch} ' +
    'when left out), e.g. px_{r}_{c}_{ch}; ' +
    "or with {i}, the pixel's index in layout order, e.g. pixel{i}; default px_{r}_{c} (1 channel) or px_{r}_{c}_{ch}",
  horizon: 'forecasting: a positive whole number of steps to forecast per series, e.g. 12',
  season_length: 'forecasting, optional: the seasonal period in steps (12 for monthly data with a yearly cycle)',
  series_column: 'forecasting, optional: the column naming the series (default series_id)',
  time_column: 'forecasting, optional: the column of ISO timestamps or whole-number periods (default timestamp)',
  value_column: 'forecasting, optional: the column of train.csv holding the values (default: target_column)',
  frequency: 'forecasting, optional: a pandas offset alias such as D, W, MS, QS, h (default: inferred from the timestamps)',
};

/** The fix text for a field path (array indices match `*`, unknown paths use their parent's). */
export function fieldFix(path: readonly PropertyKey[]): string {
  const key = path.map((p) => (typeof p === 'number' ? '*' : String(p)));
  for (let n = key.length; n >= 0; n--) {
    const fix = FIELD_FIXES[key.slice(0, n).join('.')];
    if (fix !== undefined) return fix;
  }
  return FIELD_FIXES['']!;
}

const fix = <T extends z.ZodType>(schema: T, path: string): T => schema.meta({ description: FIELD_FIXES[path] });
const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const name = (path: string) => fix(z.string().min(1), path);
const positiveInt = (path: string) => fix(z.number().int().positive(), path);

/** Unknown keys are rejected (a typo must not silently drop a setting), naming the key and the keys accepted there. */
const strictError = (shape: Record<string, unknown>) => (iss: { code?: string; keys?: string[] }) =>
  iss.code === 'unrecognized_keys'
    ? `unknown key${iss.keys!.length > 1 ? 's' : ''} ${iss.keys!.map((k) => `"${k}"`).join(', ')}: remove or rename (keys here: ${Object.keys(shape).join(', ')})`
    : undefined;
const strict = <S extends Record<string, z.ZodType>>(shape: S) => z.strictObject(shape, { error: strictError(shape) });

/** A metric: the {name, direction} pairs a task type allows, so a wrong pair is rejected by structure alone. */
function metricFor(task: TaskType) {
  const pairs = metricsFor(task).map((m) => strict({ name: z.literal(m), direction: fix(z.literal(METRICS[m].direction), 'metric.direction') }));
  return z.discriminatedUnion('name', pairs as unknown as [(typeof pairs)[number], ...(typeof pairs)[number][]]).meta({
    description: `${FIELD_FIXES.metric}: ${metricsFor(task)
      .map((m) => `${m} (${METRICS[m].direction})`)
      .join(', ')}`,
  });
}

// Pixel names need {r} and {c}, or the flat index {i}.
const PIXEL_PATTERN = /^(?:(?=.*\{i\})|(?=.*\{r\})(?=.*\{c\})).+$/;
const ImageSchema = fix(
  strict({
    height: positiveInt('image.height'),
    width: positiveInt('image.width'),
    channels: positiveInt('image.channels').optional(),
    layout: fix(z.enum(['hwc', 'chw']), 'image.layout').optional(),
    pixel_pattern: fix(z.string().regex(PIXEL_PATTERN), 'image.pixel_pattern').optional(),
  }),
  'image',
);
export type ImageYaml = z.infer<typeof ImageSchema>;

const common = {
  id: fix(z.string().regex(SLUG), 'id'),
  title: name('title'),
  target_column: name('target_column'),
  id_column: name('id_column'),
  budget: fix(strict({ compute_seconds: fix(z.number().positive(), 'budget.compute_seconds'), max_steps: positiveInt('budget.max_steps') }), 'budget'),
  target_score: fix(z.number(), 'target_score').optional(),
  // Optional: a bring-your-own folder rarely has a citable source, and nothing but the docs reads it.
  source: fix(z.string(), 'source').optional(),
  description: fix(z.string(), 'description').optional(),
};
/** Feature-row tasks: free-text columns and images can be described. */
const rows = {
  text_columns: fix(z.array(name('text_columns.*')).min(1), 'text_columns').optional(),
  image: ImageSchema.optional(),
};
// A user-defined domain slug, minus the built-in domains a task type cannot use: the text templates classify only,
// and only forecasting reads long-format series.
const domainExcept = (...excluded: string[]) => fix(z.string().regex(new RegExp(`^(?!(?:${excluded.join('|')})$)[a-z][a-z0-9-]*$`)), 'domain');
const taskType = <T extends TaskType>(t: T) => fix(z.literal(t), 'task_type');
const binaryShape = {
  ...common,
  task_type: taskType('binary'),
  domain: domainExcept('time-series'),
  metric: metricFor('binary'),
  positive_label: fix(z.union([z.string(), z.number()]), 'positive_label').optional(),
  ...rows,
};
const multiclassShape = { ...common, task_type: taskType('multiclass'), domain: domainExcept('time-series'), metric: metricFor('multiclass'), ...rows };
const regressionShape = { ...common, task_type: taskType('regression'), domain: domainExcept('time-series', 'text'), metric: metricFor('regression'), ...rows };
const forecastingShape = {
  ...common,
  task_type: taskType('forecasting'),
  domain: fix(z.literal('time-series'), 'domain'),
  metric: metricFor('forecasting'),
  horizon: positiveInt('horizon'),
  season_length: positiveInt('season_length').optional(),
  series_column: name('series_column').optional(),
  time_column: name('time_column').optional(),
  value_column: name('value_column').optional(),
  frequency: fix(z.string().regex(/^\d*[A-Za-z][A-Za-z-]*$/), 'frequency').optional(),
};

/**
 * competition.yaml, exactly as users write it (snake_case): THE rules, for TypeScript and (exported as JSON
 * Schema, schemas/contracts.ts) for the Python runner. Every rule is structural so that it exports: the task type
 * selects the allowed keys, domains and metric pairs; refinements would be lost in the export.
 */
export const CompetitionYamlSchema = z
  .discriminatedUnion('task_type', [strict(binaryShape), strict(multiclassShape), strict(regressionShape), strict(forecastingShape)])
  .meta({ description: FIELD_FIXES[''] });
export type CompetitionYaml = z.infer<typeof CompetitionYamlSchema>;

/** One problem of competition.yaml: the field (dotted path, '' for the whole file) and what to do. */
export interface YamlProblem {
  field: string;
  message: string;
}

/** zod's issues as problems that say the fix: "metric.direction: got \"maximize\", expected \"minimize\"; <fix>". */
export function competitionYamlProblems(error: z.ZodError, raw: unknown): YamlProblem[] {
  return error.issues.flatMap((i): YamlProblem[] => {
    const field = i.path.map(String).join('.');
    const got = valueAt(raw, i.path);
    let what: string;
    if (i.code === 'unrecognized_keys') return i.keys.map((k) => ({ field: [...i.path, k].map(String).join('.'), message: i.message }));
    if (got === undefined) what = 'missing';
    else if (i.code === 'invalid_format') what = `got ${JSON.stringify(got)}`;
    else if (i.code === 'invalid_union' && 'options' in i)
      what = `got ${JSON.stringify(got)}, expected one of ${(i.options as unknown[]).map((o) => JSON.stringify(o)).join(', ')}`;
    else if (i.code === 'invalid_value') what = `got ${JSON.stringify(got)}, expected ${i.values.map((v) => JSON.stringify(v)).join(' or ')}`;
    else what = `got ${JSON.stringify(got)}: ${i.message.replace(/^Invalid input: /, '')}`;
    const task = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>).task_type : undefined;
    const fixText =
      field.startsWith('metric') && TaskTypeSchema.safeParse(task).success
        ? `${fieldFix(i.path)}; ${task} tasks take ${metricsFor(task as TaskType)
            .map((m) => `${m} (${METRICS[m].direction})`)
            .join(', ')}`
        : fieldFix(i.path);
    return [{ field, message: `${what}; ${fixText}` }];
  });
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = raw;
  for (const p of path) v = typeof v === 'object' && v !== null ? (v as Record<PropertyKey, unknown>)[p] : undefined;
  return v;
}

/** What the episode needs to know about a competition once it is loaded (plain JSON, workflow-safe). */
export const CompetitionSpecSchema = z.object({
  id: z.string(),
  title: z.string(),
  domain: z.string(),
  taskType: TaskTypeSchema,
  dir: z.string(),
  metric: z.enum(metricNames),
  direction: DirectionSchema,
  budget: z.object({ computeSeconds: z.number(), maxSteps: z.number().int() }),
  targetScore: z.number().optional(),
  traits: z.object({
    rows: z.number().int(),
    features: z.number().int(),
    numericFeatures: z.number().int(),
    /** Non-numeric feature columns, free-text ones included. */
    categoricalFeatures: z.number().int(),
    /** How many of the non-numeric columns are free text (competition.yaml text_columns). */
    textFeatures: z.number().int().optional(),
    /** Images: their shape (competition.yaml image, or square greyscale px_<r>_<c> columns). */
    image: z.object({ height: z.number().int(), width: z.number().int(), channels: z.number().int() }).optional(),
    /** Forecasting: how many series train.csv holds. */
    series: z.number().int().optional(),
    /** Share of the rarest class among training rows (classification), from up to 5,000 rows. */
    minorityClassShare: z.number().min(0).max(1).optional(),
    /** Skewness of the target (regression), from up to 5,000 rows. */
    targetSkew: z.number().optional(),
  }),
});
export type CompetitionSpec = z.infer<typeof CompetitionSpecSchema>;

/** True when score a is better than b under the metric's direction. */
export function isBetter(a: number, b: number, direction: Direction): boolean {
  return direction === 'maximize' ? a > b : a < b;
}
