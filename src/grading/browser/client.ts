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
 * Always ready (issue 10): spare runners wait in a small pool (one until the learner has run
 * the tests twice on the page, two after that). Before a spare counts as ready it has loaded the runtime and engine, sealed the
 * realm, and compiled and collected the exercise's tests ('prepare'); once ready, and while no run
 * is in flight, it also runs those tests once against the exercise's starter ('prime',
 * runtime/session.ts PrimeMessage), so the learner's run finds a JIT-warm engine and runtime; a
 * click stops priming at the next test. Spares start and prime one at a time, and only while no
 * run is in flight as long as one is left: on a 2-core machine a spare starting up beside a run
 * slowed that run, so the pool is refilled when a run ENDS, and the second spare is what a click
 * right after a verdict takes. A run that takes the last spare starts the next one at once (clicks
 * in a row would otherwise each wait for a runner to start).
 */
import { hostUrl, workerUrl } from 'virtual:grader-runner';
import { orchestrate, type LateDiffsEnd, type LateDiffText, type OrchestrateOptions, type WorkerHandle } from '../orchestrate.ts';
import { RESULT_BATCH_MAX, unpackBatch } from './batch.ts';
import type { ExportKind, RunResult, TestResult, TestSource } from '../types.ts';
import { DEFAULT_PER_TEST_MS } from '../types.ts';
import type { DrawMessage, PrepareMessage, PrimeMessage, ReferenceEntry, WorkerMessage } from '../runtime/session.ts';
import type { DrawOutcome, DrawScenario } from '../runtime/draw.ts';

const testSources = import.meta.glob('/exercises/*/*.test.ts', { query: '?raw', import: 'default' }) as Record<string, () => Promise<string>>;
// The same files compiled at build time (vite-plugin.ts COMPILED_TEST_QUERY; the query is spelled
// out because import.meta.glob takes literals only).
const compiledTests = import.meta.glob('/exercises/*/*.test.ts', { query: '?compiled-test', import: 'default' }) as Record<string, () => Promise<string | null>>;
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
  /**
   * Compile and collect these tests now; the worker's 'ready' is held back until it is done.
   * `references`: reference-kernel reports a primed runner of the same tests shared.
   */
  prepare(tests: TestSource[], references?: ReferenceEntry[]): void;
  /** Observe every message (for streaming results). */
  tap(fn: (m: WorkerMessage) => void): void;
  /** Called once if the worker dies or fails to start (for the pool; runs learn it through listen). */
  onDead(fn: () => void): void;
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
 * `spares`: how many ready runners the pool keeps once the page has had two runs (one before).
 */
export const runnerTuning = { prime: true, primeWhileRunning: false, primeAfterRunMs: 0, spares: 2 };

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
  const deathWatchers: (() => void)[] = [];
  const die = (reason: string) => {
    if (dead !== null) return;
    dead = reason;
    for (const w of deathWatchers.splice(0)) w();
    onExit?.(reason);
  };
  const deliver = (m: WorkerMessage) => (onMsg ? onMsg(m) : early.push(m));
  // A runner posts results in small arrays (./batch.ts).
  port.onmessage = (e: MessageEvent<unknown>) => unpackBatch(e.data, receive);
  const receive = (m: WorkerMessage) => {
    for (const t of taps) t(m);
    if (m.type === 'primed') {
      // Priming is the spare's own business: not part of any run's protocol.
      const { references: _kept, ...logged } = m;
      primingLog.push(logged);
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
    prepare(tests, references) {
      preparing = true;
      port.postMessage({ type: 'prepare', tests, ...(references ? { references } : {}) } satisfies PrepareMessage);
    },
    tap: (fn) => void taps.push(fn),
    onDead: (fn) => void (dead !== null ? queueMicrotask(fn) : deathWatchers.push(fn)),
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
  const [meta, sources, compiled] = await Promise.all([
    loadMeta(),
    Promise.all(files.map((f) => testSources[f]!())),
    Promise.all(files.map((f) => compiledTests[f]?.().catch(() => null) ?? null)),
  ]);
  const tests = files.map((f, i): TestSource => {
    const c = compiled[i];
    return { file: f.slice(prefix.length), source: sources[i]!, ...(typeof c === 'string' ? { compiled: c } : {}) };
  });
  return { meta, tests: await withPageVariant(id, tests) };
}

/**
 * Tests bound to the variant of the page's ?seed= (issue 15, src/grading/variant.ts): untouched,
 * and nothing loaded, without one. The spare runner gets the same bound sources.
 */
async function withPageVariant(id: string, tests: TestSource[]): Promise<TestSource[]> {
  if (typeof location === 'undefined' || !new URLSearchParams(location.search).has('seed')) return tests;
  const { bindVariantForSearch } = await import('../variant.ts');
  // The bound source is new text: the runner compiles it (the build's compiled file is the unbound one).
  return tests.map(({ compiled: _unbound, ...t }) => ({ ...t, source: bindVariantForSearch(id, t.source, location.search) }));
}

/** What priming needs besides the prepared tests: the exercise whose starter it runs. */
interface PrimeFor {
  id: string;
  exports: string[];
  exportKinds?: Record<string, ExportKind>;
}

interface Spare {
  handle: BrowserWorkerHandle;
  tests: TestSource[] | null;
  prime: PrimeFor | null;
  /** 'ready' arrived and, if tests were given, 'prepared' too. */
  ready: boolean;
  /** 'prime' was sent (once). */
  primed: boolean;
  /** Priming is going on (sent, no 'primed' yet). */
  priming: boolean;
  /** Prepared with the reference reports another spare's priming pass shared. */
  shared: boolean;
}
/** Ready (or starting) runners, oldest first: a click takes the first. */
const spares: Spare[] = [];
/** Runs in flight: spares start and prime only when none is (a busy spare on a 2-core machine slows the run). */
let running = 0;
/**
 * Runs finished on this page. Until the second, the pool keeps a single spare: most readers run an
 * exercise's tests once or never, and a second spare costs a start-up and a priming pass (≈0.5 s of
 * CPU) that only pays when the learner runs again.
 */
let runsDone = 0;
/** What new spares are prepared and primed for: the last exercise warmed up or run. */
let poolFor: { tests: TestSource[] | null; prime: PrimeFor | null; references?: ReferenceEntry[] } = { tests: null, prime: null };

/** Start a spare runner with `tests` prepared in it (if given); it primes with `prime`'s starter once ready and idle. */
function startSpare(tests: TestSource[] | null, prime: PrimeFor | null = null): Spare {
  const handle = spawnBrowserWorker();
  const s: Spare = { handle, tests, prime: tests ? prime : null, ready: false, primed: false, priming: false, shared: false };
  let gotReady = false;
  handle.tap((m) => {
    if (m.type === 'ready') gotReady = true;
    if (m.type === 'primed') {
      s.priming = false;
      // The first whole priming pass of these tests: later spares get its reference reports. Only
      // from a spare still in the pool — one a click or a drawing took may have run learner code.
      const idle = spares.includes(s);
      if (idle && Array.isArray(m.references) && poolFor.tests !== null && s.tests === poolFor.tests && !poolFor.references) poolFor.references = m.references;
    }
    const ready = gotReady && (s.tests === null || m.type === 'prepared' || s.ready);
    if (ready && !s.ready) {
      s.ready = true;
      tendPool();
    } else if (m.type === 'primed') tendPool();
  });
  // A spare that dies while waiting (its host failed, the worker crashed) leaves the pool, which
  // would otherwise wait for it forever before starting another. The pool refills at the next
  // warm-up or run, not at once: a runner that cannot start would fail again, in a loop.
  handle.onDead(() => {
    const i = spares.indexOf(s);
    if (i >= 0) spares.splice(i, 1);
  });
  const references = tests && tests === poolFor.tests ? poolFor.references : undefined;
  s.shared = references !== undefined;
  if (tests) handle.prepare(tests, references);
  spares.push(s);
  return s;
}

/** The pool as it stands, oldest first (for benches and tests). */
export function poolState(): { ready: boolean; primed: boolean; priming: boolean; shared: boolean }[] {
  return spares.map(({ ready, primed, priming, shared }) => ({ ready, primed, priming, shared }));
}

/** Take the runner a click (or a drawing) uses: the oldest ready spare, else the oldest, or null. */
function takeSpare(): Spare | null {
  const i = Math.max(0, spares.findIndex((s) => s.ready));
  return spares.splice(i, 1)[0] ?? null;
}

/**
 * Keep the pool going while no run is in flight: one spare at a time starts, one at a time primes
 * (oldest first, so a click usually takes the primed or priming one), up to `runnerTuning.spares`.
 */
function tendPool(): void {
  if (running > 0 && !runnerTuning.primeWhileRunning) return;
  if (spares.some((s) => s.priming)) return;
  if (runnerTuning.prime) {
    // (a spare whose exercise has no starter is marked primed without priming, so the loop ends)
    for (let next = spares.find((s) => s.ready && !s.primed && s.prime); next; next = spares.find((s) => s.ready && !s.primed && s.prime)) {
      primeSpare(next);
      if (next.priming) return;
    }
  }
  if (running > 0 || spares.some((s) => !s.ready)) return;
  const want = poolFor.tests && runsDone >= 2 ? Math.max(1, runnerTuning.spares) : 1;
  if (spares.length < want) startSpare(poolFor.tests, poolFor.prime);
}

/** Send spare `s` its 'prime' (once; only with a starter). */
function primeSpare(s: Spare): void {
  if (s.primed || !s.prime) return;
  s.primed = true;
  const { id, exports, exportKinds } = s.prime;
  const load = starters[`/exercises/${id}/starter.ts`];
  if (!load) return;
  s.priming = true;
  const send = (code: string) => s.handle.prime({ type: 'prime', code, exports, ...(exportKinds ? { exportKinds } : {}) });
  // Sent at once when the starter is known, so it goes out before the next click's 'load'.
  const known = starterCode.get(id);
  if (known !== undefined) return send(known);
  void load().then(
    (code) => {
      starterCode.set(id, code);
      // Still a spare (a click takes it; a 'load' that came first makes 'prime' a no-op).
      if (spares.includes(s)) send(code);
      else s.priming = false;
    },
    () => {
      s.priming = false;
    },
  );
}
const starterCode = new Map<string, string>();

const sameTests = (a: TestSource[] | null, b: TestSource[]) =>
  !!a && a.length === b.length && a.every((t, i) => t.file === b[i]!.file && t.source === b[i]!.source && !!t.prefixNames === !!b[i]!.prefixNames && t.compiled === b[i]!.compiled);

/**
 * Have a runner ready for the next "Run tests": call at page idle or on hover/focus of
 * "Open editor", with the exercise id so its tests are compiled ahead. Cheap to call again.
 * Never throws.
 */
export function warmUp(id?: string): void {
  if (typeof Worker === 'undefined' || typeof document === 'undefined') return;
  if (!id) {
    if (spares.length === 0) startSpare(null);
    return;
  }
  void exerciseFiles(id).then(
    (ex) => {
      if (!ex) return;
      const prime: PrimeFor = { id, exports: ex.meta.exports, exportKinds: ex.meta.exportKinds };
      if (sameTests(poolFor.tests, ex.tests) && spares.every((s) => sameTests(s.tests, ex.tests))) return tendPool();
      poolFor = { tests: ex.tests, prime };
      // A spare started without tests learns them now; spares for another exercise make way.
      for (const s of spares.splice(0)) {
        if (s.tests === null) {
          s.tests = ex.tests;
          s.prime = prime;
          s.ready = false;
          s.handle.prepare(ex.tests);
          spares.push(s);
        } else if (sameTests(s.tests, ex.tests)) spares.push(s);
        else s.handle.terminate();
      }
      // (a spare re-prepared here becomes ready again on its 'prepared')
      tendPool();
    },
    () => {},
  );
}

function failed(id: string, message: string, started: number): RunResult {
  return { exercise: id, passed: 0, failed: 1, total: 1, tests: [{ name: 'loading your code', status: 'error', message }], loadError: message, durationMs: Date.now() - started };
}

/** Called with each test's result as soon as the runner has it (before the run ends). */
export type OnResult = (result: TestResult, index: number, names: readonly string[]) => void;

export type { LateDiffText };
/**
 * Called once, after the verdict (in a later task), with the failures' messages completed by
 * their "- Expected / + Received" diffs (index into RunResult.tests, name, whole message) — an
 * empty list when there are none or none came in time (orchestrate.ts `lateDiffs`: a bounded
 * wait). Not called if a new run started meanwhile. Asking for it makes the runner format the
 * diffs after the last result instead of in each failing test.
 */
export type OnDiffs = (diffs: LateDiffText[]) => void;

/** The previous run's runner while it formats late diffs: a new run ends it. */
let formatting: AbortController | null = null;

/** How the last runs' late diffs ended (newest last; for benches and tests). */
export const lateDiffsLog: LateDiffsEnd[] = [];

/**
 * Transpile `code`, run exercise `id`'s tests against it in a sandboxed runner and return the
 * results. `timeoutMs` is the per-test limit (default 2000); a run stops after 10 s in total.
 * `onResult` streams each result as it arrives (show the first failure at once).
 * `only` (full test names, "Re-run failing only"): the runner collects every test but runs only
 * these, in file order; the result then lists just them (names it does not know are ignored).
 * Never throws for learner mistakes: they come back as results.
 */
export async function runExercise(opts: { id: string; code: string; timeoutMs?: number; onResult?: OnResult; onDiffs?: OnDiffs; only?: readonly string[] }): Promise<RunResult> {
  const started = Date.now();
  const { id, code } = opts;
  try {
    const ex = await exerciseFiles(id);
    if (!ex) {
      const known = Object.keys(metas).map((k) => k.split('/')[2]).sort();
      return failed(id, `unknown exercise '${id}' (known: ${known.join(', ')})`, started);
    }
    return await runTestSources({ exercise: id, exports: ex.meta.exports, exportKinds: ex.meta.exportKinds, code, tests: ex.tests, timeoutMs: opts.timeoutMs, onResult: opts.onResult, ...(opts.onDiffs ? { onDiffs: opts.onDiffs } : {}), ...(opts.only ? { only: opts.only } : {}) });
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
  /** The failures' diffs, after the verdict (see OnDiffs). Without it they are in the messages. */
  onDiffs?: OnDiffs;
  /** Run only the tests with these full names (see runExercise). */
  only?: readonly string[];
}): Promise<RunResult> {
  const started = Date.now();
  // A click ends the previous run's runner if it is still formatting diffs (nobody reads them now).
  formatting?.abort();
  formatting = null;
  running++;
  try {
    const perTestMs = opts.timeoutMs ?? DEFAULT_PER_TEST_MS;
    // A spare prepared for other tests still saves the start-up; 'load' compiles these tests.
    const prestarted = takeSpare()?.handle;
    // New spares are for this exercise.
    if (!sameTests(poolFor.tests, opts.tests)) poolFor = { tests: opts.tests, prime: { id: opts.exercise, exports: opts.exports, exportKinds: opts.exportKinds } };
    // While a spare is left (ready or starting), the pool refills when this run ends (tendPool).
    // When none is, the next starts NOW, beside this run, so that a click right after this verdict
    // finds it ready (clicks in a row); on a cold start (no spare at all) it waits until this
    // run's runner has loaded the code, so two runners do not start up at once and delay the first
    // results. The page's FIRST run refills after it, too: it comes right after the editor opened,
    // beside Monaco's TypeScript worker checking the file, and a runner starting up as well slowed
    // it (built site, 6 interleaved pairs, idle: cold run 571 → 481 ms median).
    let nextStarted = spares.length > 0 || runsDone === 0;
    const startNext = () => {
      if (nextStarted) return;
      nextStarted = true;
      startSpare(poolFor.tests, poolFor.prime);
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
    const onDiffs = opts.onDiffs;
    let lateDiffs: OrchestrateOptions['lateDiffs'];
    if (onDiffs) {
      const ac = new AbortController();
      formatting = ac;
      lateDiffs = {
        signal: ac.signal,
        onSettled: (how, got) => {
          if (formatting === ac) formatting = null;
          if (lateDiffsLog.push(how) > 20) lateDiffsLog.shift();
          if (ac.signal.aborted) return;
          try {
            onDiffs(got);
          } catch {
            /* the UI's callback must not break anything */
          }
        },
      };
    }
    return await orchestrate(
      spawn,
      // `only` rides along in the payload (runtime/session.ts LoadPayload); orchestrate passes it on.
      { exercise: opts.exercise, exports: opts.exports, exportKinds: opts.exportKinds, code: opts.code, tests: opts.tests, ...(opts.only ? { only: [...opts.only] } : {}) } as Parameters<typeof orchestrate>[1],
      { perTestMs, perRunMs: Math.max(BROWSER_RUN_LIMIT_MS, 2 * perTestMs), prestarted, batchedResults: RESULT_BATCH_MAX, ...(lateDiffs ? { lateDiffs } : {}) },
    );
  } catch (e) {
    return failed(opts.exercise, `the test runner failed: ${(e as Error)?.message ?? String(e)}`, started);
  } finally {
    running--;
    runsDone++;
    // The results are on screen now; the learner reads them while the pool refills and primes.
    if (runnerTuning.primeAfterRunMs > 0) setTimeout(tendPool, runnerTuning.primeAfterRunMs);
    else tendPool();
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
  // A spare (prepared or not) can draw; the pool refills behind it.
  const taken = takeSpare();
  const h: BrowserWorkerHandle = taken ? taken.handle : spawnBrowserWorker();
  tendPool();
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
