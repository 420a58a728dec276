/**
 * The grading runtime runs a plain Vitest file unchanged: the conformance fixture (which also runs
 * under real Vitest in the unit project) passes through the grader with the same test names.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadExercise } from '../../src/grading/node/exercises.ts';
import { gradeCode } from '../../src/grading/node/grade.ts';
import { FIXTURES } from './helpers.ts';

describe('grading runtime conformance', { timeout: 60_000 }, () => {
  it('passes the conformance file with Vitest-style names, skipping skip/todo', async () => {
    const ex = loadExercise('conformance', FIXTURES);
    const r = await gradeCode(ex, readFileSync(`${FIXTURES}toy-sum/solution.ts`, "utf8"));
    expect(r.tests.filter((t) => t.status !== 'passed')).toEqual([]);
    expect(r.tests.map((t) => t.name)).toEqual([
      'hooks > inner > runs its body between the hooks',
      'hooks > ran every hook in Vitest order (a hook registered after a test still applies)',
      'each > count_present([true,true]) = 2',
      'each > count_present([false]) = 0',
      "each > object case swap has n=1",
      'skipping > still runs the others',
      'matchers > awaits async tests',
      'matchers > has the usual Jest-style matchers',
      'matchers > puts a custom message in front of the failure',
    ]);
  });
});

describe('test files compiled ahead (TestSource.compiled, the browser build)', { timeout: 120_000 }, () => {
  it('runs the compiled code it is given instead of compiling the source, and matches a run that compiles', async () => {
    const { compileTs } = await import('../../src/grading/compile.ts');
    const { EARLY_ABORT: EA, runInRealm: run } = await import('./realm/harness.ts');
    const solution = readFileSync(`${FIXTURES}../../../exercises/early-abort/solution.ts`, 'utf8');
    const [file] = EA.tests;
    const compiled = compileTs(file!.source, file!.file);
    if (!compiled.ok) throw new Error('the early-abort test file does not compile');
    const plain = await run(EA, solution);
    const ahead = await run({ ...EA, tests: [{ ...file!, compiled: compiled.code }] }, solution);
    const strip = (r: typeof plain) => ({ ...r, durationMs: 0, tests: r.tests.map((t) => ({ ...t, durationMs: 0 })) });
    expect(strip(ahead)).toEqual(strip(plain));
    expect(plain.passed).toBe(plain.total);
    // Used as given: a source that does not even parse, with compiled code beside it, runs the code.
    const toy = "var _vitest = require('vitest'); (0, _vitest.it)('from the compiled code', () => { (0, _vitest.expect)(1).toBe(1); });";
    const r = await run({ ...EA, tests: [{ file: 'x.test.ts', source: 'this is ( not TypeScript', compiled: toy }] }, solution);
    expect(r.loadError).toBeUndefined();
    expect(r.tests.map((t) => `${t.name}: ${t.status}`)).toEqual(['from the compiled code: passed']);
  });
});

// ---------------------------------------------------------------------------------------------
// The hardened realm (runtime/realm.ts): learner code in a ses Compartment of a locked-down realm.
// Each class of attack from issue 9 is tried along several routes (tests/grading/realm/probes.ts);
// every route is judged by what it reached, so a new spelling of the same attack is judged the same.
// ---------------------------------------------------------------------------------------------
import { EARLY_ABORT, TOY, report, runInRealm } from './realm/harness.ts';
import { ESCAPE_PROBE, LEAK_PROBE, NET_PROBE, patchProbe } from './realm/probes.ts';

const toySolution = readFileSync(`${FIXTURES}toy-sum/solution.ts`, 'utf8');
const toyStarter = readFileSync(`${FIXTURES}toy-sum/starter.ts`, 'utf8');
const eaSolution = readFileSync(`${FIXTURES}../../../exercises/early-abort/solution.ts`, 'utf8');
const eaStarter = readFileSync(`${FIXTURES}../../../exercises/early-abort/starter.ts`, 'utf8');
const verdict = (r: { passed: number; total: number; tests: { name: string; status: string }[] }) => ({
  passed: r.passed,
  total: r.total,
  statuses: r.tests.map((t) => `${t.name}: ${t.status}`),
});

describe('the hardened realm (Node, sealRealm + Compartments)', { timeout: 120_000 }, () => {
  it('no run-time-built eval / Function / import() reaches the host, a module or another realm', async () => {
    const r = await runInRealm(TOY, `${toySolution}\n${ESCAPE_PROBE}`);
    expect(r.loadError, r.loadError).toBeUndefined();
    const got = report<Record<string, string>>(r);
    expect(Object.keys(got).length).toBeGreaterThanOrEqual(30);
    const escaped = Object.entries(got).filter(([, v]) => !(v === 'confined' || v.startsWith('blocked')));
    expect(escaped, JSON.stringify(got, null, 1)).toEqual([]);
    // and the honest part of the file still passes: the probes changed nothing for the tests
    expect(r.passed).toBe(r.total);
  });

  it('import() text left in the file (comment, string) is refused with its line, before any of it runs', async () => {
    const n = toySolution.split('\n').length;
    for (const [code, line] of [
      [`// see import('x') in the docs\n${toySolution}`, 1],
      [`${toySolution}\nconst s = "import ('node:child_process')";\n`, n + 1],
      [`${toySolution}\nconst t = \`import/**/('node:fs')\`;\n`, n + 1],
    ] as const) {
      const r = await runInRealm(TOY, code);
      expect(r.loadError, JSON.stringify(r)).toMatch(/contains `import\(`/);
      expect(r.loadError).toContain(`line ${line}`);
      expect(r.passed).toBe(0);
    }
  });

  it('an error thrown while loading is a throw, even when its text looks like a refusal', async () => {
    const r = await runInRealm(TOY, `${toySolution}\nthrow new SyntaxError('Possible import expression rejected at x:3. (SES_IMPORT_REJECTED)');\n`);
    expect(r.loadError).toMatch(/^your code threw while loading: SyntaxError: Possible import expression/);
  });

  it('tests are collected before the learner code loads, and again after it when a file calls the learner while collecting', async () => {
    const ex = {
      id: 'collect',
      exports: ['count_present', 'first_absent'],
      tests: [{ file: 'c.test.ts', source: "import { describe, it, expect } from 'vitest';\nimport { count_present } from './solution';\nconst n = count_present([true, true, false]);\ndescribe('at collection', () => { it(`counted ${n}`, () => expect(n).toBe(2)); });\n" }],
    };
    const r = await runInRealm(ex, toySolution);
    expect(r.loadError).toBeUndefined();
    expect(r.tests.map((t) => `${t.name}: ${t.status}`)).toEqual(['at collection > counted 2: passed']);
  });

  it('a written dynamic import() of anything but the engine fails with the import message', async () => {
    const code = `${toySolution}\nfor (const m of ['node:fs', 'fs', 'vitest', './solution', 'http://127.0.0.1:9/x.js']) {\n  import(m).then(() => console.log('REPORT ' + JSON.stringify({ reached: m })), (e: any) => console.log('REPORT ' + JSON.stringify({ refused: String(e.message) })));\n}\n`;
    const r = await runInRealm(TOY, code);
    const outs = [r.output ?? '', ...r.tests.map((t) => t.output ?? '')].join('\n');
    const reports = [...outs.matchAll(/REPORT (\{.*\})/g)].map((m) => JSON.parse(m[1]!) as { reached?: string; refused?: string });
    expect(reports).toHaveLength(5);
    for (const x of reports) {
      expect(x.reached).toBeUndefined();
      expect(x.refused).toMatch(/exercises can only import from 'collapse-lab\/engine'/);
    }
  });

  it('nothing reachable from learner code is expect, the nonce, a port, postMessage or the process', async () => {
    const r = await runInRealm(TOY, `${toySolution}\n${LEAK_PROBE}`);
    const got = report<{ found: string[]; nodes: number }>(r);
    expect(got.nodes).toBeGreaterThan(200); // the walk really walked (intrinsics, engine, require …)
    expect(got.found).toEqual([]);
  });

  it('self-restoring patches of built-ins, matchers and engine exports do not stick, at load or inside a test', async () => {
    for (const when of ['load', 'test'] as const) {
      const r = await runInRealm(TOY, `${toySolution}\n${patchProbe('count_present', when)}`, 10_000);
      const got = report<{ stuck: string[]; tried: number }>(r);
      expect(got.tried).toBeGreaterThan(500);
      expect(got.stuck, when).toEqual([]);
      expect(r.passed, when).toBe(r.total);
    }
  });

  it('a self-restoring patch attack on the unchanged starter gets exactly the starter verdict (toy and early-abort)', async () => {
    for (const [ex, starter, fn] of [
      [TOY, toyStarter, 'count_present'],
      [EARLY_ABORT, eaStarter, 'hpage_collapse_scan_pmd'],
    ] as const) {
      const honest = verdict(await runInRealm(ex, starter));
      expect(honest.passed).toBeLessThan(honest.total);
      for (const when of ['load', 'test'] as const) {
        const attacked = await runInRealm(ex, `${starter}\n${patchProbe(fn, when)}`, 10_000);
        expect(verdict(attacked), `${ex.id} ${when}`).toEqual(honest);
      }
    }
  });

  it('the issue-9 attack itself: matchers/built-ins patched at load, undone on a 0 ms timer, cannot pass the toy starter', async () => {
    const cheat = `${toyStarter}
const g: any = globalThis;
const saved: [any, PropertyKey, PropertyDescriptor | undefined][] = [];
const patch = (o: any, k: PropertyKey, v: unknown) => { saved.push([o, k, Object.getOwnPropertyDescriptor(o, k)]); try { Object.defineProperty(o, k, { value: v, configurable: true, writable: true }); } catch {} };
patch(Object, 'is', () => true);
patch(Object.prototype, 'asymmetricMatch', () => true);
patch(Object.prototype, '$$typeof', Symbol.for('jest.asymmetricMatcher'));
patch(Array.prototype, 'every', () => true);
patch(JSON, 'stringify', () => '"same"');
patch(Map.prototype, 'get', () => undefined);
patch(Function.prototype, 'call', function (this: any) { return true; });
for (const s of Object.getOwnPropertySymbols(g)) patch(g, s, () => () => ({}));
setTimeout(() => { for (const [o, k, d] of saved) { try { if (d) Object.defineProperty(o, k, d); } catch {} } }, 0);
`;
    const honest = verdict(await runInRealm(TOY, toyStarter));
    const r = await runInRealm(TOY, cheat);
    expect(r.loadError).toBeUndefined();
    expect(verdict(r)).toEqual(honest);
  });

  it('network, storage, workers, process and postMessage are absent or blocked for learner code', async () => {
    const r = await runInRealm(TOY, `${toySolution}\n${NET_PROBE}`);
    const got = report<Record<string, string>>(r);
    expect(Object.keys(got).length).toBeGreaterThanOrEqual(17);
    expect(Object.entries(got).filter(([, v]) => v === 'AVAILABLE')).toEqual([]);
  });

  it('the realm keeps errors useful: a frozen built-in says so, a throw names the line of the learner code', async () => {
    const r = await runInRealm(TOY, `export function count_present(s: boolean[]): number {\n  Object.freeze = (x: any) => x;\n  return 0;\n}\nexport function first_absent(s: boolean[]): number {\n  const a: any = null;\n  return a.length;\n}\n`);
    const [cp, , , fa] = r.tests;
    expect(cp!.message).toMatch(/your code tried to change `Object\.freeze`: built-ins, expect and the engine are frozen/);
    expect(cp!.message).toContain('at line 2 of your code');
    expect(fa!.message).toMatch(/^TypeError: .*\(at line 7 of your code\)$/);
    // Date.now and Math.random work for learner code (ses's compartment versions would throw)
    const ok = await runInRealm(TOY, `${toySolution}\nconsole.log('REPORT ' + JSON.stringify({ now: typeof Date.now(), r: typeof Math.random() }));\n`);
    expect(report(ok)).toEqual({ now: 'number', r: 'number' });
  });

  it('errors from timers a test starts still count against that test; unawaited rejections too', async () => {
    const r = await runInRealm(TOY, readFileSync(`${FIXTURES}bad/stray-timer.ts`, 'utf8'));
    const byName = Object.fromEntries(r.tests.map((t) => [t.name, t]));
    expect(byName['count_present > counts the present slots']!.status).toBe('error');
    expect(byName['count_present > counts the present slots']!.message).toMatch(/late failure from a timer/);
    for (const t of r.tests.filter((x) => x.name.startsWith('first_absent'))) {
      expect(t.status, t.name).toBe('error');
      expect(t.message).toMatch(/nobody awaits this/);
    }
  });
});

describe('"Draw my run" in the sealed runtime (runtime/draw.ts)', { timeout: 120_000 }, () => {
  it("runs the learner's scan on a scenario and returns plain data that differs where the patch matters", async () => {
    const { drawInRealm } = await import('./realm/harness.ts');
    const scenario = { layout: 'migration,page*511' };
    const mine = await drawInRealm(eaStarter, scenario);
    const patched = await drawInRealm(eaSolution, scenario);
    expect(mine.ok && patched.ok, JSON.stringify([mine, patched]).slice(0, 500)).toBe(true);
    if (!mine.ok || !patched.ok) return;
    expect(mine.replaced).toEqual(['hpage_collapse_scan_pmd']);
    // the patched scan stops at slot 0; the starter's scan runs on and a huge page is allocated for nothing
    expect(patched.report.scan_result).toBe('SCAN_PTE_NON_PRESENT');
    expect(patched.report.allocated).toBe(false);
    expect(mine.report.scan_result).toBe('SCAN_SUCCEED');
    expect(mine.report.allocated).toBe(true);
    expect((mine.report.trace as unknown[]).length).toBeGreaterThan((patched.report.trace as unknown[]).length);
    expect(mine.before[0]![0]).toBe('migration');
    expect(mine.before[0]).toHaveLength(512);
    expect(Array.isArray(mine.report.trace)).toBe(true);
    expect(() => structuredClone(mine)).not.toThrow();
    expect(JSON.stringify(mine)).not.toMatch(/\bn"|\[object/);
  });

  it('a bad layout, a syntax error and a throwing learner function come back as errors, not exceptions', async () => {
    const { drawInRealm } = await import('./realm/harness.ts');
    const bad = await drawInRealm(eaSolution, { layout: 'page*3' });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error).toMatch(/512|add up|total/i);
    const syntax = await drawInRealm('export function hpage_collapse_scan_pmd( {', { layout: 'page*512' });
    expect(syntax.ok).toBe(false);
    if (!syntax.ok) expect(syntax.error).toMatch(/^line 1:\d+/);
    const throws = await drawInRealm("export function hpage_collapse_scan_pmd(): number { throw new RangeError('mine'); }", { layout: 'page*512' });
    expect(throws.ok).toBe(false);
    if (!throws.ok) expect(throws.error).toMatch(/RangeError: mine/);
  });
});

// ---------------------------------------------------------------------------------------------
// Issue 14: "Re-run failing only" (`only` in the load payload) and the scenario a failed test
// carries for "Draw this case" (recorded from the test's own makeWorld/runCollapse calls).
// ---------------------------------------------------------------------------------------------
describe('"Re-run failing only" and the failed test\'s scenario (runtime/session.ts)', { timeout: 180_000 }, () => {
  const wrong = readFileSync(`${FIXTURES}../../../exercises/early-abort/wrong/migration-only.ts`, 'utf8');

  it('`only` runs exactly the named tests, in file order, and ignores unknown names', async () => {
    const full = await runInRealm(EARLY_ABORT, wrong);
    expect(full.loadError, full.loadError).toBeUndefined();
    const failing = full.tests.filter((t) => t.status !== 'passed').map((t) => t.name);
    const passing = full.tests.filter((t) => t.status === 'passed').map((t) => t.name);
    expect(failing.length).toBeGreaterThan(1);
    expect(passing.length).toBeGreaterThan(0);
    // ask in reverse order, with one passing test and a name that does not exist
    const asked = [...failing.slice(0, 3)].reverse().concat([passing[0]!, 'no such test']);
    const sub = await runInRealm(EARLY_ABORT, wrong, 2000, asked);
    const want = full.tests.map((t) => t.name).filter((n) => asked.includes(n));
    expect(sub.tests.map((t) => t.name)).toEqual(want);
    expect(sub.total).toBe(4);
    expect(sub.passed).toBe(1);
    expect(sub.failed).toBe(3);
    expect(sub.tests.find((t) => t.name === passing[0])!.status).toBe('passed');
  });

  it('an `only` that names no existing test is a load error, not an empty pass', async () => {
    const r = await runInRealm(EARLY_ABORT, eaSolution, 2000, ['no such test']);
    expect(r.passed).toBe(0);
    expect(r.loadError).toMatch(/none of the tests/);
  });

  it('a failed scan test carries the scenario it ran the learner code on; drawing it reproduces the failure', async () => {
    const { drawInRealm } = await import('./realm/harness.ts');
    const r = await runInRealm(EARLY_ABORT, wrong);
    const failed = r.tests.filter((t) => t.status !== 'passed');
    expect(r.tests.filter((t) => t.status === 'passed').every((t) => t.scenario === undefined)).toBe(true);
    const withScenario = failed.filter((t) => t.scenario);
    expect(withScenario.length).toBeGreaterThan(failed.length / 2);
    // e.g. "guard marker at slot 0 stops the scan …": the layout really has a non-migration entry
    const one = withScenario.find((t) => /guard/.test(t.name))!;
    expect(one, failed.map((t) => t.name).join('\n')).toBeDefined();
    expect(one.scenario!.layout).toMatch(/guard/);
    expect(one.scenario!.kernel).toBe('after');
    const mine = await drawInRealm(wrong, one.scenario!);
    const patched = await drawInRealm(eaSolution, one.scenario!);
    expect(mine.ok && patched.ok).toBe(true);
    if (!mine.ok || !patched.ok) return;
    expect(mine.report.scan_result).not.toBe(patched.report.scan_result);
    // where each scan stopped: the patched one at the guard, the wrong one later (or never)
    const guardAt = patched.before[0]!.indexOf('guard');
    expect(patched.scanReads[0]!.at(-1)).toBe(guardAt);
    expect(mine.scanReads[0]!.at(-1)).not.toBe(guardAt);
  });

  it('`after` is what the PMD maps after the run: a huge page after a collapse, the entries themselves after an abort', async () => {
    const { drawInRealm } = await import('./realm/harness.ts');
    const collapsed = await drawInRealm(eaSolution, { layout: 'page*256,swap*8,page*248' });
    const aborted = await drawInRealm(eaSolution, { layout: 'migration,page*511' });
    if (!collapsed.ok || !aborted.ok) throw new Error(JSON.stringify([collapsed, aborted]).slice(0, 300));
    expect(collapsed.report.collapsed).toBe(true);
    expect(collapsed.before[0]![256]).toBe('swap');
    expect(collapsed.after[0]).toEqual(new Array(512).fill('huge'));
    expect(aborted.after[0]![0]).toMatch(/^migration/);
    expect(aborted.after[0]!.slice(1).every((k) => k === 'present')).toBe(true);
  });
});
