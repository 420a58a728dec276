/**
 * The worker side of a grading run, shared by the Node worker_threads entry and the browser's
 * classic Worker. Protocol (every message carries the run's nonce):
 *   worker → parent  {type:'ready'}                       once the runtime is initialised
 *   parent → worker  {type:'load', nonce, payload}         compile + evaluate learner module and tests
 *   worker → parent  {type:'evaluating', nonce}           compiled; learner code starts running now
 *   worker → parent  {type:'loaded', nonce, names, output} | {type:'load-failed', nonce, compileError?, loadError?, output}
 *   parent → worker  {type:'run', from}                    run the tests from index `from` on, one at a time
 *   parent → worker  {type:'prepare', tests}               optional, before 'load': compile + collect the tests now
 *   worker → parent  {type:'prepared', ok}                 (a spare runner is then fully warm)
 *   parent → worker  {type:'prime', code, exports, …}      optional, after 'prepare': warm the JIT (see PrimeMessage)
 *   worker → parent  {type:'primed', ran, total, ms, stopped}   priming ended (ran its tests, or stopped by a 'load'; ran 0 of 0 at once if it cannot prime)
 * The nonce travels parent → worker only in 'load', which is handled before any learner code runs,
 * so learner code listening for messages never sees it and cannot forge a result.
 *   worker → parent  {type:'result', nonce, index, result, late?}  after each test (the parent's watchdog restarts on each)
 *   worker → parent  {type:'diffs', nonce, diffs: [[index, text], …]}  once, after the last result, if any result was `late`
 * Late diffs (browser runs: 'load' with payload.lateDiffs): a test failing a deep comparison gets
 * its result with the assertion's message alone and `late: true`; the "- Expected / + Received"
 * diffs of those tests are formatted after the LAST result and posted together, as the text to
 * append to each message. The verdict never waits for them (they cost ~14 ms of a 130 ms run).
 * A worker serves one run; after a timeout the parent starts a fresh one and loads again.
 */
import * as chai from 'chai';
import { compileTs } from '../compile.ts';
import type { CompileError, ExportKind, RunPayload, TestResult, TestSource } from '../types.ts';
import { OUTPUT_CAP_BYTES } from '../types.ts';
import { createExpect } from './expect.ts';
import { builtinTargets, IntegrityGuard, WATCHED_GLOBALS } from './integrity.ts';
import { drawRun, scenarioOf, type DrawOutcome, type DrawScenario } from './draw.ts';
import { describeRejectedSource, hardenAssertionObject, hardenNamespace, makeCompartment, makeTimers, sealRealm } from './realm.ts';
import { describeSafely } from './errors.ts';
import { capMessage, createSuite, describeThrownForLoad, formatLateDiff, freshTask, runTest, type CollectedTest, type LateDiff } from './suite.ts';

/**
 * What 'load' carries: the RunPayload plus, optionally, `only` — the full names of the tests to run
 * ("Re-run failing only", issue 14). The session then collects every test but keeps only those
 * (in their file order) and answers 'loaded' with that subset's names; unknown names are ignored.
 * An `only` that matches no test is a load error (nothing would run). Absent: every test.
 */
export type LoadPayload = RunPayload & {
  only?: readonly string[];
  /** Late diffs (see the protocol above): results first, the failures' diffs after the last one. */
  lateDiffs?: boolean;
};

export type ParentMessage =
  | { type: 'load'; nonce: string; payload: LoadPayload }
  /** `oneByOne`: post each result on its own (a batching runner, after a timeout: orchestrate.ts). */
  | { type: 'run'; from: number; oneByOne?: boolean };

/**
 * Optional, before 'load' (sent by the runner's owner, not by orchestrate): compile and collect
 * these test files now, so a spare runner is fully warm before the learner clicks.
 */
export type PrepareMessage = {
  type: 'prepare';
  tests: TestSource[];
  /**
   * Reference-kernel reports another runner computed while priming ('primed' `references`): a
   * runner that cannot prime before its click (back-to-back runs) then skips those simulations.
   */
  references?: ReferenceEntry[];
};

/** One shared reference run: `referenceKey(options)` and its report (plain data). */
export type ReferenceEntry = [key: string, report: unknown];

/**
 * Optional, after 'prepare' (sent by the runner's owner, never with learner code): warm the
 * runner's JIT by running the prepared tests once against the exercise's STARTER (trusted, public
 * code) in a throw-away session — its own compartments, collected tests, `solution`, expect and
 * output — whose results are discarded. A fresh worker runs everything cold (the engine, chai, the
 * runtime): the same suite's first run costs 2-3× a later one. Priming runs one test per task, so
 * a 'load' (or 'draw') that arrives meanwhile is handled at the next test boundary and stops it.
 */
export type PrimeMessage = { type: 'prime'; code: string; exports: string[]; exportKinds?: Record<string, ExportKind> };

/** "Draw my run" (instead of 'load'; one per worker): run the learner's exports on one scenario. */
export type DrawMessage = { type: 'draw'; nonce: string; code: string; scenario: DrawScenario };

export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'evaluating'; nonce: string }
  | { type: 'loaded'; nonce: string; names: string[]; output: string }
  | { type: 'load-failed'; nonce: string; compileError?: CompileError; loadError?: string; output: string }
  /** `late`: the result's message lacks its diff, which comes in the run's 'diffs' message. */
  | { type: 'result'; nonce: string; index: number; result: TestResult; late?: boolean }
  /** Once, after the last result of a run with late results: [index, text to append to that result's message]. */
  | { type: 'diffs'; nonce: string; diffs: [number, string][] }
  /** Answer to 'prepare' (ok: false means 'load' will report the problem). */
  | { type: 'prepared'; ok: boolean }
  /**
   * Answer to 'prime', always sent once (the browser pool waits for it before it primes or starts
   * another spare; benches read it). `stopped`: a 'load' or 'draw' ended it early. `longestStepMs`: the longest stretch without a task boundary (the most a click
   * arriving during priming waits).
   */
  | { type: 'primed'; ran: number; total: number; ms: number; stopped: boolean; longestStepMs?: number; references?: ReferenceEntry[] }
  /** Answer to 'draw'. */
  | { type: 'drawn'; nonce: string; outcome: DrawOutcome; output: string };

type ModuleFn = (exports: Record<string, unknown>, require: (id: string) => unknown, module: { exports: Record<string, unknown> }) => void;

/** The learner's file name as it appears in stack traces and messages. */
export const LEARNER_FILE = 'your-code.ts';

/** "a function", "an array", … */
function withArticle(kind: string): string {
  return `${/^[aeiou]/.test(kind) ? 'an' : 'a'} ${kind}`;
}

/** Does `value` have `kind`? `isArray` is captured before learner code runs. */
function hasKind(value: unknown, kind: ExportKind, isArray: (v: unknown) => boolean): boolean {
  if (kind === 'array') return isArray(value);
  if (kind === 'object') return typeof value === 'object' && value !== null && !isArray(value);
  return typeof value === kind;
}

/** What the learner exported, for the wrong-kind message: "a number (42)", "an array (3 items)", "null". */
function describeExport(value: unknown, isArray: (v: unknown) => boolean, inspect: (v: unknown) => string): string {
  if (value === null) return 'null';
  if (isArray(value)) {
    const n = (value as unknown[]).length;
    return `an array (${n} item${n === 1 ? '' : 's'})`;
  }
  const t = typeof value;
  if (t === 'function') return 'a function';
  if (t === 'object') return 'an object';
  let shown: string;
  try {
    shown = t === 'symbol' ? String(value) : inspect(value);
  } catch {
    shown = '?';
  }
  if (shown.length > 40) shown = `${shown.slice(0, 37)}…`;
  return `${withArticle(t)} (${shown})`;
}

const SOLUTION_IDS = new Set(['./solution', './solution.ts', './solution.js', '../solution', './starter', './starter.ts']);
const ENGINE_IDS = new Set(['collapse-lab/engine', 'engine']);

/** Output buffer with a hard cap, so 1 MB of console.log cannot blow up memory or the channel. */
class OutputBuffer {
  private parts: string[] = [];
  private size = 0;
  private dropped = 0;
  private readonly cap: number;
  constructor(cap: number) {
    this.cap = cap;
  }
  write(s: string): void {
    if (this.size >= this.cap) {
      this.dropped += s.length;
      return;
    }
    const room = this.cap - this.size;
    if (s.length > room) {
      this.parts.push(s.slice(0, room));
      this.dropped += s.length - room;
      this.size = this.cap;
    } else {
      this.parts.push(s);
      this.size += s.length;
    }
  }
  take(): string {
    let out = this.parts.join('');
    if (this.dropped > 0) out += `\n… [output capped at ${Math.round(this.cap / 1024)} KB: ${this.dropped.toLocaleString('en-US')} more characters not shown]\n`;
    this.parts = [];
    this.size = 0;
    this.dropped = 0;
    return out;
  }
}

export interface SessionOptions {
  engine: Record<string, unknown> | null;
  post: (msg: WorkerMessage) => void;
  /** Why the engine is missing, shown if a module imports it. */
  engineMissingReason?: string;
  /**
   * Internal (the priming session, see PrimeMessage): compiled test files shared with the session
   * that primes; don't register this session's expect as the realm's global expect; skip the
   * small start-up priming; stop running tests once `stopped()` says so.
   */
  primer?: { compiled: Map<string, ReturnType<typeof compileTs>>; stopped: () => boolean; references: Map<string, unknown> };
}

export interface Session {
  /** Handle a message from the parent. */
  handle: (msg: ParentMessage | PrepareMessage | PrimeMessage | DrawMessage) => void;
  /** Report an error that escaped a test (uncaught in a timer, unhandled rejection). */
  stray: (e: unknown) => void;
}

export function createSession(opts: SessionOptions): Session {
  // The realm is sealed before anything else (idempotent: the entries call it first already).
  sealRealm();
  // Everything the runtime needs is created and captured here, BEFORE any learner code runs.
  const post = opts.post;
  const engine = opts.engine ? hardenNamespace(opts.engine) : null;
  const inspect = (v: unknown): string => (chai.util as any).inspect(v, false, 3);
  // A priming session leaves the realm's global expect (read by asymmetric matchers) to the real one.
  const expect = hardenAssertionObject(createExpect(!opts.primer));
  // Test files compiled once per worker (trusted sources; the priming session reuses them).
  const compiledTests = opts.primer?.compiled ?? new Map<string, ReturnType<typeof compileTs>>();
  // The reference runs the priming session made (`simulate` with plain options: no learner code,
  // deterministic), hardened, keyed by their options: the learner's run reads them instead of
  // simulating the patched kernel again. Only the priming session writes here, before any learner
  // code is loaded in this worker; a miss simulates as usual.
  const references = opts.primer?.references ?? new Map<string, unknown>();
  const compileTest = (source: string, file: string) => {
    const key = `${file}\0${source}`;
    let c = compiledTests.get(key);
    if (!c) compiledTests.set(key, (c = compileTs(source, file)));
    return c;
  };
  const output = new OutputBuffer(OUTPUT_CAP_BYTES);
  const fmt = (args: unknown[]): string => args.map((a) => (typeof a === 'string' ? a : inspect(a))).join(' ');
  const capture = (prefix: string) => (...args: unknown[]) => output.write(`${prefix}${fmt(args)}\n`);
  const learnerConsole = harden({
    log: capture(''), info: capture(''), debug: capture(''), trace: capture(''),
    warn: capture('warn: '), error: capture('error: '), dir: capture(''), table: capture(''),
    group: capture(''), groupEnd: () => {}, time: () => {}, timeEnd: () => {}, assert: (c: unknown, ...a: unknown[]) => { if (!c) output.write(`assertion failed: ${fmt(a)}\n`); },
    count: capture('count: '),
  });
  const isArray = Array.isArray;
  const now = () => Date.now();
  const realSetTimeout = setTimeout;
  // Learner code and the test files each get a Compartment (runtime/realm.ts): frozen intrinsics
  // plus the console capture and timers; modules only through the require maps below.
  const timers = makeTimers((e) => stray(e));
  const learnerCompartment = makeCompartment('learner', learnerConsole, timers);
  const testCompartment = makeCompartment('tests', learnerConsole, timers);

  function evaluate(code: string, file: string, where: Compartment): ModuleFn {
    return where.evaluate(`(function (exports, require, module) {${code}\n})\n//# sourceURL=${file}`) as ModuleFn;
  }

  // Line offset of evaluated bodies in this engine's stack traces (0 in V8: the wrapper adds no line).
  const lineOffset = (() => {
    try {
      evaluate(`throw new Error('probe')`, '__probe__.js', learnerCompartment)({}, () => null, { exports: {} });
    } catch (e) {
      const m = /__probe__\.js:(\d+)/.exec(String((e as Error).stack));
      if (m) return Number(m[1]) - 1;
    }
    return 0;
  })();

  /** "line 12 of your code" from an error's stack, when the error came from the learner's file. */
  function locate(e: unknown): string | null {
    const stack = (e as Error)?.stack;
    if (typeof stack !== 'string') return null;
    const m = new RegExp(`${LEARNER_FILE.replace('.', '\\.')}:(\\d+)(?::(\\d+))?`).exec(stack);
    if (!m) return null;
    const line = Number(m[1]) - lineOffset;
    return line > 0 ? `at line ${line} of your code` : null;
  }

  const engineOrThrow = () => {
    if (engine) return engine;
    throw new Error(`the engine (collapse-lab/engine) is not available${opts.engineMissingReason ? `: ${opts.engineMissingReason}` : ''}`);
  };

  // "Draw this case" (issue 14): the test files get the engine with makeWorld/runCollapse wrapped,
  // so the runtime learns the last scenario each test ran the LEARNER's code on (a world whose
  // `ops` hold one of the learner's exports) and attaches it to a result that did not pass
  // (TestResult.scenario). Recording only: both wrappers call the engine's own functions unchanged.
  let recordedScenario: DrawScenario | null = null;
  const learnerWorlds = new WeakMap<object, unknown>();
  let testEngineView: Record<string, unknown> | null = null;
  const testEngine = (): Record<string, unknown> => {
    if (testEngineView) return testEngineView;
    const full = engineOrThrow();
    const makeWorld = full.makeWorld as ((o: unknown) => object) | undefined;
    const runCollapse = full.runCollapse as ((w: object, o?: { madvise?: boolean }) => unknown) | undefined;
    if (typeof makeWorld !== 'function' || typeof runCollapse !== 'function') return (testEngineView = full);
    const usesLearnerCode = (o: unknown): boolean => {
      const ops = o && typeof o === 'object' ? (o as { ops?: unknown }).ops : undefined;
      if (!ops || typeof ops !== 'object') return false;
      const mine = new Set(Object.values(solution).filter((v) => typeof v === 'function'));
      return Object.values(ops).some((f) => mine.has(f));
    };
    const view: Record<string, unknown> = { ...full };
    view.makeWorld = function makeWorldRecorded(o: unknown): object {
      const world = makeWorld(o);
      try {
        if (usesLearnerCode(o)) learnerWorlds.set(world, o);
      } catch {
        /* recording is best effort */
      }
      return world;
    };
    view.runCollapse = function runCollapseRecorded(world: object, o?: { madvise?: boolean }): unknown {
      try {
        const opts = learnerWorlds.get(world);
        if (opts !== undefined) recordedScenario = scenarioOf(opts, !!o?.madvise) ?? recordedScenario;
      } catch {
        /* recording is best effort */
      }
      return runCollapse(world, o);
    };
    const simulate = full.simulate as ((o: unknown) => { world: object; report: object }) | undefined;
    if (typeof simulate === 'function') {
      view.simulate = function simulateShared(o: unknown): unknown {
        const key = referenceKey(o);
        if (key === null) return simulate(o);
        const known = references.get(key);
        if (known !== undefined) {
          // Same plain options, same report (the engine is deterministic); the world, if a test
          // asks for it, is simulated afresh.
          return { report: known, get world() { return simulate(o).world; } };
        }
        const fresh = simulate(o);
        if (opts.primer && !opts.primer.stopped()) references.set(key, harden(fresh.report));
        return fresh;
      };
    }
    return (testEngineView = harden(view));
  };

  // Learner code gets the engine WITHOUT its reference kernels: otherwise a file could re-export
  // `hpage_collapse_scan_pmd_after` (or take it from KERNELS, or from a world built by makeWorld)
  // and pass every test without writing the patch. Test files still get the whole engine.
  let learnerEngineView: Record<string, unknown> | null = null;
  const learnerEngine = (): Record<string, unknown> => {
    if (learnerEngineView) return learnerEngineView;
    const full = engineOrThrow() as Record<string, unknown>;
    // `__esModule`: sucrase's interop then hands learner code this (frozen) object itself, not a mutable copy.
    const view: Record<string, unknown> = Object.defineProperty({}, '__esModule', { value: true });
    for (const key of Object.keys(full)) {
      if (isReferenceKernelExport(key)) continue;
      view[key] = full[key];
    }
    learnerEngineView = harden(view);
    return learnerEngineView;
  };
  /** The only `require` learner code gets (a run's load and "Draw my run" alike): the engine view. */
  const learnerRequire = harden((id: string): unknown => {
    if (ENGINE_IDS.has(id)) return learnerEngine();
    throw new Error(`your code imports '${id}', but exercises can only import from 'collapse-lab/engine'`);
  });

  // Second line of defence behind lockdown: record the built-ins, chai's matchers, `expect` and the
  // engine, and compare after loading and after every test (all frozen, so it should never fire).
  const guard = new IntegrityGuard();
  for (const [label, t] of builtinTargets(globalThis)) {
    guard.watch(label, t, label === 'Object.prototype' || label === 'Function.prototype' ? undefined : Reflect.ownKeys(t as object));
  }
  guard.watch('globalThis', globalThis, WATCHED_GLOBALS.filter((k) => k in globalThis));
  guard.watch('chai.Assertion.prototype', chai.Assertion.prototype, Reflect.ownKeys(chai.Assertion.prototype));
  guard.watch('expect', expect, Reflect.ownKeys(expect));
  if (engine) {
    for (const [name, value] of Object.entries(engine)) {
      if (typeof value === 'function') {
        const proto = (value as { prototype?: unknown }).prototype;
        if (proto && typeof proto === 'object' && Object.getOwnPropertyNames(proto).length > 1) guard.watch(`engine.${name}.prototype`, proto);
      } else if (value && typeof value === 'object') {
        guard.watch(`engine.${name}`, value);
      }
    }
  }

  // Prime the JIT (a fresh worker runs everything cold): a small compile, a few assertions and a
  // test collection, so the learner's first run does not pay for it. Errors here are ignored.
  if (!opts.primer) try {
    compileTs("import { a } from 'collapse-lab/engine';\ninterface P { x: number }\nexport function f(p: P, q?: string): number { const r = a(p) as number; return r ?? q?.length ?? 0; }\n");
    const prime = createSuite(inspect);
    prime.api.describe('prime', () => prime.api.it('prime', () => {}));
    expect(1).toBe(1);
    expect({ a: [1n, 'x'] }).toEqual({ a: [1n, 'x'] });
    expect([1, 2]).toContain(2);
    try {
      expect(1, 'prime').toBe(2);
    } catch {
      /* expected */
    }
  } catch {
    /* priming is best effort */
  }
  output.take();

  let nonce: string | null = null;
  let tests: CollectedTest[] = [];
  let perTestMs = 2000;
  let running = false;
  /** Late diffs asked for by 'load'; the failures waiting for theirs, by test index. */
  let lateDiffs = false;
  const lateWaiting = new Map<number, LateDiff>();

  function tamperMessage(changed: string[]): string {
    const shown = changed.slice(0, 5).map((c) => `\`${c}\``).join(', ');
    return `your code changed ${shown}${changed.length > 5 ? ` and ${changed.length - 5} more` : ''} — built-ins and the engine must not be modified; the originals were put back, but this test cannot be trusted`;
  }

  // What the tests import as './solution': filled with the learner's exports once their module has
  // loaded. `__esModule` makes sucrase's interop helpers use it as is (live), not copy it while empty.
  const solution: Record<string, unknown> = Object.defineProperty({}, '__esModule', { value: true });

  /** Test files compiled and collected ahead of the learner's code (by 'prepare' or 'load'). */
  let prepared: { key: string; tests: CollectedTest[] } | { key: string; error: WorkerMessage; stage: 'compile' | 'collect' } | null = null;
  const keyOf = (files: TestSource[]) => JSON.stringify(files.map((f) => [f.file, f.source, !!f.prefixNames]));

  /**
   * Compile the test files and collect their tests in the test compartment. The tests import
   * './solution' as `solution`, still empty: collection only declares tests, it does not call the
   * learner's code (a file that does is collected again after loading, see `load`).
   */
  function prepareTests(files: TestSource[], n: string): typeof prepared {
    const key = keyOf(files);
    if (prepared && prepared.key === key) return prepared;
    const suite = createSuite(inspect);
    const vitestApi = harden({ ...suite.api, expect, vi: undefined });
    for (const file of files) {
      const t = typeof file.compiled === 'string' ? { ok: true as const, code: file.compiled } : compileTest(file.source, file.file);
      if (!t.ok) {
        return (prepared = { key, stage: 'compile', error: { type: 'load-failed', nonce: n, loadError: `test file ${file.file} does not compile: line ${t.error.line}:${t.error.column}: ${t.error.message}`, output: output.take() } });
      }
      const testRequire = harden((id: string): unknown => {
        if (id === 'vitest') return vitestApi;
        if (SOLUTION_IDS.has(id)) return solution;
        if (ENGINE_IDS.has(id)) return testEngine();
        throw new Error(`test file ${file.file} imports '${id}', which the grader does not provide (only 'vitest', './solution', 'collapse-lab/engine')`);
      });
      const mod = { exports: {} as Record<string, unknown> };
      suite.setFilePrefix(file.prefixNames ? file.file : null);
      let moduleFn: ModuleFn;
      try {
        moduleFn = evaluate(t.code, file.file, testCompartment);
      } catch (e) {
        const rejected = describeRejectedSource(e, `test file ${file.file}`) ?? `test file ${file.file} cannot be evaluated: ${describeThrownForLoad(e, locate)}`;
        return (prepared = { key, stage: 'compile', error: { type: 'load-failed', nonce: n, loadError: rejected, output: output.take() } });
      }
      try {
        moduleFn(mod.exports, testRequire, mod);
      } catch (e) {
        return (prepared = { key, stage: 'collect', error: { type: 'load-failed', nonce: n, loadError: `test file ${file.file} failed while collecting tests: ${describeThrownForLoad(e, locate)}`, output: output.take() } });
      }
    }
    const collected = suite.tests.some((t) => t.only) ? suite.tests.filter((t) => t.only) : suite.tests;
    if (collected.length === 0) return (prepared = { key, stage: 'collect', error: { type: 'load-failed', nonce: n, loadError: 'the test files declare no tests', output: output.take() } });
    return (prepared = { key, tests: collected });
  }

  function load(payload: LoadPayload): WorkerMessage {
    const n = nonce as string;
    perTestMs = payload.perTestMs;
    lateDiffs = payload.lateDiffs === true;
    const compiled = compileTs(payload.code, LEARNER_FILE);
    if (!compiled.ok) return { type: 'load-failed', nonce: n, compileError: compiled.error, output: '' };
    // Tests first (usually already done by 'prepare'): they are the runner's, not the learner's, time.
    let ready = prepareTests(payload.tests, n);
    // A test file that does not compile is reported now; one whose collection failed is collected
    // again once the learner's exports exist (it may call them while declaring its tests).
    if (ready && 'error' in ready && ready.stage === 'compile') return { ...ready.error, nonce: n } as WorkerMessage;
    // From here on learner code runs and the parent's watchdog counts.
    post({ type: 'evaluating', nonce: n });

    const learnerModule = { exports: {} as Record<string, unknown> };
    let moduleFn: ModuleFn;
    try {
      moduleFn = evaluate(compiled.code, LEARNER_FILE, learnerCompartment);
    } catch (e) {
      // Refused before any of it ran (ses: an import expression, an HTML comment, a direct eval).
      return { type: 'load-failed', nonce: n, loadError: describeRejectedSource(e, 'your code') ?? `your code cannot be evaluated: ${describeThrownForLoad(e, locate)}`, output: output.take() };
    }
    try {
      moduleFn(learnerModule.exports, learnerRequire, learnerModule);
    } catch (e) {
      return { type: 'load-failed', nonce: n, loadError: `your code threw while loading: ${describeThrownForLoad(e, locate)}`, output: output.take() };
    }
    const exportsObj = learnerModule.exports;
    const found = Object.keys(exportsObj).filter((k) => k !== '__esModule' && k !== 'default');
    const missing = payload.exports.filter((name) => !(name in exportsObj) || exportsObj[name] === undefined);
    if (missing.length > 0) {
      const near = missing
        .map((m) => found.find((f) => f.toLowerCase().replace(/_/g, '') === m.toLowerCase().replace(/_/g, '')))
        .filter(Boolean);
      const list = missing.map((m) => `\`${m}\``).join(', ');
      const foundText = found.length ? `found: ${found.join(', ')}` : 'found: no exports — did you forget `export`?';
      return {
        type: 'load-failed',
        nonce: n,
        loadError: `your file does not export ${list} (${foundText})${near.length ? `; did you mean to name \`${near[0]}\` \`${missing[0]}\`?` : ''}`,
        output: output.take(),
      };
    }
    const tampered = guard.checkAndRestore();
    if (tampered.length) return { type: 'load-failed', nonce: n, loadError: tamperMessage(tampered), output: output.take() };
    // Each export must be of the kind the exercise expects (exercise.json "exportKinds"), so
    // `export const f = 42` says so once instead of "o is not a function" in every test.
    const wrongKind = payload.exports.flatMap((name) => {
      const kind = payload.exportKinds?.[name];
      if (!kind) return [];
      const value = exportsObj[name];
      return hasKind(value, kind, isArray) ? [] : [`\`${name}\` should be ${withArticle(kind)}, but your file exports ${describeExport(value, isArray, inspect)}`];
    });
    if (wrongKind.length > 0) return { type: 'load-failed', nonce: n, loadError: wrongKind.join('; '), output: output.take() };

    // The learner's exports become what the tests see as './solution' (descriptors, so a
    // re-exported getter stays a getter, as it was when tests read the module object itself).
    for (const key of Reflect.ownKeys(exportsObj)) {
      if (key === '__esModule') continue;
      const d = Object.getOwnPropertyDescriptor(exportsObj, key);
      if (d) Object.defineProperty(solution, key, { ...d, configurable: false });
    }
    if (!ready || 'error' in ready) {
      prepared = null;
      ready = prepareTests(payload.tests, n);
      if (!ready || 'error' in ready) return { ...(ready as { error: WorkerMessage }).error, nonce: n } as WorkerMessage;
    }
    tests = ready.tests;
    if (payload.only) {
      const wanted = new Set(payload.only);
      tests = tests.filter((t) => wanted.has(t.name));
      if (tests.length === 0) return { type: 'load-failed', nonce: n, loadError: 'none of the tests asked for exists any more — run all the tests', output: output.take() };
    }
    return { type: 'loaded', nonce: n, names: tests.map((t) => t.name), output: output.take() };
  }

  let current: number | null = null;
  let strayMessage: string | null = null;

  function stray(e: unknown): void {
    // While priming, what escapes comes from the priming session's (trusted) tests: charge it there.
    if (priming) return priming.stray(e);
    const text = `an error escaped the test (thrown from a timer or a promise nobody awaited): ${describeSafely(e, (v) => describeThrownForLoad(v, locate))}`;
    if (current !== null) strayMessage ??= text;
    else output.write(`${text}\n`);
  }

  async function run(index: number): Promise<TestResult> {
    const t = tests[index];
    if (!t) return { name: `#${index}`, status: 'error', message: `no test number ${index}` };
    expect.setState({ assertionCalls: 0, currentTestName: t.name });
    const started = now();
    current = index;
    strayMessage = null;
    recordedScenario = null;
    timers.setOwner(index);
    const { lateDiff, ...r } = await runTest(t, perTestMs, locate, lateDiffs);
    timers.setOwner(null);
    // Let errors from this test's own 0 ms timers surface before judging it (only if it started any).
    if (timers.pendingFor(index) > 0) await new Promise<void>((resolve) => realSetTimeout(resolve, 0));
    // An unhandled rejection is reported in a task the browser queues when this task's microtasks
    // are done; a message posted now would be queued BEFORE it, so hop twice: the second message
    // is posted from a later task, after that report (measured in Chromium: one hop was not enough).
    await freshTask();
    await freshTask();
    current = null;
    const tampered = guard.checkAndRestore();
    const result: TestResult = { ...r, durationMs: now() - started };
    if (strayMessage !== null && result.status === 'passed') {
      result.status = 'error';
      result.message = capMessage(strayMessage);
    }
    if (tampered.length) {
      result.status = 'error';
      result.message = capMessage(tamperMessage(tampered));
    }
    const out = output.take();
    if (out) result.output = out;
    if (result.status !== 'passed' && recordedScenario) result.scenario = recordedScenario;
    // Still the assertion's failure (not overruled by a stray error or tampering): its diff comes later.
    if (lateDiff && result.status === 'failed' && result.message === lateDiff.message) lateWaiting.set(index, lateDiff);
    return result;
  }

  /**
   * The diffs of the late results, formatted now that the verdict is out: [index, text to append].
   * Walking the learner's values runs their getters: one that throws loses its diff; one that
   * loops never returns, and the parent's bounded wait ends this worker.
   */
  function formatLate(): [number, string][] {
    const out: [number, string][] = [];
    for (const [index, d] of lateWaiting) {
      const text = formatLateDiff(d);
      if (text) out.push([index, text]);
    }
    lateWaiting.clear();
    return out;
  }

  /** Evaluate the learner's code for a drawing (no tests); an error text or its exports. */
  function loadForDraw(code: string): { exports: Record<string, unknown> } | { error: string } {
    const compiled = compileTs(code, LEARNER_FILE);
    if (!compiled.ok) return { error: `line ${compiled.error.line}:${compiled.error.column}: ${compiled.error.message}` };
    const mod = { exports: {} as Record<string, unknown> };
    let moduleFn: ModuleFn;
    try {
      moduleFn = evaluate(compiled.code, LEARNER_FILE, learnerCompartment);
    } catch (e) {
      return { error: describeRejectedSource(e, 'your code') ?? `your code cannot be evaluated: ${describeThrownForLoad(e, locate)}` };
    }
    try {
      moduleFn(mod.exports, learnerRequire, mod);
    } catch (e) {
      return { error: `your code threw while loading: ${describeThrownForLoad(e, locate)}` };
    }
    return { exports: mod.exports };
  }

  /**
   * Reports of reference runs from the runner's owner (another runner's priming pass), kept like
   * this runner's own (hardened). Plain data only; anything else is ignored. Only before a run.
   */
  function takeReferences(given: unknown): void {
    if (!Array.isArray(given) || nonce !== null) return;
    for (const entry of given.slice(0, MAX_SHARED_REFERENCES)) {
      if (!Array.isArray(entry) || typeof entry[0] !== 'string' || !entry[1] || typeof entry[1] !== 'object') continue;
      if (!references.has(entry[0])) references.set(entry[0], harden(entry[1]));
    }
  }

  /** The priming pass in progress (see PrimeMessage), or null. */
  let priming: { stop: () => void; stray: (e: unknown) => void } | null = null;
  let primeAsked = false;
  let preparedFiles: TestSource[] | null = null;

  async function prime(msg: PrimeMessage, files: TestSource[]): Promise<void> {
    const started = now();
    let stopped = false;
    let done = false;
    let ran = 0;
    let total = 0;
    let primer: Session | null = null;
    let longest = 0;
    let lastResultAt = 0;
    const finish = () => {
      if (done) return;
      done = true;
      if (priming === ctl) priming = null;
      // A whole priming pass ran only trusted code (tests + starter) in this runner: its reference
      // reports can serve other runners of the same tests ('prepare' `references`).
      const complete = !stopped && total > 0 && ran >= total;
      post({ type: 'primed', ran, total, ms: now() - started, stopped, longestStepMs: Math.round(longest), ...(complete && references.size ? { references: [...references] } : {}) });
    };
    const ctl = {
      stop: () => {
        stopped = true;
        finish();
      },
      stray: (e: unknown) => primer?.stray(e),
    };
    priming = ctl;
    // One step per task, so a click's 'load' never waits for more than one step.
    const step = async (f: () => void): Promise<boolean> => {
      await freshTask();
      if (stopped) return false;
      const t0 = performance.now();
      try {
        f();
        return true;
      } catch {
        finish();
        return false;
      } finally {
        longest = Math.max(longest, performance.now() - t0);
      }
    };
    const ok =
      (await step(() => {
        primer = createSession({
          engine: opts.engine,
          engineMissingReason: opts.engineMissingReason,
          post: (m) => {
            if (stopped || done) return;
            if (m.type === 'loaded') {
              total = m.names.length;
              lastResultAt = performance.now();
              primer?.handle({ type: 'run', from: 0 });
            } else if (m.type === 'load-failed') finish();
            else if (m.type === 'result') {
              const t = performance.now();
              longest = Math.max(longest, t - lastResultAt); // one test (and its two hops)
              lastResultAt = t;
              if (++ran >= total) finish();
            }
          },
          primer: { compiled: compiledTests, stopped: () => stopped || done, references },
        });
      })) &&
      (await step(() => primer?.handle({ type: 'prepare', tests: files })));
    if (!ok) return;
    await step(() => primer?.handle({ type: 'load', nonce: 'prime', payload: { exercise: 'prime', exports: msg.exports, exportKinds: msg.exportKinds, code: msg.code, tests: files, perTestMs } }));
  }

  const handle = (msg: ParentMessage | PrepareMessage | PrimeMessage | DrawMessage) => {
    // A real request ends priming (at a test boundary: this handler runs between tasks).
    if (msg.type === 'load' || msg.type === 'draw') priming?.stop();
    if (msg.type === 'prime') {
      if (opts.primer) return;
      // Nothing to prime with (no prepared tests, they failed to collect, or a run came first): say
      // so at once, or the owner would wait for this runner's priming for ever.
      if (nonce !== null || primeAsked || !preparedFiles || !prepared || 'error' in prepared) {
        post({ type: 'primed', ran: 0, total: 0, ms: 0, stopped: false });
        return;
      }
      primeAsked = true;
      void prime(msg, preparedFiles);
    } else if (msg.type === 'draw') {
      if (nonce !== null) return; // one use per worker
      nonce = msg.nonce;
      let outcome: DrawOutcome;
      try {
        const loaded = loadForDraw(msg.code);
        if ('error' in loaded) outcome = { ok: false, error: loaded.error };
        else {
          const ops = Object.keys(((engineOrThrow().KERNELS as Record<string, object> | undefined)?.after ?? {}) as object);
          outcome = drawRun(engineOrThrow(), loaded.exports, msg.scenario, ops);
        }
      } catch (e) {
        outcome = { ok: false, error: `the runner failed to draw: ${describeSafely(e, (v) => String((v as Error)?.message ?? v))}` };
      }
      post({ type: 'drawn', nonce: msg.nonce, outcome, output: output.take() });
    } else if (msg.type === 'prepare') {
      // Compile and collect the exercise's tests while the runner waits for a click.
      if (nonce !== null) return;
      try {
        const p = prepareTests(msg.tests, '');
        preparedFiles = msg.tests;
        takeReferences(msg.references);
        post({ type: 'prepared', ok: !!p && !('error' in p) });
        // Tests compiled at build time leave the compiler cold, and the learner's file is then
        // its first job, on the click. Warm it now on a test file's source (result unused).
        const sample = msg.tests.every((t) => typeof t.compiled === 'string') ? msg.tests[0] : undefined;
        if (sample) compileTs(sample.source, sample.file);
      } catch {
        prepared = null;
        post({ type: 'prepared', ok: false });
      }
      output.take();
    } else if (msg.type === 'load') {
      if (nonce !== null) return; // one run per worker
      nonce = msg.nonce;
      let reply: WorkerMessage;
      try {
        reply = load(msg.payload);
      } catch (e) {
        reply = { type: 'load-failed', nonce: msg.nonce, loadError: `the grader failed to load the exercise: ${describeSafely(e, (v) => String((v as Error)?.message ?? v))}`, output: output.take() };
      }
      post(reply);
    } else if (msg.type === 'run') {
      const n = nonce;
      if (n === null || running) return;
      running = true;
      void (async () => {
        for (let i = msg.from; i < tests.length; i++) {
          if (opts.primer?.stopped()) return;
          let result: TestResult;
          try {
            result = await run(i);
          } catch (e) {
            lateWaiting.delete(i);
            result = { name: tests[i].name, status: 'error', message: capMessage(describeSafely(e, String)) };
          }
          post(lateWaiting.has(i) ? { type: 'result', nonce: n, index: i, result, late: true } : { type: 'result', nonce: n, index: i, result });
        }
        // Every result is posted (the last one first, in the port's order): now the diffs.
        if (lateWaiting.size > 0) post({ type: 'diffs', nonce: n, diffs: formatLate() });
      })();
    }
  };
  return { handle, stray };
}

/** At most this many shared reference reports are taken from 'prepare'. */
const MAX_SHARED_REFERENCES = 1000;

/** Options of `simulate` that can key a shared reference run. */
const REFERENCE_OPTION_KEYS = new Set(['layout', 'layouts', 'kernel', 'knobs', 'uffd', 'madvise']);

/**
 * A key for `simulate(o)` when `o` is plain data that fixes the run (a layout or layouts of text,
 * the kernel's name, numeric knobs, uffd, madvise): then the run involves no learner code and its
 * report depends on nothing else. Anything else (ops, a schedule, getters, other keys) → null.
 */
export function referenceKey(o: unknown): string | null {
  if (!o || typeof o !== 'object' || Object.getPrototypeOf(o) !== Object.prototype) return null;
  const rec = o as Record<string, unknown>;
  for (const k of Reflect.ownKeys(rec)) {
    if (typeof k !== 'string' || !REFERENCE_OPTION_KEYS.has(k)) return null;
    if (!('value' in (Object.getOwnPropertyDescriptor(rec, k) ?? {}))) return null;
  }
  const text = (v: unknown) => v === undefined || typeof v === 'string';
  const { layout, layouts, kernel, knobs, uffd, madvise } = rec;
  if (!text(layout) || !text(kernel) || !text(uffd) || (madvise !== undefined && typeof madvise !== 'boolean')) return null;
  if (layouts !== undefined && !(Array.isArray(layouts) && layouts.every((l) => typeof l === 'string'))) return null;
  let knobList: [string, number][] = [];
  if (knobs !== undefined) {
    if (!knobs || typeof knobs !== 'object' || Object.getPrototypeOf(knobs) !== Object.prototype) return null;
    for (const [k, v] of Object.entries(knobs)) {
      if (typeof v !== 'number' || !Number.isFinite(v) || !('value' in (Object.getOwnPropertyDescriptor(knobs, k) ?? {}))) return null;
      knobList.push([k, v]);
    }
    knobList = knobList.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    if (Reflect.ownKeys(knobs).length !== knobList.length) return null;
  }
  return JSON.stringify([layout ?? null, layouts ?? null, kernel ?? null, knobList, uffd ?? null, madvise === true]);
}

/**
 * Engine exports that learner code must not reach: the reference kernels (`*_before`, `*_after`,
 * `*_v3_as_posted`, `KERNELS`), the two dispatchers the learner is asked to write, and the
 * scenario drivers that could hand the kernels out (`makeWorld`, `createWorld`, `runCollapse`,
 * `simulate`, `explore`). No starter, solution or wrong answer needs them (the exercises' tests do).
 */
export function isReferenceKernelExport(name: string): boolean {
  return (
    /_(before|after|v3_as_posted)$/.test(name) ||
    name === 'KERNELS' ||
    // The dispatchers fall back to the world's reference kernel when installed as the ops
    // themselves, so `export { hpage_collapse_scan_pmd } from 'collapse-lab/engine'` would pass.
    name === 'hpage_collapse_scan_pmd' ||
    name === '__collapse_huge_page_swapin' ||
    name === 'makeWorld' ||
    name === 'createWorld' ||
    name === 'runCollapse' ||
    // simulate() builds a world whose ops are the reference kernels (red-team round: full marks
    // by `simulate({layout}).world.ops.hpage_collapse_scan_pmd(...)`).
    name === 'simulate' ||
    name === 'explore'
  );
}
