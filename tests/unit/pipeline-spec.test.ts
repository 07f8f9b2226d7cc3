import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PipelineSpecSchema } from '../../schemas/pipeline.js';

/** The same cases runner/tests/test_pipeline_spec.py checks against the exported JSON Schema: both sides agree. */
const cases = JSON.parse(readFileSync(new URL('../fixtures/pipeline-specs.json', import.meta.url), 'utf8')) as {
  valid: { name: string; spec: unknown; parsed: unknown }[];
  invalid: { name: string; spec: unknown; field: string }[];
};

describe('pipeline specs (schemas/pipeline.ts)', () => {
  it.each(cases.valid.map((c) => [c.name, c] as const))('accepts %s and fills the defaults the runner fills', (_, c) => {
    const parsed = PipelineSpecSchema.parse(c.spec);
    expect(parsed).toEqual(c.parsed);
    expect(PipelineSpecSchema.parse(JSON.parse(JSON.stringify(parsed)))).toEqual(parsed);
  });

  it.each(cases.invalid.map((c) => [c.name, c] as const))('rejects %s', (_, c) => {
    expect(PipelineSpecSchema.safeParse(c.spec).success).toBe(false);
  });
});
