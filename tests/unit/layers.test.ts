import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../infra/config.js';

/**
 * The layer order of README.md's "Layers", lowest first: a folder imports only from itself and the
 * folders before it. `tests/` may import anything and is not checked.
 */
const LAYERS = ['schemas', 'infra', 'skill-store', 'agents', 'distill', 'activities', 'workflows', 'workers', 'client', 'report', 'bench', 'cli'];
/**
 * Workflow code is replayed, so everything it runs is workflow code: it imports values only from
 * these folders, and the layers below only as types (the activities' interfaces, which the bundle drops).
 */
const WORKFLOW_VALUE_IMPORTS = ['workflows', 'schemas'];

interface Edge {
  from: string;
  to: string;
  typeOnly: boolean;
}

/** Static and dynamic relative imports and re-exports; `import type` / `export type` are type-only (erased under verbatimModuleSyntax). */
function importsOf(file: string): Edge[] {
  const source = readFileSync(path.join(PROJECT_ROOT, file), 'utf8');
  const edges: Edge[] = [];
  const add = (spec: string, typeOnly: boolean) => {
    if (spec.startsWith('.')) edges.push({ from: file, to: path.normalize(path.join(path.dirname(file), spec)).replace(/\.js$/, '.ts'), typeOnly });
  };
  for (const m of source.matchAll(/^\s*(import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?'([^']+)'/gm)) add(m[3]!, Boolean(m[2]));
  for (const m of source.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)) add(m[1]!, false);
  return edges;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(PROJECT_ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(rel);
    return e.name.endsWith('.ts') ? [rel] : [];
  });
}

const layerOf = (file: string) => file.split(path.sep)[0]!;
const files = LAYERS.flatMap(sourceFiles);
const edges = files.flatMap(importsOf);

describe('layers', () => {
  it('finds the imports it checks (a parser that saw nothing would pass anything)', () => {
    expect(files).toContain(path.join('workflows', 'episode.ts'));
    expect(edges).toContainEqual({ from: path.join('workflows', 'episode.ts'), to: path.join('activities', 'index.ts'), typeOnly: true });
    expect(edges).toContainEqual({ from: path.join('cli', 'commands', 'run.ts'), to: path.join('client', 'episodes.ts'), typeOnly: false });
  });

  it('covers every top-level folder with TypeScript in it', () => {
    // Dot-folders are tooling and scratch (.git, .venv, .haste), never a layer.
    const ignored = new Set(['node_modules', 'tests', 'runner', 'competitions', 'docs']);
    const withTs = readdirSync(PROJECT_ROOT, { withFileTypes: true }).filter(
      (e) => e.isDirectory() && !e.name.startsWith('.') && !ignored.has(e.name) && sourceFiles(e.name).length > 0,
    );
    expect(withTs.map((e) => e.name).sort()).toEqual([...LAYERS].sort());
  });

  it('no module imports from a layer above its own', () => {
    const upward = edges.filter((e) => LAYERS.indexOf(layerOf(e.to)) > LAYERS.indexOf(layerOf(e.from))).map((e) => `${e.from} -> ${e.to}`);
    expect(upward).toEqual([]);
  });

  it('workflow code imports values only from workflows/ and schemas/', () => {
    const reaching = edges.filter((e) => layerOf(e.from) === 'workflows' && !e.typeOnly && !WORKFLOW_VALUE_IMPORTS.includes(layerOf(e.to))).map((e) => `${e.from} -> ${e.to}`);
    expect(reaching).toEqual([]);
  });

  it('no import cycle between modules', () => {
    const next = new Map<string, string[]>();
    for (const e of edges) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
    const state = new Map<string, 'open' | 'done'>();
    const cycles: string[] = [];
    const visit = (file: string, trail: string[]) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') {
        cycles.push([...trail.slice(trail.indexOf(file)), file].join(' -> '));
        return;
      }
      state.set(file, 'open');
      for (const to of next.get(file) ?? []) visit(to, [...trail, file]);
      state.set(file, 'done');
    };
    for (const file of files) visit(file, []);
    expect(cycles).toEqual([]);
  });
});
