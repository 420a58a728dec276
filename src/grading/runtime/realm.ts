/**
 * The hardened realm learner code runs in — one place, shared by the browser worker
 * (src/grading/browser/worker.ts) and the Node grading child (src/grading/node/*).
 *
 * Built on Hardened JavaScript (`ses`, https://github.com/endojs/endo/tree/master/packages/ses):
 *
 * 1. {@link sealRealm} — called by each entry BEFORE any learner or test code is evaluated:
 *    `lockdown()` freezes every shared intrinsic (Object.prototype, Array.prototype, JSON, Math,
 *    Promise, Function.prototype …) and tames `Function.prototype.constructor`, so no code can
 *    patch a built-in — not even for a moment on a zero-delay timer — and no function's
 *    `.constructor` leads back to an unconfined evaluator. Then the assertion machinery is built
 *    (chai + the @vitest/expect plugins) and hardened: chai's Assertion prototype (the matchers),
 *    its config and utils, @vitest/expect's exports. The engine is hardened by
 *    {@link hardenNamespace} when a session receives it.
 * 2. {@link makeCompartment} — learner code and test files are evaluated in ses Compartments whose
 *    global object holds the frozen shared intrinsics plus ONLY the endowments given here
 *    (a console that writes into the run's capped output buffer, timers that charge their errors
 *    to the running test, `Date` and `Math` with `now`/`random`). No `postMessage`, `self`,
 *    `process`, `fetch`, `importScripts`, `Worker`, `expect`, nonce or module loader is reachable
 *    from a compartment: modules come only through the `require` map the session passes in.
 *    A run-time-built `eval(…)`, `Function(…)` or `import(…)` inside a compartment is confined to
 *    that compartment; ses rejects source text that contains an `import(` expression outright.
 *
 * Lockdown options (measured in tests/grading/runtime.test.ts "the realm keeps errors useful"):
 * - `errorTaming: 'unsafe'` keeps V8's `error.stack` on errors made in compartments, which the
 *   runtime reads to tell a learner "at line 12 of your code" (with the default 'safe', compartment
 *   errors carry no stack, so that hint would be lost). A stack names only the learner's own file and
 *   the runner's bundle, nothing secret.
 * - `overrideTaming: 'min'`: with the prototypes frozen, assigning an inherited property on an
 *   instance (`err.name = …`, the "override mistake") would throw; ses turns a few such well-known
 *   properties into accessors that allow it. The default 'moderate' also converts
 *   `Array.prototype.push`, `Array.prototype[Symbol.iterator]`, `concat`, `Function.prototype.bind`
 *   and `Object.prototype.valueOf` — every `push` and every `for…of` over an array then calls a
 *   getter. Measured (Node CPU profile, three early-abort starter runs in one process, loaded
 *   machine): the learner's scan loop took 1526 ms of self time with 'moderate' (the overrides'
 *   getters next in the profile) and 164 ms with 'min'. 'min' keeps what chai, @vitest/expect and
 *   the engine need (`toString`, `Error.prototype.name`; they set `message` only as an own
 *   property) — the conformance, meta and hostile suites pass with it. Learner code that assigns
 *   an inherited frozen property on its own object (`this.name = …` in a TypeError subclass) gets a
 *   TypeError that says so.
 * - `stackFiltering: 'verbose'`: when ses itself prints an error (it should not: the runner
 *   catches everything) no frames are dropped.
 * - `consoleTaming: 'unsafe'`: learner code never sees the real console (it gets a capture
 *   endowment), so wrapping it buys nothing.
 * - `errorTrapping: 'none'`, `unhandledRejectionTrapping: 'none'`: the entries route escaped
 *   errors to the running test (Session.stray); ses must not exit the Node child or log instead.
 * - `localeTaming: 'unsafe'`: keeps `toLocaleString` (used for "1,234 more characters") — locale
 *   data is not a secret here.
 * - `domainTaming: 'unsafe'`: Node's `domain` module is not used; no check needed.
 *
 * `import 'ses'` resolves to the package's ESM entry, which works in Vite's worker bundle, in
 * esbuild bundles and in Node 24 directly.
 */
import 'ses';
import * as chai from 'chai';
import * as vitestExpect from '@vitest/expect';
import { installMatchers } from './expect.ts';

/** The lockdown options this project uses (see the module comment for why each). */
export const LOCKDOWN_OPTIONS = {
  errorTaming: 'unsafe',
  overrideTaming: 'min',
  stackFiltering: 'verbose',
  consoleTaming: 'unsafe',
  errorTrapping: 'none',
  unhandledRejectionTrapping: 'none',
  localeTaming: 'unsafe',
  domainTaming: 'unsafe',
} as const;

let sealed = false;

/** True once the shared intrinsics are frozen (by {@link sealRealm} or another lockdown). */
export function isRealmSealed(): boolean {
  return sealed || (typeof harden === 'function' && Object.isFrozen(Object.prototype) && Object.isFrozen(Array.prototype));
}

/**
 * Freeze the shared realm and the assertion machinery. Idempotent; call before any learner or
 * test code is evaluated (worker / child entry). Throws only if the environment cannot be
 * locked down (e.g. a built-in was already replaced by someone else) — an entry must then refuse
 * to run tests.
 */
export function sealRealm(): void {
  if (sealed) return;
  if (!isRealmSealed()) lockdown(LOCKDOWN_OPTIONS);
  // The matchers must be installed on chai's Assertion prototype before it is frozen.
  installMatchers();
  for (const key of Reflect.ownKeys(chai.Assertion.prototype)) {
    const d = Object.getOwnPropertyDescriptor(chai.Assertion.prototype, key);
    if (d) for (const f of [d.value, d.get, d.set]) flagSink(f);
  }
  hardenAssertionObject(chai.expect);
  hardenNamespace(chai);
  hardenNamespace(vitestExpect);
  sealed = true;
}

/**
 * chai keeps per-assertion "flags" in a `__flags` property it creates on demand — also on its
 * method wrappers and on `expect` itself, which are frozen here. Give such an object a `__flags`
 * accessor that hands out a fresh, throw-away record (and ignores assignment) so chai's writes
 * succeed without making the frozen object mutable. What chai stores there is only the stack-trim
 * marker (`ssfi`) for the call being made; an assertion's real flags live on its own (fresh) instance.
 */
function flagSink(o: unknown): void {
  if (!((typeof o === 'object' && o !== null) || typeof o === 'function')) return;
  if (!Object.isExtensible(o) || Object.prototype.hasOwnProperty.call(o, '__flags')) return;
  Object.defineProperty(o, '__flags', { get: () => Object.create(null), set: () => {}, enumerable: false, configurable: false });
}

/** Harden an `expect`-like function and its methods, leaving chai a place to write its flags. */
export function hardenAssertionObject<T extends object>(e: T): T {
  flagSink(e);
  for (const key of Reflect.ownKeys(e)) {
    const d = Object.getOwnPropertyDescriptor(e, key);
    if (d) for (const f of [d.value, d.get, d.set]) flagSink(f);
  }
  return harden(e);
}

/**
 * Harden every export of a module namespace (the namespace object itself is already immutable
 * and cannot be frozen as an ordinary object). Returns the namespace for chaining.
 */
export function hardenNamespace<T extends object>(ns: T, seen = new Set<object>()): T {
  if (seen.has(ns)) return ns;
  seen.add(ns);
  for (const key of Reflect.ownKeys(ns)) {
    const value = (ns as Record<PropertyKey, unknown>)[key];
    if (typeof value === 'object' && value !== null && Object.prototype.toString.call(value) === '[object Module]') {
      hardenNamespace(value, seen); // a re-exported namespace (@vitest/expect re-exports chai)
    } else if ((typeof value === 'object' && value !== null) || typeof value === 'function') {
      harden(value);
    }
  }
  return ns;
}

/** Endowments for one compartment: what its code may use besides the frozen intrinsics. */
export interface CompartmentEndowments {
  /** A console-like object (the session's capture). */
  console: object;
  /** Timers that charge a throwing callback to `onStray` instead of the platform handler. */
  onStray: (e: unknown) => void;
}

/** Timer ids handed to compartments: plain numbers, never Node's Timeout objects (they link to other timers). */
export interface Timers {
  setTimeout: (fn: unknown, ms?: number, ...args: unknown[]) => number;
  clearTimeout: (id?: unknown) => void;
  setInterval: (fn: unknown, ms?: number, ...args: unknown[]) => number;
  clearInterval: (id?: unknown) => void;
  queueMicrotask: (fn: unknown) => void;
  /** Timers created and not yet fired or cleared, per owner tag (see `owner`). */
  pending(): number;
  /** Timers created from now on are tagged with this owner (e.g. the running test index). */
  setOwner(owner: number | null): void;
  /** Pending timers created while `owner` was set. */
  pendingFor(owner: number): number;
  /**
   * The same timers (same accounting, owner and `onStray`) for ONE compartment: its clear
   * functions only reach the timers it created itself. Learner code and the test files share a
   * session's timers; with one id table, learner code cleared every id it could guess and so
   * cancelled a test's own checking timer: a wrong answer passed (round-4 red team).
   */
  scoped(): Pick<Timers, 'setTimeout' | 'clearTimeout' | 'setInterval' | 'clearInterval' | 'queueMicrotask'>;
}

/**
 * Timers for compartments, built on the start realm's timers captured now. A callback that throws
 * is reported through `onStray` (charged to the running test). Handles are small integers.
 */
export function makeTimers(onStray: (e: unknown) => void): Timers {
  const st = setTimeout;
  const ct = clearTimeout;
  const si = setInterval;
  const ci = clearInterval;
  const qm = queueMicrotask;
  const live = new Map<number, { handle: ReturnType<typeof setTimeout>; owner: number | null; repeat: boolean }>();
  let next = 1;
  let owner: number | null = null;
  const call = (fn: unknown, args: unknown[]) => {
    try {
      if (typeof fn === 'function') (fn as (...a: unknown[]) => unknown)(...args);
    } catch (e) {
      onStray(e);
    }
  };
  const start = (repeat: boolean, fn: unknown, ms: unknown, args: unknown[]): number => {
    if (typeof fn !== 'function') throw new TypeError('setTimeout/setInterval: the callback must be a function (strings are not evaluated)');
    const id = next++;
    const delay = Number(ms) || 0;
    const handle = repeat
      ? si(() => call(fn, args), delay)
      : st(() => {
          live.delete(id);
          call(fn, args);
        }, delay);
    live.set(id, { handle, owner, repeat });
    return id;
  };
  const stop = (id: unknown) => {
    const t = live.get(Number(id));
    if (!t) return;
    live.delete(Number(id));
    if (t.repeat) ci(t.handle);
    else ct(t.handle);
  };
  const microtask = (fn: unknown): void => {
    if (typeof fn !== 'function') throw new TypeError('queueMicrotask: the callback must be a function');
    qm(() => call(fn, []));
  };
  return {
    setTimeout: (fn, ms, ...args) => start(false, fn, ms, args),
    clearTimeout: stop,
    setInterval: (fn, ms, ...args) => start(true, fn, ms, args),
    clearInterval: stop,
    queueMicrotask: microtask,
    pending: () => live.size,
    setOwner: (o) => void (owner = o),
    pendingFor: (o) => {
      let n = 0;
      for (const t of live.values()) if (t.owner === o) n++;
      return n;
    },
    scoped: () => {
      const mine = new Set<number>();
      const startMine = (repeat: boolean, fn: unknown, ms: unknown, args: unknown[]): number => {
        if (typeof fn !== 'function') return start(repeat, fn, ms, args); // throws the usual TypeError
        let id = 0;
        // A one-shot timer leaves the set when it fires (the set stays as small as `live`).
        const f = repeat ? fn : (...a: unknown[]) => {
          mine.delete(id);
          return (fn as (...x: unknown[]) => unknown)(...a);
        };
        id = start(repeat, f, ms, args);
        mine.add(id);
        return id;
      };
      const stopMine = (id: unknown) => {
        const n = Number(id);
        if (!mine.has(n)) return;
        mine.delete(n);
        stop(n);
      };
      return {
        setTimeout: (fn, ms, ...args) => startMine(false, fn, ms, args),
        clearTimeout: stopMine,
        setInterval: (fn, ms, ...args) => startMine(true, fn, ms, args),
        clearInterval: stopMine,
        // (microtasks cannot be cancelled: nothing to scope)
        queueMicrotask: microtask,
      };
    },
  };
}

/**
 * A ses Compartment whose globals are the frozen intrinsics plus `console`, the timers, and the
 * start realm's `Date` and `Math` (ses's compartment versions throw on `Date.now()` and
 * `Math.random()`, which learner code may reasonably call; neither is a capability here).
 */
export function makeCompartment(name: string, consoleLike: object, timers: Timers): Compartment {
  // Its own view of the timers: clearTimeout/clearInterval here cannot cancel another compartment's.
  const own = timers.scoped();
  const globals = harden({
    console: consoleLike,
    setTimeout: own.setTimeout,
    clearTimeout: own.clearTimeout,
    setInterval: own.setInterval,
    clearInterval: own.clearInterval,
    queueMicrotask: own.queueMicrotask,
    Date,
    Math,
  });
  return new Compartment({ globals, __options__: true, name } as ConstructorParameters<typeof Compartment>[0]);
}

/** Source-text rejections ses makes before evaluating, turned into a learner-readable reason. */
export function describeRejectedSource(e: unknown, who: string): string | null {
  if ((e as Error)?.name !== 'SyntaxError') return null;
  const msg = String((e as Error)?.message ?? '');
  const line = /:(\d+)\b/.exec(msg)?.[1];
  const at = line ? ` at line ${line}` : '';
  if (/SES_IMPORT_REJECTED/.test(msg)) {
    return `${who} contains \`import(\`${at} (in code, a string or a comment): dynamic import is not available in the test runner — import from 'collapse-lab/engine' at the top of the file`;
  }
  if (/SES_HTML_COMMENT_REJECTED/.test(msg)) {
    return `${who} contains \`<!--\` or \`-->\`${at} (in code, a string or a comment), which the test runner does not accept — write \`x-- > 0\` with a space, or split the string`;
  }
  if (/SES_EVAL_REJECTED/.test(msg)) {
    return `${who} calls \`eval(…)\`${at}, which the test runner does not allow`;
  }
  return null;
}
