import { z } from 'zod';

/** Metrics the Python graders implement, and whether a higher value is better. */
export const METRICS = {
  accuracy: 'maximize',
  balanced_accuracy: 'maximize',
  macro_f1: 'maximize',
  roc_auc: 'maximize',
  log_loss: 'minimize',
  rmse: 'minimize',
  rmsle: 'minimize',
  mae: 'minimize',
  mape: 'minimize',
  smape: 'minimize',
  r2: 'maximize',
  poisson_deviance: 'minimize',
} as const;
export type MetricName = keyof typeof METRICS;
const metricNames = Object.keys(METRICS) as [MetricName, ...MetricName[]];

export const DomainSchema = z.string().regex(/^[a-z][a-z0-9-]*$/, 'a lowercase slug such as tabular, vision, text, time-series');
export const TaskTypeSchema = z.enum(['binary', 'multiclass', 'regression', 'forecasting']);
export type TaskType = z.infer<typeof TaskTypeSchema>;
export const DirectionSchema = z.enum(['maximize', 'minimize']);
export type Direction = z.infer<typeof DirectionSchema>;

/** competition.yaml, exactly as users write it (snake_case). */
export const CompetitionYamlSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'a lowercase slug, e.g. credit-default'),
    title: z.string().min(1),
    domain: DomainSchema,
    task_type: TaskTypeSchema,
    target_column: z.string().min(1),
    id_column: z.string().min(1),
    metric: z.object({ name: z.enum(metricNames), direction: DirectionSchema }),
    positive_label: z.union([z.string(), z.number()]).optional(),
    budget: z.object({
      compute_seconds: z.number().positive(),
      max_steps: z.number().int().positive(),
    }),
    target_score: z.number().optional(),
    horizon: z.number().int().positive().optional(),
    /** Forecasting: the seasonal period (12 for monthly data with a yearly cycle), if any. */
    season_length: z.number().int().positive().optional(),
    source: z.string().optional(),
    description: z.string().optional(),
  })
  .superRefine((c, ctx) => {
    if (METRICS[c.metric.name] !== c.metric.direction) {
      ctx.addIssue({
        code: 'custom',
        path: ['metric', 'direction'],
        message: `metric ${c.metric.name} is ${METRICS[c.metric.name]}d, not ${c.metric.direction}d`,
      });
    }
    if (c.task_type === 'forecasting' && c.horizon === undefined) {
      ctx.addIssue({ code: 'custom', path: ['horizon'], message: 'forecasting competitions need a horizon' });
    }
  });
export type CompetitionYaml = z.infer<typeof CompetitionYamlSchema>;

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
    categoricalFeatures: z.number().int(),
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
