import { describe, it, expect } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { MONACO_WORKERS_FILE, stripContributionImports } from './vite-plugin-monaco-features.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const MONACO = path.join(ROOT, 'node_modules/monaco-editor');
const WORKERS = path.join(MONACO, 'esm/vs/internal/common/workers.js');

describe('the Monaco features plugin (vite-plugin-monaco-features.ts)', () => {
  it('matches the installed Monaco file that imports every contribution, and takes every contribution import out of it', () => {
    expect(MONACO_WORKERS_FILE.test(WORKERS)).toBe(true);
    expect(MONACO_WORKERS_FILE.test(WORKERS.replaceAll('/', '\\'))).toBe(true);
    const code = fs.readFileSync(WORKERS, 'utf8');
    const { code: out, removed } = stripContributionImports(code);
    // the ones left out on purpose are among the removed (and so come back only if monaco.ts imports them)
    for (const c of ['stickyScroll', 'inlayHints', 'codelens', 'colorPicker', 'diffEditor.contribution', 'inspectTokens', 'gpuActions']) {
      expect(removed.some((l) => l.includes(c)), c).toBe(true);
    }
    expect(out).not.toMatch(/editor\/contrib\//);
    expect(out).not.toMatch(/standalone\/browser\//);
    // what the worker factory itself needs stays
    expect(out).toMatch(/export\s*\{\s*createWebWorker\s*\}/);
    expect(out).toContain("from '../../editor/editor.api.js'");
    expect(out).toContain("import '../../editor/browser/coreCommands.js'");
  });

  it('fails loudly when the file no longer looks as expected (a Monaco update)', () => {
    expect(() => stripContributionImports("import { editor } from '../../editor/editor.api.js';\nexport { createWebWorker };\n")).toThrow(/no longer looks as expected/);
    expect(() => stripContributionImports("import '../../editor/contrib/folding/browser/folding.js';\nexport { other };\n")).toThrow(/no longer looks as expected/);
  });

  it('every contribution monaco.ts imports exists in the installed Monaco', () => {
    const src = fs.readFileSync(path.join(ROOT, 'src/editor/monaco.ts'), 'utf8');
    const specs = [...src.matchAll(/^import '(monaco-editor\/(?:features|editor\/contrib)\/[^']+)';$/gm)].map((m) => m[1]!);
    expect(specs.length).toBeGreaterThan(20);
    const missing = specs.filter((s) => !fs.existsSync(path.join(MONACO, 'esm/vs', `${s.slice('monaco-editor/'.length)}.js`)));
    expect(missing).toEqual([]);
    // not the everything-entry, which would make the list above pointless
    expect(src).not.toMatch(/^import 'monaco-editor\/features\/register\.all/m);
  });
});
