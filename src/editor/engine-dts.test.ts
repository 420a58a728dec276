import { describe, it, expect } from 'vitest';
import ts from 'typescript';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildEngineDts } from './engine-dts.ts';

/** Type-check `learner` against the generated extra lib the way Monaco will (one lib file + one model). */
function diagnose(dts: string, learner: string): string[] {
  const files = new Map([
    ['/lib/engine.d.ts', dts],
    ['/work/learner.ts', learner],
  ]);
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ESNext,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    strict: true,
    noEmit: true,
    lib: ['lib.esnext.d.ts'],
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const orig = host.getSourceFile.bind(host);
  host.getSourceFile = (name, lang, ...rest) =>
    files.has(name) ? ts.createSourceFile(name, files.get(name)!, lang) : orig(name, lang, ...rest);
  host.fileExists = (name) => files.has(name) || ts.sys.fileExists(name);
  host.readFile = (name) => files.get(name) ?? ts.sys.readFile(name);
  const program = ts.createProgram([...files.keys()], options, host);
  return ts
    .getPreEmitDiagnostics(program)
    .map((d) => `${d.file?.fileName ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
}

// The TypeScript compiler takes seconds per program on a loaded 2-core machine.
describe('engine .d.ts for the editor', { timeout: 60_000 }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'engine-dts-'));
  fs.writeFileSync(
    path.join(dir, 'pte.ts'),
    `/** A page table entry. */\nexport interface pte_t { readonly pte: bigint }\n` +
      `/** True when the PTE is empty. */\nexport function pte_none(p: pte_t): boolean { return p.pte === 0n; }\n` +
      `const secret = 1;\nexport const HPAGE_PMD_NR = 512 + secret - 1;\n`,
  );
  fs.writeFileSync(
    path.join(dir, 'swapops.ts'),
    `import type { pte_t } from './pte.ts';\nimport { pte_none } from './pte.ts';\n` +
      `/** Is it a swap PTE? */\nexport function is_swap_pte(p: pte_t): boolean { return !pte_none(p); }\n`,
  );
  fs.writeFileSync(path.join(dir, 'index.ts'), `export * from './pte.ts';\nexport * from './swapops.ts';\n`);
  const { dts, files } = buildEngineDts(path.join(dir, 'index.ts'));

  it('wraps every engine file as an ambient module, keeping TSDoc', () => {
    expect(dts).toContain('declare module "collapse-lab/engine" {');
    expect(dts).toContain('declare module "collapse-lab/engine/internal/pte" {');
    expect(dts).toContain('/** True when the PTE is empty. */');
    expect(dts).not.toMatch(/from ['"]\.\//);
    expect(files.map((f) => path.basename(f)).sort()).toEqual(['index.ts', 'pte.ts', 'swapops.ts']);
  });

  it('lets correct learner code type-check and flags wrong code', () => {
    const ok = diagnose(
      dts,
      `import { pte_none, is_swap_pte, HPAGE_PMD_NR, type pte_t } from 'collapse-lab/engine';\n` +
        `export function f(p: pte_t): boolean { return pte_none(p) || is_swap_pte(p) || HPAGE_PMD_NR > 1; }\n`,
    );
    expect(ok).toEqual([]);
    const bad = diagnose(
      dts,
      `import { pte_none } from 'collapse-lab/engine';\nexport const x: number = pte_none("slot 3");\n`,
    );
    expect(bad.join('\n')).toMatch(/not assignable to parameter of type 'pte_t'/);
  });

  it('degrades to an empty module when the engine entry is missing', () => {
    const r = buildEngineDts(path.join(dir, 'nope.ts'));
    expect(r.dts).toContain('declare module "collapse-lab/engine" {}');
    expect(r.files).toEqual([]);
  });

  const realIndex = path.resolve('src/engine/index.ts');
  it.runIf(fs.existsSync(realIndex))('the real engine produces declarations that compile on their own', () => {
    const real = buildEngineDts(realIndex);
    expect(real.files.length).toBeGreaterThan(3);
    expect(diagnose(real.dts, `import { pte_none, HPAGE_PMD_NR } from 'collapse-lab/engine';\nexport const n: number = HPAGE_PMD_NR; export const f = pte_none;\n`)).toEqual([]);
  });
});
