import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILTIN_DEFINITIONS, builtinIds, readCompetitionYaml } from '../../infra/competitions.js';

describe('built-in competition definitions', () => {
  it('20+ competitions over 4+ domains, each parsed by the loader the platform uses (strict YAML, zod schema)', () => {
    const specs = builtinIds().map((id) => readCompetitionYaml(path.join(BUILTIN_DEFINITIONS, id)));
    expect(specs.length).toBeGreaterThanOrEqual(20);
    const byDomain = new Map<string, number>();
    for (const s of specs) byDomain.set(s.domain, (byDomain.get(s.domain) ?? 0) + 1);
    for (const domain of ['tabular', 'vision', 'text', 'time-series']) expect(byDomain.get(domain), domain).toBeGreaterThanOrEqual(4);
    for (const s of specs) expect(s.target_score, `${s.id} documents a target`).toBeTypeOf('number');
    expect(specs.map((s) => s.id)).toEqual(builtinIds());
  });
});
