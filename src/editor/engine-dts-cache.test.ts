import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildEngineDts, type EngineDts } from './engine-dts.ts';
import { cachedEngineDts } from './engine-dts-cache.ts';

/** A two-file engine in a temporary folder, a cache file beside it, and a generator that counts its calls. */
function setup() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'engine-dts-cache-'));
  const engine = path.join(dir, 'engine');
  fs.mkdirSync(engine);
  fs.writeFileSync(path.join(engine, 'pte.ts'), '/** A page table entry. */\nexport interface pte_t { readonly pte: bigint }\n');
  fs.writeFileSync(path.join(engine, 'index.ts'), "export * from './pte.ts';\n");
  const index = path.join(engine, 'index.ts');
  const cacheFile = path.join(dir, 'cache', 'engine-dts.json');
  let calls = 0;
  const build = (f: string): EngineDts => {
    calls++;
    return buildEngineDts(f);
  };
  const get = () => cachedEngineDts(index, { cacheFile, build });
  return { engine, index, cacheFile, get, calls: () => calls };
}

// The TypeScript compiler takes seconds per program on a loaded 2-core machine.
describe('the engine .d.ts cache', { timeout: 60_000 }, () => {
  it('generates once, then serves the same text while no source changes', async () => {
    const s = setup();
    const first = await s.get();
    expect(first.cached).toBe(false);
    expect(first.dts).toBe(buildEngineDts(s.index).dts);
    expect(first.dts).toContain('pte_t');
    const again = await s.get();
    expect(again).toEqual({ ...first, cached: true });
    expect(s.calls()).toBe(1);
  });

  it('generates again when a source changes, and when an imported file is added', async () => {
    const s = setup();
    await s.get();
    fs.appendFileSync(path.join(s.engine, 'pte.ts'), 'export function pte_none(): number { return 0; }\n');
    const changed = await s.get();
    expect(changed.cached).toBe(false);
    expect(changed.dts).toContain('pte_none');
    fs.writeFileSync(path.join(s.engine, 'swap.ts'), 'export type swp_entry_t = { val: bigint };\n');
    expect((await s.get()).cached, 'a file nothing imports changes nothing').toBe(true);
    fs.appendFileSync(s.index, "export * from './swap.ts';\n");
    const added = await s.get();
    expect(added.cached).toBe(false);
    expect(added.dts).toContain('swp_entry_t');
    expect(added.files.map((f) => path.basename(f)).sort()).toEqual(['index.ts', 'pte.ts', 'swap.ts']);
    expect(s.calls()).toBe(3);
  });

  it('a file saved while the declarations are made: the entry is stale at once', async () => {
    const s = setup();
    const pte = path.join(s.engine, 'pte.ts');
    // The save lands after the compiler read the file and before the result is stored.
    const racing = (f: string): EngineDts => {
      const made = buildEngineDts(f);
      fs.appendFileSync(pte, 'export const saved_during_build = 1;\n');
      return made;
    };
    const first = await cachedEngineDts(s.index, { cacheFile: s.cacheFile, build: racing });
    expect(first.dts).not.toContain('saved_during_build');
    const next = await s.get();
    expect(next.cached).toBe(false);
    expect(next.dts).toContain('saved_during_build');
  });

  it('an import of a file that does not exist yet: creating the file makes the entry stale', async () => {
    const s = setup();
    fs.appendFileSync(s.index, "export * from './later.ts';\n");
    const before = await s.get();
    expect(before.dts).not.toContain('later_t');
    fs.writeFileSync(path.join(s.engine, 'later.ts'), 'export type later_t = number;\n');
    const after = await s.get();
    expect(after.cached).toBe(false);
    expect(after.dts).toContain('later_t');
    expect(after.dts).toBe(buildEngineDts(s.index).dts);
  });

  it('a broken, foreign or unwritable cache means "generate", never an error', async () => {
    const s = setup();
    await s.get();
    for (const bad of ['{', 'null', '[]', JSON.stringify({ generator: 'x', index: s.index, inputs: [], absent: [], dts: 'forged', files: [] })]) {
      fs.writeFileSync(s.cacheFile, bad);
      const r = await s.get();
      expect(r.cached).toBe(false);
      expect(r.dts).not.toBe('forged');
    }
    // an entry made by another generator (another engine-dts.ts or TypeScript) is not used
    const entry = JSON.parse(fs.readFileSync(s.cacheFile, 'utf8')) as { generator: string; dts: string };
    fs.writeFileSync(s.cacheFile, JSON.stringify({ ...entry, generator: 'another', dts: 'stale' }));
    expect((await s.get()).dts).toContain('pte_t');
    // the cache folder is a file: nothing can be stored, the result is still right
    const blocked = path.join(path.dirname(s.cacheFile), 'blocked');
    fs.writeFileSync(blocked, '');
    const r = await cachedEngineDts(s.index, { cacheFile: path.join(blocked, 'engine-dts.json') });
    expect(r.cached).toBe(false);
    expect(r.dts).toContain('pte_t');
  });
});
