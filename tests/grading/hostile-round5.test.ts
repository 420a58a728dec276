/**
 * HOSTILE CATALOGUE — round 5: two new runner mechanisms.
 *  1. Reference reports shared inside a worker (runtime/session.ts `referenceKey`, the test files'
 *     `simulateShared`, `references`): a primed runner answers the tests' `simulate()` of the
 *     patched kernel from the hardened reports priming made. Learner code must not reach
 *     `simulate`, the shared view or a stored report, and a reused report must judge exactly as a
 *     fresh one (a wrong answer may not pass, a right one may not fail, primed or not).
 *  2. Test files compiled ahead (node/compiled.ts, TestSource.compiled): a submission must not get
 *     its own code run as the tests, nor write the compiled-tests cache (cacheDir()/tests/).
 * Each attack is judged by its effect; each test fails if the attack works.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileTs } from '../../src/grading/compile.ts';
import type { RunResult } from '../../src/grading/types.ts';
import { EARLY_ABORT, exercise, runInRealm, runPrimed } from './realm/harness.ts';
import { freshCacheDir, ROOT } from './helpers.ts';

const EA = `${ROOT}exercises/early-abort`;
const SL = `${ROOT}exercises/softleaf`;
const SOFTLEAF = exercise(SL, 'softleaf');
const read = (f: string) => readFileSync(f, 'utf8');
const eaStarter = read(`${EA}/starter.ts`);
const eaSolution = read(`${EA}/solution.ts`);

/** Everything but the timings. */
const comparable = (r: RunResult) => ({ ...r, durationMs: 0, tests: r.tests.map((t) => ({ ...t, durationMs: 0 })) });

/** The LAST `REPORT <json>` a probe printed anywhere in the run. */
function lastReport<T>(r: RunResult): T {
  const all = [r.output ?? '', ...r.tests.map((t) => `${t.output ?? ''}\n${t.message ?? ''}`)].join('\n');
  const m = [...all.matchAll(/REPORT (\{.*\})/g)].pop();
  if (!m) throw new Error(`no REPORT in the run: ${JSON.stringify(r).slice(0, 2000)}`);
  return JSON.parse(m[1]!) as T;
}

/**
 * Appended to a solution whose scan was renamed `inner_scan`: the exported scan walks everything
 * reachable from its arguments, the engine namespace and globalThis on its first calls, looking for
 * `simulate` (or the test files' `simulateShared`, the other scenario drivers, a reference kernel)
 * and for a collapse report (a shared reference report looks like one); it also tries the classic
 * ways up the call stack to the test file's `run()`. Every call then delegates to the real scan.
 */
const REFERENCE_PROBE = `
import * as PROBE_ENGINE from 'collapse-lab/engine';
const probe = { calls: 0, walked: 0, engineHasSimulate: 'simulate' in PROBE_ENGINE || 'explore' in PROBE_ENGINE || 'makeWorld' in PROBE_ENGINE || 'runCollapse' in PROBE_ENGINE,
  found: [] as string[], reports: [] as string[], stack: [] as string[] };
const FORBIDDEN = /simulat|Shared|makeWorld|createWorld|runCollapse|explore|_after$|_before$|_v3_as_posted$|Recorded/;
function probeWalk(roots: [string, unknown][]) {
  const seen = new Set<unknown>();
  const queue: [unknown, string][] = roots.map(([p, v]) => [v, p]);
  while (queue.length && seen.size < 40000) {
    const [v, path] = queue.shift()!;
    if ((typeof v !== 'object' && typeof v !== 'function') || v === null || seen.has(v)) continue;
    seen.add(v);
    if (typeof v === 'function') {
      let name = '';
      try { name = String((v as { name?: unknown }).name); } catch { /* */ }
      if (FORBIDDEN.test(name) && probe.found.length < 20) probe.found.push(path + ' ' + name);
    }
    let keys: (string | symbol)[] = [];
    try { keys = Reflect.ownKeys(v as object); } catch { continue; }
    if (keys.includes('scan_result') && keys.includes('pmds') && keys.includes('trace') && probe.reports.length < 20) probe.reports.push(path);
    for (const k of keys) {
      if (k === 'caller' || k === 'callee' || k === 'arguments') continue;
      let d: PropertyDescriptor | undefined;
      try { d = Object.getOwnPropertyDescriptor(v as object, k); } catch { continue; }
      if (!d) continue;
      const sub = path + '.' + String(k);
      if ('value' in d) {
        if (typeof k === 'string' && FORBIDDEN.test(k) && probe.found.length < 20 && d.value !== undefined) probe.found.push(sub);
        queue.push([d.value, sub]);
      } else {
        queue.push([d.get, sub + '<get>'], [d.set, sub + '<set>']);
      }
    }
    try { queue.push([Object.getPrototypeOf(v), path + '.__proto__']); } catch { /* */ }
    if (v instanceof Map) for (const [mk, mv] of v) queue.push([mk, path + '<key>'], [mv, path + '<value>']);
    if (v instanceof Set) for (const sv of v) queue.push([sv, path + '<item>']);
  }
  probe.walked += seen.size;
}
export function hpage_collapse_scan_pmd(...args: unknown[]) {
  probe.calls++;
  if (probe.calls <= 3) {
    probeWalk([['args', args], ['engine', PROBE_ENGINE], ['globalThis', globalThis]]);
    for (const [label, f] of [
      ['arguments.callee.caller', () => (function (this: unknown) { return (arguments as unknown as { callee: { caller: unknown } }).callee.caller; })()],
      ['scan.caller', () => (hpage_collapse_scan_pmd as unknown as { caller: unknown }).caller],
      ['inner.caller', () => (inner_scan as unknown as { caller: unknown }).caller],
      ['sloppy caller', () => new Function('return (function f() { return f.caller; })()')()],
    ] as [string, () => unknown][]) {
      try {
        const c = f();
        if (c !== null && c !== undefined) { probe.stack.push(label + ' gave ' + typeof c); probeWalk([[label, c]]); }
      } catch { /* refused: what we want */ }
    }
  }
  const r = (inner_scan as (...a: unknown[]) => unknown)(...args);
  if (probe.calls <= 3 || probe.calls % 50 === 0) console.log('REPORT ' + JSON.stringify(probe));
  return r;
}
`;

describe('hostile (round 5): the shared reference reports', { timeout: 600_000 }, () => {
  it('learner code reaches no simulate, no shared view, no stored report and no caller, primed or not; the solution still scores full', async () => {
    expect(eaSolution).toContain('export function hpage_collapse_scan_pmd(');
    const code = `${eaSolution.replace('export function hpage_collapse_scan_pmd(', 'function inner_scan(')}\n${REFERENCE_PROBE}`;
    type Probe = { calls: number; walked: number; engineHasSimulate: boolean; found: string[]; reports: string[]; stack: string[] };
    const plain = await runInRealm(EARLY_ABORT, code);
    expect(plain.loadError).toBeUndefined();
    const primed = await runPrimed(EARLY_ABORT, eaStarter, code, 'after-priming');
    expect(primed.primed.ran, 'priming really ran every test (and stored the reference reports)').toBeGreaterThan(50);
    for (const [label, r] of [['unprimed', plain], ['primed', primed.result]] as const) {
      const p = lastReport<Probe>(r);
      // The probe really ran: many calls, thousands of objects walked.
      expect(p.calls, label).toBeGreaterThanOrEqual(100);
      expect(p.walked, label).toBeGreaterThan(300);
      expect(p.engineHasSimulate, `${label}: the learner's engine view offers a scenario driver`).toBe(false);
      expect(p.found, `${label}: learner code reached a scenario driver or a reference kernel`).toEqual([]);
      expect(p.reports, `${label}: learner code reached a collapse report`).toEqual([]);
      expect(p.stack, `${label}: learner code walked up the call stack`).toEqual([]);
      expect(r.passed, label).toBe(r.total);
    }
    expect(comparable(primed.result)).toEqual(comparable(plain));
  });

  it('softleaf (the other exercise whose tests reuse reference runs): primed and unprimed give the same verdicts for the solution, the starter and every wrong answer', async () => {
    const starter = read(`${SL}/starter.ts`);
    const codes: [string, string][] = [
      ['solution', read(`${SL}/solution.ts`)],
      ['starter', starter],
      ...readdirSync(`${SL}/wrong`).filter((f) => f.endsWith('.ts')).sort().map((f) => [`wrong/${f}`, read(`${SL}/wrong/${f}`)] as [string, string]),
    ];
    expect(codes.length).toBeGreaterThanOrEqual(6);
    for (const [label, code] of codes) {
      const [plain, primed] = await Promise.all([runInRealm(SOFTLEAF, code), runPrimed(SOFTLEAF, starter, code, 'after-priming')]);
      expect(primed.primed.ran, label).toBe(primed.primed.total);
      expect(primed.primed.total, label).toBeGreaterThan(10);
      expect(comparable(primed.result), label).toEqual(comparable(plain));
      if (label === 'solution') expect(plain.passed, label).toBe(plain.total);
      else if (label.startsWith('wrong/')) expect(plain.passed, label).toBeLessThan(plain.total);
    }
  });

  it('a wrong answer that tampers with what it can reach during its scan (then delegates to a wrong scan) fails the reference comparisons, primed or not', async () => {
    // plain-break wrong answer + an attempt on every object the scan is handed: freeze-busting
    // writes, defineProperty, prototype swaps. The reference comparisons must still see it is wrong.
    const wrong = read(`${EA}/wrong/plain-break.ts`);
    expect(wrong).toContain('export function hpage_collapse_scan_pmd(');
    const tamper = `
export function hpage_collapse_scan_pmd(...args: unknown[]) {
  const seen = new Set<unknown>();
  const queue: unknown[] = [...args];
  let writes = 0;
  while (queue.length && seen.size < 5000) {
    const v = queue.shift();
    if ((typeof v !== 'object' && typeof v !== 'function') || v === null || seen.has(v)) continue;
    seen.add(v);
    for (const k of Reflect.ownKeys(v as object)) {
      try { queue.push((v as Record<string | symbol, unknown>)[k]); } catch { /* */ }
      for (const val of ['SCAN_SUCCEED', 0, true, null]) {
        try { (v as Record<string | symbol, unknown>)[k] = val; writes++; } catch { /* */ }
      }
      try { Object.defineProperty(v, k, { value: 0 }); writes++; } catch { /* */ }
    }
    try { Object.setPrototypeOf(v, null); } catch { /* */ }
  }
  if (writes > 0) console.log('WROTE ' + writes);
  return (inner_scan as (...a: unknown[]) => unknown)(...args);
}
`;
    const code = `${wrong.replace('export function hpage_collapse_scan_pmd(', 'function inner_scan(')}\n${tamper}`;
    const base = await runInRealm(EARLY_ABORT, wrong);
    const plain = await runInRealm(EARLY_ABORT, code);
    const primed = await runPrimed(EARLY_ABORT, eaStarter, code, 'after-priming');
    const refTests = (r: RunResult) => r.tests.filter((t) => t.name.includes('matches the patched kernel'));
    expect(refTests(base).length).toBeGreaterThan(5);
    const failedRef = (r: RunResult) => refTests(r).filter((t) => t.status !== 'passed').map((t) => t.name);
    expect(failedRef(base).length, 'the wrong answer alone fails some reference comparisons').toBeGreaterThan(0);
    for (const [label, r] of [['unprimed', plain], ['primed', primed.result]] as const) {
      // Tampering earns nothing: no test passes that the plain wrong answer failed, and every
      // reference comparison the wrong answer failed still fails.
      const gained = r.tests.filter((t, i) => t.status === 'passed' && base.tests[i]?.status !== 'passed').map((t) => t.name);
      expect(gained, label).toEqual([]);
      for (const name of failedRef(base)) expect(failedRef(r), `${label}: ${name}`).toContain(name);
      expect(r.passed, label).toBeLessThanOrEqual(base.passed);
    }
    expect(comparable(primed.result)).toEqual(comparable(plain));
  });
});

describe('hostile (round 5): test files compiled ahead by the parent', { timeout: 300_000 }, () => {
  const cacheFolder = freshCacheDir('cl-round5-');

  /** Every file under the cache's tests/ folder with its content (sorted). */
  const testsCache = () => {
    const d = join(cacheFolder(), 'tests');
    return existsSync(d) ? readdirSync(d).sort().map((f) => [f, read(join(d, f))]) : [];
  };

  it('a submission cannot write the compiled-tests cache (no fs in the child, learner code reaches no fs); the cached tests stay compileTs output and still judge', async () => {
    const { loadExercise } = await import('../../src/grading/node/exercises.ts');
    const { gradeCode } = await import('../../src/grading/node/grade.ts');
    const { ensureChildBundle } = await import('../../src/grading/node/bundle.ts');
    const ex = loadExercise('early-abort');
    // Fill the cache as the kit's setup does, and check what it holds.
    const first = await gradeCode(ex, eaSolution, { perTestMs: 5000 });
    expect(first.passed).toBe(first.total);
    const cache = testsCache();
    expect(cache.length).toBeGreaterThan(0);
    const t = ex.tests[0]!;
    const key = createHash('sha256').update(JSON.stringify([ensureChildBundle().hash, t.file, t.source])).digest('hex');
    const want = compileTs(t.source, t.file);
    expect(want.ok).toBe(true);
    expect(cache).toContainEqual([`${key.slice(0, 32)}.js`, want.ok ? want.code : '']);

    // A solution that, on load and in its first scan, tries every route to a file system and
    // writes "tests that always pass" over each cache file it can name.
    const forged = "import { it } from 'vitest'; it('forged', () => {});";
    const names = JSON.stringify(cache.map(([f]) => join(cacheFolder(), 'tests', f)));
    const attack = `
const ROUTES: [string, () => unknown][] = [
  ['require node:fs', () => require('node:fs')],
  ['require fs', () => require('fs')],
  ['globalThis.process', () => (globalThis as any).process.binding('fs')],
  ['process.mainModule', () => (globalThis as any).process.mainModule.require('node:fs')],
  ['require global', () => (globalThis as any).require('node:fs')],
  ['module.require', () => (module as any).require('node:fs')],
  ['Function this', () => new Function('return this')().process.getBuiltinModule('node:fs')],
  ['constructor chain', () => ((() => 0).constructor as any)('return process')().getBuiltinModule('node:fs')],
  ['getBuiltinModule', () => (globalThis as any).process.getBuiltinModule('fs')],
  ['Error.prepareStackTrace', () => { (Error as any).prepareStackTrace = (_: unknown, s: any[]) => s; const s = (new Error() as any).stack; return s[s.length - 1].getThis().process.getBuiltinModule('fs'); }],
];
let fsWrites = 0;
function attackCache() {
  for (const [, get] of ROUTES) {
    try {
      const fs = get() as { writeFileSync?: (f: string, d: string) => void } | undefined;
      for (const f of ${names}) {
        try { fs!.writeFileSync!(f, ${JSON.stringify(forged)}); fsWrites++; } catch { /* */ }
      }
    } catch { /* refused */ }
  }
  console.log('FSWRITES ' + fsWrites);
}
attackCache();
let attacked = false;
export function hpage_collapse_scan_pmd(...args: unknown[]) {
  if (!attacked) { attacked = true; attackCache(); }
  return (inner_scan as (...a: unknown[]) => unknown)(...args);
}
`;
    const code = `${eaSolution.replace('export function hpage_collapse_scan_pmd(', 'function inner_scan(')}\n${attack}`;
    const hostile = await gradeCode(ex, code, { perTestMs: 5000 });
    expect(hostile.loadError).toBeUndefined();
    const all = [hostile.output ?? '', ...hostile.tests.map((x) => x.output ?? '')].join('\n');
    expect(all, 'the attack ran').toMatch(/FSWRITES \d+/);
    expect(all).not.toMatch(/FSWRITES [1-9]/);
    // The cache is exactly what it was, and a wrong answer graded next is still judged by the real tests.
    expect(testsCache()).toEqual(cache);
    const wrong = await gradeCode(ex, read(`${EA}/wrong/plain-break.ts`), { perTestMs: 5000 });
    expect(wrong.total).toBe(first.total);
    expect(wrong.passed).toBeLessThan(wrong.total);
    expect(wrong.tests.map((x) => x.name)).not.toContain('forged');
  });

  it('a submission that IS a test file (or imports the tests) is not run as the tests: it does not load and scores 0', async () => {
    const { loadExercise } = await import('../../src/grading/node/exercises.ts');
    const { gradeCode } = await import('../../src/grading/node/grade.ts');
    const ex = loadExercise('early-abort');
    const always = ex.tests[0]!.source.replace(/expect\(/g, '(() => ({ toBe() {}, toEqual() {}, toBeNull() {}, toMatch() {}, toContain() {}, toBeGreaterThan() {}, toBeLessThan() {}, toBeTruthy() {}, toBeFalsy() {} }))(');
    for (const [label, code] of [
      ['the test file itself', ex.tests[0]!.source],
      ['the test file with every expect disarmed', always],
      ['a file declaring tests with the real names', `import { it } from 'vitest';\nexport const hpage_collapse_scan_pmd = () => 0;\nit('matches the patched kernel: x', () => {});`],
      ['a file re-exporting the solution module', `export * from './solution';`],
    ] as const) {
      const r = await gradeCode(ex, code, { perTestMs: 5000 });
      expect(r.passed, label).toBe(0);
      expect(r.loadError ?? r.compileError, label).toBeDefined();
    }
  });
});
