/**
 * describe / it / test / beforeEach / afterEach — the subset of Vitest's collector that exercise
 * tests may use — plus `runTest`, which runs ONE collected test (the parent runs tests one at a
 * time so a synchronous infinite loop costs one test, not the run).
 */
import type { TestResult, TestStatus } from '../types.ts';
import { MESSAGE_CAP_CHARS } from '../types.ts';
import { printDiffOrStringify } from '@vitest/utils/diff';
import { describeThrown, unshowable } from './errors.ts';

type Fn = () => unknown;

interface Scope {
  parent: Scope | null;
  names: string[];
  /** Hooks registered directly in this scope, in registration order. */
  befores: Fn[];
  afters: Fn[];
  skip: boolean;
  only: boolean;
}

export interface CollectedTest {
  name: string;
  fn: Fn | null; // null = skipped / todo
  scope: Scope;
  timeoutMs?: number;
  only: boolean;
}

/**
 * Hooks for a test, resolved when it runs (so a hook registered after a test in the same
 * describe still applies, as in Vitest): beforeEach outermost first, afterEach innermost first
 * and in reverse registration order (Vitest's default "stack" order).
 */
function hooksFor(t: CollectedTest): { befores: Fn[]; afters: Fn[] } {
  const chain: Scope[] = [];
  for (let s: Scope | null = t.scope; s; s = s.parent) chain.unshift(s);
  const befores = chain.flatMap((s) => s.befores);
  const afters = chain.slice().reverse().flatMap((s) => s.afters.slice().reverse());
  return { befores, afters };
}

export interface SuiteApi {
  describe: any;
  it: any;
  test: any;
  beforeEach: (fn: Fn) => void;
  afterEach: (fn: Fn) => void;
}

/** printf-style names for `.each`, like Vitest: %s %d %i %f %j %o %O %# %%, and $name / $0. */
function formatEachName(template: string, args: unknown[], index: number, inspect: (v: unknown) => string): string {
  let i = 0;
  let name = template.replace(/%[sdifjoO#%]/g, (m) => {
    if (m === '%%') return '%';
    if (m === '%#') return String(index);
    const v = args[i++];
    if (m === '%s') return typeof v === 'string' ? v : inspect(v);
    if (m === '%d' || m === '%i') return String(m === '%i' ? Math.trunc(Number(v)) : Number(v));
    if (m === '%f') return String(Number(v));
    if (m === '%j') return JSON.stringify(v);
    return inspect(v);
  });
  if (args.length === 1 && args[0] !== null && typeof args[0] === 'object') {
    const obj = args[0] as Record<string, unknown>;
    name = name.replace(/\$([A-Za-z_][\w.]*)/g, (m, path: string) => {
      let cur: unknown = obj;
      for (const part of path.split('.')) {
        if (cur === null || typeof cur !== 'object' || !(part in (cur as object))) return m;
        cur = (cur as Record<string, unknown>)[part];
      }
      return typeof cur === 'string' ? cur : inspect(cur);
    });
  }
  return name;
}

export function createSuite(inspect: (v: unknown) => string): { api: SuiteApi; tests: CollectedTest[]; setFilePrefix: (p: string | null) => void } {
  const tests: CollectedTest[] = [];
  let prefix: string | null = null;
  const stack: Scope[] = [{ parent: null, names: [], befores: [], afters: [], skip: false, only: false }];
  const top = () => stack[stack.length - 1];

  function addTest(name: string, fn: Fn | undefined, opts: { skip?: boolean; only?: boolean; timeout?: number }) {
    const scope = top();
    // Skipped and todo tests are not collected: the result model has no 'skipped', and counting
    // them as passed would inflate a score.
    if (opts.skip || scope.skip || typeof fn !== 'function') return;
    const names = prefix ? [prefix, ...scope.names, name] : [...scope.names, name];
    tests.push({
      name: names.join(' > '),
      fn,
      scope,
      timeoutMs: opts.timeout,
      only: !!opts.only || scope.only,
    });
  }

  function timeoutOf(x: unknown): number | undefined {
    if (typeof x === 'number') return x;
    if (x && typeof x === 'object' && typeof (x as { timeout?: unknown }).timeout === 'number') return (x as { timeout: number }).timeout;
    return undefined;
  }

  function makeIt(base: { skip?: boolean; only?: boolean }) {
    const it = (name: string, a?: unknown, b?: unknown) => {
      // Vitest accepts (name, fn, timeout) and (name, options, fn).
      const fn = (typeof a === 'function' ? a : b) as Fn | undefined;
      const opts = typeof a === 'function' ? b : a;
      addTest(String(name), fn, { ...base, timeout: timeoutOf(opts) });
    };
    it.each = (cases: unknown[]) => (name: string, fn: (...args: unknown[]) => unknown, timeout?: number) => {
      cases.forEach((c, i) => {
        const args = Array.isArray(c) ? c : [c];
        addTest(formatEachName(String(name), args, i, inspect), () => fn(...args), { ...base, timeout });
      });
    };
    return it;
  }

  const it: any = makeIt({});
  it.skip = makeIt({ skip: true });
  it.only = makeIt({ only: true });
  it.todo = (name: string) => addTest(String(name), undefined, { skip: true });
  it.skipIf = (cond: unknown) => (cond ? it.skip : it);
  it.runIf = (cond: unknown) => (cond ? it : it.skip);

  function makeDescribe(base: { skip?: boolean; only?: boolean }) {
    const describe = (name: string, a?: unknown, b?: unknown) => {
      const fn = (typeof a === 'function' ? a : b) as Fn | undefined;
      const parent = top();
      stack.push({
        parent,
        names: [...parent.names, String(name)],
        befores: [],
        afters: [],
        skip: parent.skip || !!base.skip,
        only: parent.only || !!base.only,
      });
      try {
        if (typeof fn === 'function') {
          const r = fn();
          if (r && typeof (r as Promise<unknown>).then === 'function') {
            throw new Error(`describe("${name}") must not be async: declare tests synchronously`);
          }
        }
      } finally {
        stack.pop();
      }
    };
    describe.each = (cases: unknown[]) => (name: string, fn: (...args: unknown[]) => unknown) => {
      cases.forEach((c, i) => {
        const args = Array.isArray(c) ? c : [c];
        describe(formatEachName(String(name), args, i, inspect), () => fn(...args));
      });
    };
    return describe;
  }
  const describe: any = makeDescribe({});
  describe.skip = makeDescribe({ skip: true });
  describe.only = makeDescribe({ only: true });
  describe.todo = () => {};
  describe.skipIf = (cond: unknown) => (cond ? describe.skip : describe);
  describe.runIf = (cond: unknown) => (cond ? describe : describe.skip);

  const api: SuiteApi = {
    describe,
    it,
    test: it,
    beforeEach: (fn: Fn) => void top().befores.push(fn),
    afterEach: (fn: Fn) => void top().afters.push(fn),
  };
  return { api, tests, setFilePrefix: (p) => void (prefix = p) };
}

/** True if `v` has at most `budget` nested values (so a diff of it stays cheap and readable). */
function smallEnough(v: unknown, budget = 400): boolean {
  let left = budget;
  const seen = new Set<unknown>();
  const walk = (x: unknown): boolean => {
    if (--left < 0) return false;
    if (x === null || typeof x !== 'object') return true;
    if (seen.has(x)) return true;
    seen.add(x);
    const values = x instanceof Map ? [...x.entries()] : x instanceof Set ? [...x] : Object.values(x as object);
    return values.every(walk);
  };
  return walk(v);
}

/**
 * Could `err` get a diff? The cheap part of {@link diffOf} (reads the error's own fields, walks
 * no learner value): a deep comparison that failed on objects or multi-line strings.
 */
function diffCandidate(err: Error): boolean {
  const e = err as Error & { showDiff?: boolean; actual?: unknown; expected?: unknown };
  if (!e.showDiff || !('expected' in e)) return false;
  const objectish = (x: unknown) => x !== null && typeof x === 'object';
  const multilineString = typeof e.actual === 'string' && typeof e.expected === 'string' && (e.actual.includes('\n') || e.expected.includes('\n'));
  return objectish(e.actual) || objectish(e.expected) || multilineString;
}

/**
 * "- Expected / + Received" diff (as Vitest prints it) for failed deep comparisons of small values,
 * as text to append to the message ("" when there is none). The values are the learner's: walking
 * them runs their getters and Proxy traps (a throw from the walk reaches the caller, as it did
 * before late diffs: classifyThrown then reports an 'error'; formatLateDiff drops the diff).
 */
function diffOf(err: Error): string {
  const e = err as Error & { showDiff?: boolean; actual?: unknown; expected?: unknown };
  if (!diffCandidate(err)) return '';
  if (!smallEnough(e.actual) || !smallEnough(e.expected)) return '';
  try {
    const d = printDiffOrStringify(e.actual, e.expected, { expand: false, includeChangeCounts: false });
    // eslint-disable-next-line no-control-regex
    const plain = (d ?? '').replace(/\u001b\[[0-9;]*m/g, '');
    if (!plain.trim()) return '';
    const lines = plain.split('\n');
    const shown = lines.length > 40 ? [...lines.slice(0, 40), `… (${lines.length - 40} more diff lines)`] : lines;
    return `\n\n${shown.join('\n')}`;
  } catch {
    return '';
  }
}

/**
 * A TypeError from writing to a frozen object (lockdown froze the built-ins, chai's matchers,
 * `expect` and the engine) explained in the learner's words, or null. V8 wording, e.g.
 * "Cannot assign to read only property 'is' of function 'function Object() { [native code] }'".
 */
export function frozenWrite(err: Error): string | null {
  if (err.name !== 'TypeError' || typeof err.message !== 'string') return null;
  const m = err.message;
  if (!/read only property|not extensible|Cannot redefine property|Cannot delete property|Cannot define property|object is frozen/.test(m)) return null;
  const prop = /property '?([^',\s]+)'?/.exec(m)?.[1];
  const owner = /of function '?function ([A-Za-z_$][\w$]*)\(/.exec(m)?.[1];
  const what = prop ? `\`${owner ? `${owner}.` : ''}${prop}\`` : 'a frozen object';
  return `your code tried to change ${what}: built-ins, expect and the engine are frozen in the test runner, so nothing was changed`;
}

export function capMessage(message: string, cap = MESSAGE_CAP_CHARS): string {
  if (message.length <= cap) return message;
  return `${message.slice(0, cap)}… (message truncated: ${message.length - cap} more characters)`;
}

/**
 * A failure whose diff is formatted later ("late diffs", browser runs only): the verdict carries
 * `message` alone; {@link formatLateDiff} gives the text to append once every result is out.
 */
export interface LateDiff {
  /** The AssertionError's own message, uncapped (shorter than the cap). */
  message: string;
  err: Error;
}

/**
 * Classify what a test threw. AssertionError → failed, anything else → error.
 * `late`: a failure that may have a diff is returned with its message alone and the error in
 * `lateDiff` (formatting the diff walks the learner's values and costs ~0.2-0.4 ms a failure).
 */
export function classifyThrown(e: unknown, locate: (e: unknown) => string | null, late = false): { status: TestStatus; message: string; lateDiff?: LateDiff } {
  try {
    return classifyThrownUnguarded(e, locate, late);
  } catch {
    // Learner code threw something that throws when read (a Proxy, throwing getters): never passed.
    return { status: 'error', message: capMessage(unshowable(e)) };
  }
}

/**
 * The text that {@link classifyThrown} would have appended to a late diff's message, capped as
 * `capMessage(message + diff)` is: the verdict's message plus this is the message an inline run
 * gives. "" when there is no diff or formatting it threw (a value whose getter loops never returns:
 * the parent's bounded wait for the diffs ends the worker).
 */
export function formatLateDiff(d: LateDiff, cap = MESSAGE_CAP_CHARS): string {
  let diff: string;
  try {
    diff = diffOf(d.err);
  } catch {
    return ''; // the verdict is out already: a value that throws when walked only loses its diff
  }
  if (!diff) return '';
  return capMessage(d.message + diff, cap).slice(d.message.length);
}

function classifyThrownUnguarded(e: unknown, locate: (e: unknown) => string | null, late: boolean): { status: TestStatus; message: string; lateDiff?: LateDiff } {
  if (e instanceof Error || (e && typeof e === 'object' && typeof (e as Error).message === 'string' && typeof (e as Error).name === 'string')) {
    const err = e as Error;
    if (err.name === 'AssertionError') {
      const message = err.message;
      // A message at the cap already would show no diff (the note counts its characters: moot).
      if (late && typeof message === 'string' && message.length < MESSAGE_CAP_CHARS && diffCandidate(err)) return { status: 'failed', message, lateDiff: { message, err } };
      return { status: 'failed', message: capMessage(message + diffOf(err)) };
    }
    const where = locate(e);
    const frozen = frozenWrite(err);
    const text = `${frozen ? `${frozen} (` : ''}${err.name}: ${err.message}${where ? ` (${where})` : ''}${frozen ? ')' : ''}`;
    return { status: 'error', message: capMessage(text) };
  }
  return { status: 'error', message: capMessage(describeThrown(e)) };
}

class TestTimeout extends Error {}

// Taken when the runtime loads, before any learner code runs.
const Channel: typeof MessageChannel | undefined = typeof MessageChannel === 'function' ? MessageChannel : undefined;
const portPost = Channel ? MessagePort.prototype.postMessage : undefined;

/** Node's MessagePort keeps the event loop alive while referenced; browsers have no such methods. */
type Reffable = { ref?: () => void; unref?: () => void };

// One channel serves every hop of the worker (a fresh channel per hop cost about twice as much in
// Chromium: 208 hops 6.0 vs 2.8 ms). Each message answers the oldest waiting hop; messages arrive in
// the order they were posted. In Node the port holds the event loop only while a hop waits.
let hopPort: MessagePort | null = null;
let hopListener: (MessagePort & Reffable) | null = null;
const hopWaiting: (() => void)[] = [];

/**
 * End the current task (a MessageChannel round trip, ~0.02 ms): the session does this after each
 * test so an unhandled rejection the test caused is reported while it is still the running test.
 * A message task (unlike a chained setTimeout(0), which browsers clamp to 4 ms after five levels
 * of nesting) costs no waiting and resets the timer nesting level.
 */
export function freshTask(): Promise<void> {
  if (!Channel || !portPost) return Promise.resolve();
  if (!hopPort || !hopListener) {
    const ch = new Channel();
    const listener: MessagePort & Reffable = ch.port1;
    listener.onmessage = () => {
      hopWaiting.shift()?.();
      if (hopWaiting.length === 0) listener.unref?.();
    };
    hopListener = listener;
    hopPort = ch.port2;
  }
  const port = hopPort;
  hopListener.ref?.();
  return new Promise<void>((resolve) => {
    hopWaiting.push(resolve);
    portPost.call(port, 0);
  });
}

/**
 * Run one collected test with its hooks; async work is raced against `limitMs`.
 * `lateDiffs`: a failure that may have a diff comes back with its message alone and `lateDiff`
 * set (see classifyThrown); the caller formats it later or drops it.
 */
export async function runTest(
  t: CollectedTest,
  limitMs: number,
  locate: (e: unknown) => string | null,
  lateDiffs = false,
): Promise<Omit<TestResult, 'output'> & { lateDiff?: LateDiff }> {
  const started = Date.now();
  if (!t.fn) return { name: t.name, status: 'passed', message: 'skipped', durationMs: 0 };
  const limit = t.timeoutMs && t.timeoutMs > 0 ? Math.min(t.timeoutMs, limitMs) : limitMs;
  // The deadline timer is made only when a hook or the test returns a promise: a synchronous test
  // cannot be interrupted from inside anyway (the parent's watchdog stops it), and one timer per
  // test was measurable (~2 ms per 94-test run in Node's timer list).
  let timer: ReturnType<typeof setTimeout> | undefined;
  let deadline: Promise<never> | undefined;
  // Compared by identity, not `instanceof`: a thrown Proxy's getPrototypeOf trap would run (and throw).
  const timedOut = new TestTimeout();
  const theDeadline = () =>
    (deadline ??= new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(timedOut), limit);
    }));
  const call = async (fn: Fn) => {
    const r = fn();
    if (r && typeof (r as Promise<unknown>).then === 'function') await Promise.race([r, theDeadline()]);
  };
  let outcome: { status: TestStatus; message: string; lateDiff?: LateDiff } = { status: 'passed', message: '' };
  const { befores, afters } = hooksFor(t);
  try {
    for (const b of befores) await call(b);
    await call(t.fn);
  } catch (e) {
    outcome = e === timedOut
      ? { status: 'timeout', message: `stopped after ${fmtSeconds(limit)} — the test's promise never settled` }
      : classifyThrown(e, locate, lateDiffs);
  }
  for (const a of afters) {
    try {
      await call(a);
    } catch (e) {
      if (outcome.status === 'passed') outcome = e === timedOut
        ? { status: 'timeout', message: `afterEach stopped after ${fmtSeconds(limit)}` }
        : classifyThrown(e, locate, lateDiffs);
    }
  }
  if (timer !== undefined) clearTimeout(timer);
  deadline?.catch(() => {});
  const result = { name: t.name, status: outcome.status, message: outcome.message, durationMs: Date.now() - started };
  return outcome.lateDiff ? { ...result, lateDiff: outcome.lateDiff } : result;
}

export function fmtSeconds(ms: number): string {
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
}

/** One-line description of something thrown while loading, for load errors. */
export function describeThrownForLoad(e: unknown, locate: (e: unknown) => string | null): string {
  return classifyThrown(e, locate).message;
}
