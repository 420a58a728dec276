/**
 * HOSTILE CATALOGUE — red-team round (Node `grade` CLI). Attacks written by someone who had not
 * read the grader, then kept as tests. Each is judged by its effect (the score a borrowing file
 * gets, the source text a file can print), and each probe searches generically — every export,
 * every object it is handed, every spelling of "give me the source" — so closing one route
 * (one export name, one property) is not enough to make these pass.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, ROOT, TOY, grade as gradeInProcess } from './helpers.ts';
import { lanes } from './lanes.ts';

// Every probe is graded on its own (its own sandboxed children); independent grades run side by
// side in two lanes (Vitest gives this file one worker: the second core would otherwise idle).
const lane = lanes();
const grade = (...a: Parameters<typeof gradeInProcess>) => lane(() => gradeInProcess(...a));

type Report = { passed: number; failed: number; total: number; loadError?: string; tests: { name: string; status: string; message: string; output?: string }[] };

function writeTemp(prefix: string, name: string, text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), prefix)), name);
  writeFileSync(file, text);
  return file;
}

async function gradeJson(id: string, file: string): Promise<{ code: number; report: Report; raw: string }> {
  const r = await grade([id, file, '--format', 'json'], { exercises: null });
  return { code: r.code, report: JSON.parse(r.stdout) as Report, raw: r.stdout + r.stderr };
}

/**
 * A graph walk over everything reachable from `roots` through own data properties (getters are
 * not called), bounded. Shared by the probes and the silencers (as source text they embed).
 */
const WALK = `
function walk(roots: unknown[], visit: (v: any) => void, limit = 50000): void {
  const seen = new Set<unknown>();
  const isRef = (v: unknown) => (typeof v === 'object' && v !== null) || typeof v === 'function';
  // Only objects and functions are queued (the rest is never visited), and the queue is read with
  // an index: queue.shift() moves a long array on every call (the walk was quadratic).
  const queue: unknown[] = roots.filter(isRef);
  let head = 0;
  while (head < queue.length && seen.size < limit) {
    const v = queue[head++];
    if (seen.has(v)) continue;
    seen.add(v);
    visit(v);
    let keys: (string | symbol)[] = [];
    try { keys = Reflect.ownKeys(v as object); } catch { continue; }
    for (const k of keys) {
      let d: PropertyDescriptor | undefined;
      try { d = Object.getOwnPropertyDescriptor(v, k); } catch { continue; }
      if (d && 'value' in d && isRef(d.value)) queue.push(d.value);
    }
    if (v instanceof Map) for (const [k, x] of v) { if (isRef(k)) queue.push(k); if (isRef(x)) queue.push(x); }
    if (v instanceof Set) for (const x of v) if (isRef(x)) queue.push(x);
    try { const p = Object.getPrototypeOf(v); if (isRef(p)) queue.push(p); } catch { /* proxy */ }
  }
}
`;

/**
 * A submission that writes nothing of the exercise: it looks for the engine's own implementation
 * of `fn` anywhere it can reach — the result of calling every engine export with a scenario-shaped
 * argument, and the objects the grader hands it at call time — and delegates to it. When it finds
 * nothing it throws, so it must score exactly 0 (what a file that only throws scores).
 */
function borrowingProbe(fn: string): string {
  return `import * as engine from 'collapse-lab/engine';
${WALK}
const WANT = ${JSON.stringify(fn)};
const found: Function[] = [];
function look(roots: unknown[]): void {
  walk(roots, (v) => {
    if (typeof v !== 'function' || v === self) return;
    const d = Object.getOwnPropertyDescriptor(v, 'name');
    const name = d && typeof d.value === 'string' ? d.value : '';
    // The reference kernels' names: <fn>_after, <fn>_before, <fn>_v3_as_posted, or <fn> itself.
    if (name === WANT || (name.startsWith(WANT + '_') && name !== WANT + '_before')) found.push(v);
  });
}
const ARGS: unknown[][] = [[{ layout: 'page*512' }], [{ layout: 'page*448,swap*64', kernel: 'after' }], [{ layout: 'page*512', kernel: 'after', madvise: true }], []];
const ns: any = engine;
for (const key of Object.keys(ns)) {
  const f = ns[key];
  if (typeof f !== 'function') continue;
  for (const args of ARGS) {
    try { look([f(...args)]); } catch { /* wrong arguments */ }
  }
}
look([ns]);
let calls = 0;
function self(...a: any[]): any {
  calls++;
  if (calls === 1) look(a); // the objects handed to it (the world and everything on it), once
  if (found.length === 0) throw new Error('PROBE: no engine implementation of ' + WANT + ' reachable');
  return found[0](...a);
}
export { self as ${fn} };
`;
}

describe.concurrent('hostile (red team): learner code cannot borrow the engine\'s own implementation through any object it can reach', { timeout: 180_000 }, () => {
  const cases: [string, string][] = [
    ['early-abort', 'hpage_collapse_scan_pmd'],
    ['softleaf', 'hpage_collapse_scan_pmd'],
    ['swapin-guard', '__collapse_huge_page_swapin'],
  ];
  for (const [id, fn] of cases) {
    it(`${id}: a file that searches every export's result and every argument for ${fn} and delegates scores 0`, async () => {
      const file = writeTemp('redteam-borrow-', `${id}.ts`, borrowingProbe(fn));
      const { code, report, raw } = await gradeJson(id, file);
      expect(code, raw.slice(0, 2000)).toBe(1);
      expect(report.total, raw.slice(0, 2000)).toBeGreaterThan(0);
      // The probe loaded and ran (not a load failure that would score 0 for another reason) …
      expect(report.loadError, raw.slice(0, 2000)).toBeUndefined();
      // … and found nothing to delegate to: every test failed with its own "nothing reachable".
      const passed = report.tests.filter((t) => t.status === 'passed').map((t) => t.name);
      expect(passed, `${id}: ${report.passed}/${report.total} passed by delegating`).toEqual([]);
      expect(report.tests.every((t) => t.message.includes('PROBE: no engine implementation')), raw.slice(0, 3000)).toBe(true);
    });
  }
});

/**
 * Every way a submission can turn a function into its source text, applied to every function it
 * can reach: the engine's exports, the objects handed to it (their prototypes included), and its
 * own. Each text is printed between markers so the test can read it back from the report.
 */
const SPELLINGS = [
  'String(f)',
  '`${f}`',
  "f + ''",
  'f.toString()',
  'Function.prototype.toString.call(f)',
  'Reflect.apply(Function.prototype.toString, f, [])',
  'Object.getPrototypeOf(f).toString.call(f)',
  '[f].join()',
  'JSON.stringify({ s: String(f) }).slice(6, -2)',
];

function sourceProbe(id: string, fn: string): string {
  const tries = SPELLINGS.map((s) => `(f: any) => ${s}`).join(',\n  ');
  return `import * as engine from 'collapse-lab/engine';
${WALK}
const SPELL: ((f: any) => string)[] = [
  ${tries}
];
const texts = new Set<string>();
function collect(roots: unknown[]): void {
  walk(roots, (v) => {
    if (typeof v !== 'function') return;
    for (const s of SPELL) { try { texts.add(String(s(v))); } catch { /* refused */ } }
  }, 4000);
}
let printed = false;
export function ${fn}(...a: any[]): any {
  if (!printed) {
    printed = true;
    collect([engine, a]);
    for (const t of texts) console.log('<<SRC' + JSON.stringify(t) + 'SRC>>');
  }
  throw new Error('${id}: source probe only');
}
`;
}

/** The texts a source probe printed, from every test's output in the report. */
function printedSources(report: Report): string[] {
  const out: string[] = [];
  for (const t of report.tests) {
    for (const m of (t.output ?? '').matchAll(/<<SRC(".*?")SRC>>/g)) out.push(JSON.parse(m[1]) as string);
  }
  return out;
}

/** A function's text that shows code: anything but the `function name() { [native code] }` form (or `[object Function]`, Object.prototype.toString's). */
const showsCode = (t: string) => t !== '[object Function]' && !/^(?:async\s+)?function\s*\*?\s*(?:[\w$]*|\[[\w$. ]+\])\s*\(\)\s*\{\s*\[native code\]\s*\}$/.test(t);

describe.concurrent('hostile (red team): function source text is never readable from learner code', { timeout: 180_000 }, () => {
  const cases: [string, string][] = [
    ['swapin-guard', '__collapse_huge_page_swapin'],
    ['early-abort', 'hpage_collapse_scan_pmd'],
  ];
  for (const [id, fn] of cases) {
    it(`${id}: ${SPELLINGS.length} spellings × every reachable function print only native-code stubs`, async () => {
      const file = writeTemp('redteam-src-', `${id}.ts`, sourceProbe(id, fn));
      const { report, raw } = await gradeJson(id, file);
      const texts = printedSources(report);
      // The probe ran and reached functions (engine exports, the reference kernels on the world).
      expect(texts.length, raw.slice(0, 2000)).toBeGreaterThan(10);
      const leaking = texts.filter(showsCode);
      expect(leaking.slice(0, 3), `${leaking.length} of ${texts.length} texts show code`).toEqual([]);
      // And no line of any exercise's reference solution appears anywhere in the report.
      for (const ex of ['early-abort', 'swapin-guard']) {
        const lines = readFileSync(join(ROOT, 'exercises', ex, 'solution.ts'), 'utf8')
          .split('\n')
          .map((l) => l.trim())
          .filter((l) => l.length > 40 && !l.startsWith('*') && !l.startsWith('//') && !l.startsWith('/*') && !l.startsWith('import'));
        for (const l of lines) expect(raw.includes(l), `${ex}/solution.ts line shows in the ${id} report: ${l}`).toBe(false);
      }
    });
  }
});

/**
 * Ways to silence the simulator's evidence (the lock/contract bug list, the trace) through the
 * objects the grader hands learner code: applied to EVERY array reachable from the arguments, so
 * the test does not depend on which property holds the evidence.
 */
const SILENCERS: Record<string, string> = {
  'own push/unshift/splice that drop everything on each reachable array': `
    for (const arr of arrays) for (const m of ['push', 'unshift', 'splice']) {
      try { Object.defineProperty(arr, m, { value: () => arr.length, configurable: true, writable: true }); } catch { /* frozen */ }
    }`,
  'own push that keeps only entries without a bug kind': `
    const realPush = Array.prototype.push;
    for (const arr of arrays) {
      try { Object.defineProperty(arr, 'push', { value(...xs: any[]) { return Reflect.apply(realPush, this, xs.filter((x) => !(x && typeof x === 'object' && ('kind' in x || x.name === 'bug')))); }, configurable: true }); } catch { /* frozen */ }
    }`,
  'detaching each reachable array property (a fresh array in its place)': `
    walk(a, (v) => {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return;
      for (const k of Object.keys(v)) {
        try { if (Array.isArray(v[k]) && v[k].length === 0) v[k] = []; } catch { /* read-only */ }
      }
    }, 20000);`,
};

function silencedWrongAnswer(wrongSource: string, fn: string, silencer: string): string {
  // Rename the wrong answer's export and wrap it: silence first, then run the wrong answer.
  const renamed = wrongSource.replace(new RegExp(`export function ${fn}\\b`), `function wrong_${fn}`);
  if (renamed === wrongSource) throw new Error(`the wrong answer does not declare export function ${fn}`);
  return `${renamed}
${WALK}
let reported = false;
export function ${fn}(...a: any[]): any {
  const arrays: any[] = [];
  walk(a, (v) => { if (Array.isArray(v)) arrays.push(v); }, 20000);
  // Once, so the test can tell that the walk reached arrays to silence (else it proves nothing).
  if (!reported) { reported = true; console.log('<<ARRAYS ' + arrays.length + '>>'); }
  ${silencer}
  return (wrong_${fn} as any)(...a);
}
`;
}

describe.concurrent('hostile (red team): silencing the simulator\'s evidence through the objects handed to learner code never raises a wrong answer\'s score', { timeout: 600_000 }, () => {
  const cases: [string, string, string][] = [
    ['swapin-guard', '__collapse_huge_page_swapin', 'forgot-mmap-unlock'],
    ['swapin-guard', '__collapse_huge_page_swapin', 'forgot-pte-unmap'],
    ['early-abort', 'hpage_collapse_scan_pmd', 'return-without-unlock'],
  ];
  for (const [id, fn, wrong] of cases) {
    it(`${id} wrong/${wrong}: ${Object.keys(SILENCERS).length} silencers score no more than the wrong answer itself`, async () => {
      const source = readFileSync(join(ROOT, 'exercises', id, 'wrong', `${wrong}.ts`), 'utf8');
      // The wrong answer alone and each silenced version are independent grades: run side by side.
      const [plainRun, ...silenced] = await Promise.all([
        gradeJson(id, writeTemp('redteam-silence-', `${id}.ts`, source)),
        ...Object.values(SILENCERS).map((silencer) => gradeJson(id, writeTemp('redteam-silence-', `${id}.ts`, silencedWrongAnswer(source, fn, silencer)))),
      ]);
      const plain = plainRun.report;
      expect(plain.total).toBeGreaterThan(0);
      expect(plain.passed, 'the wrong answer must fail some tests for this check to mean anything').toBeLessThan(plain.total);
      for (const [i, what] of Object.keys(SILENCERS).entries()) {
        const { report, raw } = silenced[i];
        expect(report.loadError, `${what}: ${raw.slice(0, 1500)}`).toBeUndefined();
        const reached = Number(/<<ARRAYS (\d+)>>/.exec(report.tests.map((t) => t.output ?? '').join('\n'))?.[1] ?? 0);
        expect(reached, `${what}: the walk found no array in what the grader hands learner code`).toBeGreaterThan(0);
        expect(report.passed, `${what}: ${report.passed}/${report.total} vs ${plain.passed} for the wrong answer alone`).toBeLessThanOrEqual(plain.passed);
      }
    });
  }
});

function runKit(root: string): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(join(ROOT, 'autograder/run_autograder'), [], { env: { ...process.env, NODE_BIN: process.execPath, COLLAPSE_LAB_EXERCISES_DIR: FIXTURES, AUTOGRADER_ROOT: root }, maxBuffer: 64 * 1024 * 1024 }, (err, _out, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stderr: String(stderr) }),
    );
  });
}

describe('hostile (red team): the Gradescope kit\'s report stays small whatever a submission holds', { timeout: 120_000 }, () => {
  it('thousands of stray files (long, control-character and bidi names, nested folders) do not bloat results.json; the real score stays', async () => {
    const root = mkdtempSync(join(tmpdir(), 'redteam-kit-'));
    const sub = join(root, 'submission');
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, 'toy-sum.ts'), readFileSync(`${TOY}solution.ts`, 'utf8'));
    const names = ['junk', 'n\u202etxt.ts', 'esc\u001b[2J', 'x'.repeat(200), 'note.json'];
    let nested = sub;
    for (let d = 0; d < 4; d++) {
      nested = join(nested, `dir${d}`);
      mkdirSync(nested);
      for (let i = 0; i < 500; i++) writeFileSync(join(nested, `${names[i % names.length]}-${i}.ts`), 'export {};');
    }
    const r = await runKit(root);
    expect(r.code, r.stderr).toBe(0);
    const text = readFileSync(join(root, 'results', 'results.json'), 'utf8');
    const res = JSON.parse(text) as { score: number; max_score: number; output: string };
    expect(res.score).toBe(res.max_score);
    expect(res.max_score).toBeGreaterThan(0);
    // 2 000 ignored files: a bounded list and a count, not 2 000 lines (a few hundred KB).
    expect(text.length, `results.json is ${text.length} bytes`).toBeLessThan(64 * 1024);
    expect(res.output).toMatch(/and \d+ more files/);
  });
});
