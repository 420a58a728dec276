/**
 * In-browser grading client (main thread). Deliberately tiny: it does NOT import sucrase, chai or
 * the engine — those live in the worker bundle (./worker.ts, bundled by ./vite-plugin.ts), fetched
 * only on warmUp() or the first run. Test sources and exercise.json files are lazy
 * `import.meta.glob` chunks.
 *
 *   import { runExercise, warmUp } from '../grading/browser/client.ts';
 *   warmUp('early-abort');                      // page idle, or hover/focus of "Open editor"
 *   const result = await runExercise({ id: 'early-abort', code, onResult });
 *
 * Where the code runs (src/grading/README.md "Browser sandbox"): a hidden iframe with
 * `sandbox="allow-scripts"` (an opaque origin: no cookies, no storage of this site) loads the
 * runner host page, whose own CSP meta tag allows eval (ses) but no connection and no script URL.
 * The host starts each grading worker from a blob: URL, so the worker inherits that policy on
 * any web server — `astro dev`, `astro preview`, GitHub Pages — with or without public/_headers.
 * The page talks to each worker over its own MessagePort.
 *
 * Always ready (issue 10): a spare runner is started at warm-up and again as soon as a run
 * STARTS; before it answers 'ready' it has loaded the runtime and engine, sealed the realm, and
 * compiled and collected the exercise's tests ('prepare'). Once no run is in flight it also runs
 * those tests once against the exercise's starter ('prime', runtime/session.ts PrimeMessage), so
 * the learner's run finds a JIT-warm engine and runtime; a click stops priming at the next test.
 */
import { hostUrl, workerUrl } from 'virtual:grader-runner';
import { orchestrate, type WorkerHandle } from '../orchestrate.ts';
import type { ExportKind, RunResult, TestResult, TestSource } from '../types.ts';
import { DEFAULT_PER_TEST_MS } from '../types.ts';
import type { DrawMessage, PrepareMessage, PrimeMessage, WorkerMessage } from '../runtime/session.ts';
import type { DrawOutcome, DrawScenario } from '../runtime/draw.ts';

const testSources = import.meta.glob('/exercises/*/*.test.ts', { query: '?raw', import: 'default' }) as Record<string, () => Promise<string>>;
// The starters are public (the editor opens with them): priming runs the tests against them.
const starters = import.meta.glob('/exercises/*/starter.ts', { query: '?raw', import: 'default' }) as Record<string, () => Promise<string>>;
const metas = import.meta.glob('/exercises/*/exercise.json', { import: 'default' }) as Record<string, () => Promise<{ id: string; exports: string[]; exportKinds?: Record<string, ExportKind> }>>;

/** Per-run limit in the browser: the total for one "Run tests" click. */
const BROWSER_RUN_LIMIT_MS = 10_000;

/** The runner host: one hidden sandboxed iframe per page, starting workers on request. */
interface Host {
  win: Window;
  /** Start-up failures reported by the host, per worker id. */
  failures: Map<number, (reason: string) => void>;
}

let hostPromise: Promise<Host> | null = null;
let nextWorkerId = 1;

function startHost(): Promise<Host> {
  return new Promise<Host>((resolve, reject) => {
    const frame = document.createElement('iframe');
    frame.setAttribute('sandbox', 'allow-scripts');
    frame.setAttribute('aria-hidden', 'true');
    frame.setAttribute('tabindex', '-1');
    frame.title = 'test runner (hidden)';
    frame.hidden = true;
    frame.src = hostUrl;
    const failures = new Map<number, (reason: string) => void>();
    let host: Host | null = null;
    const source = fetch(workerUrl).then((r) => {
      if (!r.ok) throw new Error(`the test runner could not be downloaded (${r.status} ${r.statusText})`);
      return r.text();
    });
    source.catch(reject);
    const giveUp = setTimeout(() => reject(new Error('the test runner host did not start')), 30_000);
    // A host page that loaded but never said hello (a 404 page, a blocked frame) fails fast.
    frame.addEventListener('load', () => {
      setTimeout(() => {
        if (host === null) {
          clearTimeout(giveUp);
          reject(new Error(`the test runner host (${hostUrl}) did not load`));
        }
      }, 5_000);
    });
    addEventListener('message', (e: MessageEvent) => {
      if (e.source !== frame.contentWindow || !e.data || typeof e.data !== 'object') return;
      const d = e.data as { type?: string; id?: number; message?: string };
      if (d.type === 'host-ready' && host === null) {
        const win = frame.contentWindow as Window;
        host = { win, failures };
        source.then((text) => {
          win.postMessage({ type: 'source', source: text }, '*');
          clearTimeout(giveUp);
          resolve(host as Host);
        }, reject);
      } else if (d.type === 'failed' && typeof d.id === 'number') {
        failures.get(d.id)?.(d.message ?? 'the test runner failed to start');
      }
    });
    document.body.append(frame);
  });
}

function host(): Promise<Host> {
  hostPromise ??= startHost().catch((e: unknown) => {
    hostPromise = null; // try again on the next run
    throw e;
  });
  return hostPromise;
}

/** What {@link spawnBrowserWorker} adds to a WorkerHandle: a 'prepare' before the first run. */
interface BrowserWorkerHandle extends WorkerHandle {
  /** Compile and collect these tests now; the worker's 'ready' is held back until it is done. */
  prepare(tests: TestSource[]): void;
  /** Observe every message (for streaming results). */
  tap(fn: (m: WorkerMessage) => void): void;
  /** Send a "Draw my run" request (instead of a 'load'). */
  draw(msg: DrawMessage): void;
  /** Warm the JIT with the starter (after prepare; see PrimeMessage). */
  prime(msg: PrimeMessage): void;
}

/**
 * Knobs for benches and tests (A/B measurements): `prime: false` starts spares unprimed;
 * `primeWhileRunning` lets a spare prime while a run is in flight; `primeAfterRunMs`: how long after
 * a run's results the spare starts priming (a click meanwhile takes it unprimed, as before
 * priming existed, instead of landing on one of priming's first, coldest steps). Both measured
 * against the defaults under load 9-13 (docs/quality.md "Round 3"): no difference beyond the noise.
 */
export const runnerTuning = { prime: true, primeWhileRunning: false, primeAfterRunMs: 0 };

/** What the last priming passes did (newest last; for benches and tests). */
export const primingLog: Extract<WorkerMessage, { type: 'primed' }>[] = [];

function spawnBrowserWorker(): BrowserWorkerHandle {
  const id = nextWorkerId++;
  const channel = new MessageChannel();
  const port = channel.port1;
  const early: WorkerMessage[] = [];
  let onMsg: ((m: WorkerMessage) => void) | null = null;
  let onExit: ((reason: string) => void) | null = null;
  let dead: string | null = null;
  let preparing = false;
  let heldReady: WorkerMessage | null = null;
  const taps: ((m: WorkerMessage) => void)[] = [];
  let stopped = false;
  const die = (reason: string) => {
    if (dead !== null) return;
    dead = reason;
    onExit?.(reason);
  };
  const deliver = (m: WorkerMessage) => (onMsg ? onMsg(m) : early.push(m));
  port.onmessage = (e: MessageEvent<WorkerMessage>) => {
    const m = e.data;
    for (const t of taps) t(m);
    if (m.type === 'primed') {
      // Priming is the spare's own business: not part of any run's protocol.
      primingLog.push(m);
      if (primingLog.length > 20) primingLog.shift();
      return;
    }
    if (m.type === 'ready' && preparing) {
      heldReady = m;
      return;
    }
    if (m.type === 'prepared') {
      preparing = false;
      if (heldReady) deliver(heldReady);
      heldReady = null;
      return;
    }
    deliver(m);
  };
  let direct: Worker | null = null;
  // Offline the sandboxed host cannot load (service workers do not serve sandboxed frames, and
  // navigator.onLine is not a reliable witness: it stayed true in Chromium with the network
  // emulated offline), so when the host fails the worker script is started directly (from the
  // service worker's cache). It then has no CSP of its own; the realm, the stubs and the
  // compartment still apply. Learner code cannot make the host fail: it runs only in a worker.
  const startDirect = () => {
    if (stopped) return;
    try {
      direct = new Worker(workerUrl, { name: 'collapse-lab-grader' });
      direct.onerror = (e) => {
        e.preventDefault();
        die(e.message || 'the test runner failed to start');
      };
      direct.postMessage({ type: 'connect' }, [channel.port2]);
    } catch (e) {
      queueMicrotask(() => die(`the test runner could not start: ${(e as Error)?.message ?? String(e)}`));
    }
  };
  if (typeof navigator !== 'undefined' && navigator.onLine === false) {
    startDirect();
  } else {
    host().then(
      (h) => {
        if (stopped) return;
        h.failures.set(id, die);
        h.win.postMessage({ type: 'start', id }, '*', [channel.port2]);
      },
      () => startDirect(),
    );
  }
  return {
    post: (msg) => port.postMessage(msg),
    prepare(tests) {
      preparing = true;
      port.postMessage({ type: 'prepare', tests } satisfies PrepareMessage);
    },
    tap: (fn) => void taps.push(fn),
    draw: (msg) => port.postMessage(msg),
    prime: (msg) => port.postMessage(msg),
    listen(m, x) {
      onMsg = m;
      onExit = x;
      for (const msg of early.splice(0)) m(msg);
      if (dead !== null) x(dead);
    },
    terminate() {
      stopped = true;
      port.close();
      direct?.terminate();
      void hostPromise?.then((h) => {
        h.failures.delete(id);
        h.win.postMessage({ type: 'stop', id }, '*');
      });
    },
  };
}

/** Test files of exercise `id` (its own <id>.test.ts, as the Node grader does). */
async function exerciseFiles(id: string): Promise<{ meta: { exports: string[]; exportKinds?: Record<string, ExportKind> }; tests: TestSource[] } | null> {
  const loadMeta = metas[`/exercises/${id}/exercise.json`];
  if (!loadMeta) return null;
  const prefix = `/exercises/${id}/`;
  const own = `${prefix}${id}.test.ts`;
  const files = own in testSources ? [own] : Object.keys(testSources).filter((k) => k.startsWith(prefix) && !k.slice(prefix.length).includes('/')).sort();
  const [meta, sources] = await Promise.all([loadMeta(), Promise.all(files.map((f) => testSources[f]!()))]);
  return { meta, tests: await withPageVariant(id, files.map((f, i) => ({ file: f.slice(prefix.length), source: sources[i]! }))) };
}

/**
 * Tests bound to the variant of the page's ?seed= (issue 15, src/grading/variant.ts): untouched,
 * and nothing loaded, without one. The spare runner gets the same bound sources.
 */
async function withPageVariant<T extends { source: string }>(id: string, tests: T[]): Promise<T[]> {
  if (typeof location === 'undefined' || !new URLSearchParams(location.search).has('seed')) return tests;
  const { bindVariantForSearch } = await import('../variant.ts');
  return tests.map((t) => ({ ...t, source: bindVariantForSearch(id, t.source, location.search) }));
}

/** What priming needs besides the prepared tests: the exercise whose starter it runs. */
interface PrimeFor {
  id: string;
  exports: string[];
  exportKinds?: Record<string, ExportKind>;
}

let spare: { handle: BrowserWorkerHandle; tests: TestSource[] | null; prime: PrimeFor | null; primed: boolean } | null = null;
/** Runs in flight: a spare primes only when none is (two busy workers on a 2-core machine slow the run). */
let running = 0;

/** Start a spare runner with `tests` prepared in it (if given), primed with `prime`'s starter when idle. */
function startSpare(tests: TestSource[] | null, prime: PrimeFor | null = null): void {
  const handle = spawnBrowserWorker();
  if (tests) handle.prepare(tests);
  spare = { handle, tests, prime: tests ? prime : null, primed: false };
  primeSpare();
}

/** Send the spare its 'prime' (once; only while no run is in flight; only with a starter). */
function primeSpare(): void {
  const s = spare;
  if (!s || s.primed || !s.prime || (running > 0 && !runnerTuning.primeWhileRunning) || !runnerTuning.prime) return;
  const { id, exports, exportKinds } = s.prime;
  const load = starters[`/exercises/${id}/starter.ts`];
  if (!load) return;
  s.primed = true;
  const send = (code: string) => s.handle.prime({ type: 'prime', code, exports, ...(exportKinds ? { exportKinds } : {}) });
  // Sent at once when the starter is known, so it goes out before the next click's 'load'.
  const known = starterCode.get(id);
  if (known !== undefined) return send(known);
  void load().then(
    (code) => {
      starterCode.set(id, code);
      // Still the spare (a click takes the spare; a 'load' that came first makes 'prime' a no-op).
      if (spare === s) send(code);
    },
    () => {},
  );
}
const starterCode = new Map<string, string>();

const sameTests = (a: TestSource[] | null, b: TestSource[]) =>
  !!a && a.length === b.length && a.every((t, i) => t.file === b[i]!.file && t.source === b[i]!.source && !!t.prefixNames === !!b[i]!.prefixNames);

/**
 * Have a runner ready for the next "Run tests": call at page idle or on hover/focus of
 * "Open editor", with the exercise id so its tests are compiled ahead. Cheap to call again.
 * Never throws.
 */
export function warmUp(id?: string): void {
  if (typeof Worker === 'undefined' || typeof document === 'undefined') return;
  if (!id) {
    if (!spare) startSpare(null);
    return;
  }
  void exerciseFiles(id).then(
    (ex) => {
      if (!ex) return;
      if (spare && sameTests(spare.tests, ex.tests)) return;
      const prime: PrimeFor = { id, exports: ex.meta.exports, exportKinds: ex.meta.exportKinds };
      if (spare && spare.tests === null) {
        spare.handle.prepare(ex.tests);
        spare.tests = ex.tests;
        spare.prime = prime;
        primeSpare();
        return;
      }
      spare?.handle.terminate();
      startSpare(ex.tests, prime);
    },
    () => {},
  );
}

function failed(id: string, message: string, started: number): RunResult {
  return { exercise: id, passed: 0, failed: 1, total: 1, tests: [{ name: 'loading your code', status: 'error', message }], loadError: message, durationMs: Date.now() - started };
}

/** Called with each test's result as soon as the runner has it (before the run ends). */
export type OnResult = (result: TestResult, index: number, names: readonly string[]) => void;

/**
 * Transpile `code`, run exercise `id`'s tests against it in a sandboxed runner and return the
 * results. `timeoutMs` is the per-test limit (default 2000); a run stops after 10 s in total.
 * `onResult` streams each result as it arrives (show the first failure at once).
 * `only` (full test names, "Re-run failing only"): the runner collects every test but runs only
 * these, in file order; the result then lists just them (names it does not know are ignored).
 * Never throws for learner mistakes: they come back as results.
 */
export async function runExercise(opts: { id: string; code: string; timeoutMs?: number; onResult?: OnResult; only?: readonly string[] }): Promise<RunResult> {
  const started = Date.now();
  const { id, code } = opts;
  try {
    const ex = await exerciseFiles(id);
    if (!ex) {
      const known = Object.keys(metas).map((k) => k.split('/')[2]).sort();
      return failed(id, `unknown exercise '${id}' (known: ${known.join(', ')})`, started);
    }
    return await runTestSources({ exercise: id, exports: ex.meta.exports, exportKinds: ex.meta.exportKinds, code, tests: ex.tests, timeoutMs: opts.timeoutMs, onResult: opts.onResult, ...(opts.only ? { only: opts.only } : {}) });
  } catch (e) {
    return failed(id, `the test runner failed: ${(e as Error)?.message ?? String(e)}`, started);
  }
}

/**
 * Lower level: run the given Vitest-style test sources against `code` (what runExercise does once
 * it has fetched an exercise's tests). Used by the grader's own browser test with a fixture.
 */
export async function runTestSources(opts: {
  exercise: string;
  exports: string[];
  exportKinds?: Record<string, ExportKind>;
  code: string;
  tests: TestSource[];
  timeoutMs?: number;
  onResult?: OnResult;
  /** Run only the tests with these full names (see runExercise). */
  only?: readonly string[];
}): Promise<RunResult> {
  const started = Date.now();
  running++;
  try {
    const perTestMs = opts.timeoutMs ?? DEFAULT_PER_TEST_MS;
    let prestarted: BrowserWorkerHandle | undefined;
    if (spare) {
      // A spare prepared for other tests still saves the start-up; 'load' compiles these tests.
      prestarted = spare.handle;
      spare = null;
    }
    // The next runner starts now, while this one runs (not after it: the next click must not wait).
    // On a cold start (no spare yet) it waits until this run's runner has loaded the code, so two
    // runners do not start up at once on a 2-core machine and delay the first results.
    let nextStarted = false;
    const startNext = () => {
      if (nextStarted) return;
      nextStarted = true;
      startSpare(opts.tests, { id: opts.exercise, exports: opts.exports, exportKinds: opts.exportKinds });
    };
    if (prestarted) startNext();
    const spawn = () => {
      const h = spawnBrowserWorker();
      if (opts.onResult) stream(h, opts.onResult);
      h.tap((m) => {
        if (m.type === 'loaded' || m.type === 'load-failed') startNext();
      });
      return h;
    };
    if (prestarted && opts.onResult) stream(prestarted, opts.onResult);
    const result = await orchestrate(
      spawn,
      // `only` rides along in the payload (runtime/session.ts LoadPayload); orchestrate passes it on.
      { exercise: opts.exercise, exports: opts.exports, exportKinds: opts.exportKinds, code: opts.code, tests: opts.tests, ...(opts.only ? { only: [...opts.only] } : {}) } as Parameters<typeof orchestrate>[1],
      { perTestMs, perRunMs: Math.max(BROWSER_RUN_LIMIT_MS, 2 * perTestMs), prestarted },
    );
    startNext(); // if the run ended before its runner loaded (it could not start)
    return result;
  } catch (e) {
    return failed(opts.exercise, `the test runner failed: ${(e as Error)?.message ?? String(e)}`, started);
  } finally {
    running--;
    // The results are on screen now; the learner reads them while the spare warms up.
    if (runnerTuning.primeAfterRunMs > 0) setTimeout(primeSpare, runnerTuning.primeAfterRunMs);
    else primeSpare();
  }
}

/** Forward a worker's results to `onResult` (names from its 'loaded' answer; only its own run's nonce). */
function stream(h: BrowserWorkerHandle, onResult: OnResult): void {
  let names: string[] = [];
  let nonce: string | null = null;
  h.tap((m) => {
    if (m.type === 'loaded') {
      nonce = m.nonce;
      names = m.names;
    } else if (m.type === 'result' && m.nonce === nonce) {
      try {
        onResult({ ...m.result, name: names[m.index] ?? m.result.name }, m.index, names);
      } catch {
        /* the UI's callback must not break the run */
      }
    }
  });
}

export type { DrawOutcome, DrawScenario };

/**
 * "Draw my run" (issue 14): run the learner's `code` (its exports replace the kernel functions of
 * the same name) on `scenario` in a fresh sealed runner, and return the collapse report and the
 * PTE kinds before/after as plain data for PteGrid/Timeline. Draw the patched kernel's run of the
 * same scenario with the engine on the page (`makeWorld` + `runCollapse`, kernel 'after').
 * A run that does not finish within `timeoutMs` (default 2 s) is stopped. Never throws.
 *
 *   const mine = await drawMyRun({ code, scenario: { layout: 'migration,page*511' } });
 *   if (mine.ok) draw(mine.after, mine.report.trace);
 */
export async function drawMyRun(opts: { code: string; scenario: DrawScenario; timeoutMs?: number }): Promise<DrawOutcome> {
  const limit = opts.timeoutMs ?? DEFAULT_PER_TEST_MS;
  let h: BrowserWorkerHandle;
  if (spare) {
    h = spare.handle; // a spare (prepared or not) can draw; the next one starts now
    startSpare(spare.tests, spare.prime);
  } else h = spawnBrowserWorker();
  const nonce = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
  try {
    return await new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const done = (o: DrawOutcome) => {
        if (timer !== undefined) clearTimeout(timer);
        resolve(o);
      };
      h.listen(
        (m) => {
          if (m.type === 'ready') {
            h.draw({ type: 'draw', nonce, code: opts.code, scenario: opts.scenario });
            timer = setTimeout(() => done({ ok: false, error: `stopped after ${limit / 1000} s — possibly an infinite loop` }), limit + 250);
          } else if (m.type === 'drawn' && m.nonce === nonce) done(m.outcome);
        },
        (reason) => done({ ok: false, error: `the test runner stopped: ${reason}` }),
      );
    });
  } finally {
    h.terminate();
  }
}
