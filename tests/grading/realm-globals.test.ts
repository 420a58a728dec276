/**
 * The editor's view of the runner's globals (src/editor/realm-globals.ts, with `lib: ['esnext']`)
 * against the runner itself: learner code in a real compartment lists what it can see, and
 * TypeScript, configured as in the editor, must accept exactly that — every global and console
 * method the compartment has type-checks, and what the editor declares beyond the language exists.
 */
import { describe, expect, it } from 'vitest';
import ts from 'typescript';
import { REALM_GLOBALS_DTS } from '../../src/editor/realm-globals.ts';
import { TOY, runInRealm } from './realm/harness.ts';

/** Learner code (the toy exercise) that prints what its compartment offers, from inside a test. */
const PROBE = `
export function count_present(slots: boolean[]): number {
  const g = globalThis as Record<string, unknown>;
  console.log('GLOBALS ' + JSON.stringify({ globals: Object.getOwnPropertyNames(g), console: Object.keys(g.console as object) }));
  return slots.filter(Boolean).length;
}
export function first_absent(slots: boolean[]): number { return slots.indexOf(false); }
`;

/** Type-check `code` the way the editor does (compiler options of src/editor/monaco.ts). */
function check(code: string): { errors: string[]; program: ts.Program; file: ts.SourceFile } {
  const files = new Map([
    ['/lib/runner-globals.d.ts', REALM_GLOBALS_DTS],
    ['/work/probe.ts', code],
  ]);
  const options: ts.CompilerOptions = { target: ts.ScriptTarget.ESNext, module: ts.ModuleKind.ESNext, strict: true, noEmit: true, lib: ['lib.esnext.d.ts'], types: [] };
  const host = ts.createCompilerHost(options);
  const orig = host.getSourceFile.bind(host);
  host.getSourceFile = (name, lang, ...rest) => (files.has(name) ? ts.createSourceFile(name, files.get(name)!, lang) : orig(name, lang, ...rest));
  host.fileExists = (name) => files.has(name) || ts.sys.fileExists(name);
  host.readFile = (name) => files.get(name) ?? ts.sys.readFile(name);
  const program = ts.createProgram([...files.keys()], options, host);
  const errors = ts.getPreEmitDiagnostics(program).map((d) => {
    const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : 0;
    return `${d.file?.fileName ?? ''}:${line}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
  return { errors, program, file: program.getSourceFile('/work/probe.ts')! };
}

describe('the editor declares exactly the globals the runner gives learner code', { timeout: 60_000 }, () => {
  it('every global and console method of a real compartment type-checks; the editor declares none it lacks', async () => {
    const r = await runInRealm(TOY, PROBE);
    const line = r.tests.map((t) => t.output ?? '').join('\n').split('\n').find((l) => l.startsWith('GLOBALS '));
    expect(line, 'the probe ran in the compartment').toBeDefined();
    const seen = JSON.parse(line!.slice('GLOBALS '.length)) as { globals: string[]; console: string[] };
    // The probe really looks: the language's own globals and the runner's endowments are there.
    for (const name of ['Array', 'Promise', 'JSON', 'console', 'setTimeout', 'queueMicrotask']) expect(seen.globals).toContain(name);
    expect(seen.console).toContain('log');

    // 1. Each global of the compartment is known to the editor (one line each, so an error names it).
    const names = seen.globals.filter((n) => /^[A-Za-z_$][\w$]*$/.test(n));
    const uses = check(names.map((n) => `void (typeof ${n});`).join('\n') + '\nexport {};\n');
    const unknown = uses.errors.map((e) => names[Number(/:(\d+):/.exec(e)?.[1]) - 1] ?? e);
    expect(unknown, 'globals learner code has that the editor would flag').toEqual([]);

    // 2. What the editor declares beyond the language exists in the compartment.
    const declared = ts
      .createSourceFile('d.ts', REALM_GLOBALS_DTS, ts.ScriptTarget.ESNext)
      .statements.flatMap((s) =>
        (ts.isFunctionDeclaration(s) || ts.isClassDeclaration(s)) && s.name ? [s.name.text] : ts.isVariableStatement(s) ? s.declarationList.declarations.map((d) => (d.name as ts.Identifier).text) : [],
      );
    expect(declared.length).toBeGreaterThan(0);
    expect(declared.filter((n) => !seen.globals.includes(n)), 'declared for the editor but absent in the runner').toEqual([]);

    // 3. The console: the editor's type has exactly the methods the runner's capture has.
    const c = check('export const c = console;\n');
    expect(c.errors).toEqual([]);
    const sym = c.program.getTypeChecker().getExportsOfModule(c.program.getTypeChecker().getSymbolAtLocation(c.file)!).find((s) => s.name === 'c')!;
    const props = c.program.getTypeChecker().getTypeOfSymbol(sym).getProperties().map((p) => p.name);
    expect(props.sort()).toEqual([...seen.console].sort());

    // 4. And the DOM is not there for the editor either (the runner has none).
    const dom = check('export const d = [document, window, fetch, localStorage, navigator];\n');
    expect(dom.errors.map((e) => /Cannot find name '(\w+)'/.exec(e)?.[1]).sort()).toEqual(['document', 'fetch', 'localStorage', 'navigator', 'window']);
  });
});
