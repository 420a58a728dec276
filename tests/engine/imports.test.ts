/**
 * The engine's house: imports inside src/engine point one way (values and types at the bottom,
 * state above, kernel paths on top). Type-only imports count too — a circle of types is still a
 * circle a reader has to untangle. The layers are the ones README.md's "Files" table lists.
 */
import { describe, it, expect } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const DIR = fileURLToPath(new URL('../../src/engine/', import.meta.url));

/** Every relative module specifier a file imports or re-exports (static, type-only, dynamic). */
export function importsOf(source: string): string[] {
  const out: string[] = [];
  const re = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)|(?:^|\n)\s*import\s*['"](\.{1,2}\/[^'"]+)['"]/g;
  for (const m of source.matchAll(re)) out.push((m[1] ?? m[2] ?? m[3])!);
  return out;
}

/** The first import cycle found in a graph (as a path that returns to its start), or null. */
export function findCycle(graph: ReadonlyMap<string, readonly string[]>): string[] | null {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string): string[] | null => {
    const s = state.get(n);
    if (s === 'done') return null;
    if (s === 'open') return [...stack.slice(stack.indexOf(n)), n];
    state.set(n, 'open');
    stack.push(n);
    for (const m of graph.get(n) ?? []) {
      const c = visit(m);
      if (c) return c;
    }
    stack.pop();
    state.set(n, 'done');
    return null;
  };
  for (const n of [...graph.keys()].sort()) {
    const c = visit(n);
    if (c) return c;
  }
  return null;
}

function engineGraph(): Map<string, string[]> {
  const g = new Map<string, string[]>();
  for (const f of readdirSync(DIR).filter((f) => f.endsWith('.ts')).sort()) {
    const deps = importsOf(readFileSync(join(DIR, f), 'utf8'))
      .filter((s) => s.startsWith('./'))
      .map((s) => s.slice(2));
    g.set(f, deps);
  }
  return g;
}

/** Layers, bottom first (README.md "Files"). A file may import only from its own layer or below. */
const LAYERS: readonly (readonly string[])[] = [
  ['pte.ts', 'swapops.ts', 'softleaf.ts', 'scan_result.ts', 'layout.ts', 'types.ts'],
  ['evidence.ts', 'lockstate.ts', 'trace.ts', 'mm.ts', 'locks.ts'],
  ['memory.ts', 'actors.ts', 'khugepaged.ts'],
  ['run.ts', 'explore.ts', 'narrate.ts', 'observe.ts'],
  ['index.ts'],
];

describe('engine imports point one way', () => {
  it('the cycle finder finds a circle and a chain has none (the check can fail)', () => {
    expect(findCycle(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']]]))).toEqual(['a', 'b', 'c', 'a']);
    expect(findCycle(new Map([['a', ['b']], ['b', ['c']], ['c', []]]))).toBeNull();
    expect(importsOf("import type { World } from './types.ts';\nexport * from './mm.ts';\nimport {\n  a,\n} from './pte.ts';")).toEqual(['./types.ts', './mm.ts', './pte.ts']);
  });

  it('there is no import cycle inside src/engine (type-only imports included)', () => {
    const cycle = findCycle(engineGraph());
    expect(cycle, cycle ? `import cycle: ${cycle.join(' → ')}` : '').toBeNull();
  });

  it('every engine file sits in one layer and imports only from its layer or below', () => {
    const g = engineGraph();
    const layerOf = new Map<string, number>();
    LAYERS.forEach((files, i) => files.forEach((f) => layerOf.set(f, i)));
    for (const f of g.keys()) expect(layerOf.has(f), `${f} is in no layer: add it to LAYERS and to README.md's Files table`).toBe(true);
    const wrong: string[] = [];
    for (const [f, deps] of g) {
      for (const d of deps) if ((layerOf.get(d) ?? 99) > layerOf.get(f)!) wrong.push(`${f} (layer ${layerOf.get(f)}) imports ${d} (layer ${layerOf.get(d)})`);
    }
    expect(wrong, 'imports pointing up').toEqual([]);
  });

  it('the engine imports nothing from outside src/engine', () => {
    for (const f of readdirSync(DIR).filter((f) => f.endsWith('.ts'))) {
      const outside = importsOf(readFileSync(join(DIR, f), 'utf8')).filter((s) => !s.startsWith('./'));
      expect(outside, f).toEqual([]);
    }
  });
});
