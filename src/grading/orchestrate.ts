/**
 * Parent side of a grading run (Node and browser alike): starts a worker, loads the learner's
 * module and the tests in it, then runs the tests ONE AT A TIME under a watchdog. A test that
 * does not answer within the per-test limit (a synchronous infinite loop cannot be interrupted
 * from inside) is marked 'timeout', the worker is terminated, a fresh one is started and the run
 * continues with the NEXT test. The per-run limit caps the total. A runner that posts results in
 * small batches (the browser's, `batchedResults`) has the tests it may have held run again one by
 * one after a timeout or a crash, so the test charged is still the one that hung.
 * Never throws for learner mistakes: everything becomes a RunResult.
 */
import type { CompileError, GradeLimits, RunPayload, RunResult, TestResult } from './types.ts';
import { DEFAULT_PER_RUN_MS, DEFAULT_PER_TEST_MS, OUTPUT_CAP_BYTES } from './types.ts';
import type { LoadPayload, ParentMessage, WorkerMessage } from './runtime/session.ts';
import type { LateDiffsEnd, LateDiffText } from './late-diffs.ts';

export type { LateDiffsEnd, LateDiffText };

export interface WorkerHandle {
  post(msg: ParentMessage): void;
  /** Called for every message; `onExit` when the worker dies (error, crash, out of memory). */
  listen(onMessage: (msg: WorkerMessage) => void, onExit: (reason: string) => void): void;
  terminate(): void;
}

export type SpawnWorker = () => WorkerHandle;

/** Extra time the watchdog allows over the per-test limit (the worker's own async race fires first). */
const WATCHDOG_GRACE_MS = 250;
/** How long a fresh worker may take to initialise (module loading) before the run is abandoned. */
const STARTUP_LIMIT_MS = 30_000;

const seconds = (ms: number) => {
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
};

function randomNonce(): string {
  const c = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  return c?.randomUUID ? c.randomUUID() : `${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;
}

type Waited<T> = { kind: 'message'; msg: T } | { kind: 'timeout' } | { kind: 'exit'; reason: string } | { kind: 'violation'; reason: string };

const STATUSES = new Set(['passed', 'failed', 'error', 'timeout']);
const str = (v: unknown): v is string => typeof v === 'string';
const optStr = (v: unknown) => v === undefined || typeof v === 'string';

/**
 * Is `m` a well-formed WorkerMessage? Everything a runner sends is checked before the parent looks
 * at it: a runner that learner code has subverted must not be able to crash or confuse the parent.
 */
export function isWorkerMessage(m: unknown): m is WorkerMessage {
  if (!m || typeof m !== 'object') return false;
  const o = m as Record<string, unknown>;
  switch (o.type) {
    case 'ready':
      return true;
    case 'prepared':
      return typeof o.ok === 'boolean';
    case 'primed':
      return ['ran', 'total', 'ms'].every((k) => typeof o[k] === 'number') && typeof o.stopped === 'boolean';
    case 'evaluating':
      return str(o.nonce);
    case 'loaded':
      return str(o.nonce) && Array.isArray(o.names) && o.names.every(str) && optStr(o.output);
    case 'load-failed': {
      const ce = o.compileError as Record<string, unknown> | undefined;
      const ceOk = ce === undefined || (!!ce && typeof ce === 'object' && Number.isInteger(ce.line) && Number.isInteger(ce.column) && str(ce.message));
      return str(o.nonce) && ceOk && optStr(o.loadError) && optStr(o.output);
    }
    case 'result': {
      const r = o.result as Record<string, unknown> | undefined;
      return (
        str(o.nonce) && Number.isInteger(o.index) && !!r && typeof r === 'object' && str(r.name) && STATUSES.has(r.status as string) && str(r.message) &&
        optStr(r.output) && (r.durationMs === undefined || typeof r.durationMs === 'number')
      );
    }
    default:
      return false;
  }
}

/**
 * A worker plus a one-message-at-a-time mailbox. Once the run's nonce is set, a message carrying
 * another nonce (or a malformed message at any time) is a protocol violation: the run cannot be
 * trusted any more, and every later `next` says so. Except a 'diffs' message (late diffs), which
 * can decide nothing: it is kept (the first of this run) or dropped, never a violation.
 */
export class Mailbox {
  private queue: WorkerMessage[] = [];
  private exitReason: string | null = null;
  private violation: string | null = null;
  private nonce: string | null = null;
  private waiter: (() => void) | null = null;
  private diffs = false;
  readonly handle: WorkerHandle;
  constructor(handle: WorkerHandle) {
    this.handle = handle;
    handle.listen(
      (msg) => {
        // Late diffs are text for failures already decided: whatever arrives as one (forged,
        // malformed, another run's, a second one) is never a violation and never a verdict; the
        // first with this run's nonce is queued (its `diffs` unchecked: see lateDiffsOf), the rest dropped.
        if ((msg as { type?: unknown } | null)?.type === 'diffs') {
          if (!this.diffs && this.nonce !== null && (msg as { nonce?: unknown }).nonce === this.nonce) this.diffs = !!this.queue.push(msg);
        } else if (!isWorkerMessage(msg)) this.violation ??= 'a malformed message';
        else if ('nonce' in msg && msg.nonce !== this.nonce) this.violation ??= `a '${msg.type}' message that does not belong to this run`;
        else this.queue.push(msg);
        this.waiter?.();
      },
      (reason) => {
        this.exitReason = reason;
        this.waiter?.();
      },
    );
  }
  /** From now on only messages with this nonce are accepted. */
  expectNonce(nonce: string): void {
    this.nonce = nonce;
  }
  /** Messages received and not taken yet. */
  pending(): readonly WorkerMessage[] {
    return this.queue;
  }
  get violated(): string | null {
    return this.violation;
  }
  /** Stop waiting: from now on `next` says the worker is gone (a run that no longer wants its diffs). */
  end(reason: string): void {
    this.exitReason ??= reason;
    this.waiter?.();
  }
  /** Wait for the next message accepted by `accept`, at most `ms`. */
  async next<T extends WorkerMessage>(accept: (m: WorkerMessage) => m is T, ms: number): Promise<Waited<T>> {
    const deadline = Date.now() + ms;
    for (;;) {
      if (this.violation !== null) return { kind: 'violation', reason: this.violation };
      const i = this.queue.findIndex(accept);
      if (i >= 0) return { kind: 'message', msg: this.queue.splice(i, 1)[0] as T };
      if (this.exitReason !== null) return { kind: 'exit', reason: this.exitReason };
      const left = deadline - Date.now();
      if (left <= 0) return { kind: 'timeout' };
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          this.waiter = null;
          resolve();
        }, left);
        this.waiter = () => {
          clearTimeout(t);
          this.waiter = null;
          resolve();
        };
      });
    }
  }
}

/** The message a test gets when its run broke the protocol (forged, duplicate or unknown results). */
export function untrustedMessage(why: string): string {
  return `the grader received ${why} from the test runner — this run cannot be trusted, so no test counts as passed`;
}

/** Compare the names a runner collected with the trusted ones; null when they agree. */
function namesMismatch(got: readonly string[], want: readonly string[] | null): string | null {
  const dup = got.find((n, i) => got.indexOf(n) !== i);
  if (dup !== undefined) return `a duplicate test name ('${dup}')`;
  if (!want) return null;
  if (got.length === want.length && got.every((n, i) => n === want[i])) return null;
  const unknown = got.filter((n) => !want.includes(n));
  const missing = want.filter((n) => !got.includes(n));
  const show = (xs: string[]) => xs.slice(0, 3).map((x) => `'${x}'`).join(', ') + (xs.length > 3 ? ` and ${xs.length - 3} more` : '');
  if (unknown.length) return `an unknown test name (${show(unknown)})`;
  if (missing.length) return `a test list without ${show(missing)}`;
  return 'the tests in another order';
}

function summarise(exercise: string, tests: TestResult[], started: number, extra: Partial<RunResult> = {}): RunResult {
  const passed = tests.filter((t) => t.status === 'passed').length;
  return { exercise, passed, failed: tests.length - passed, total: tests.length, tests, durationMs: Date.now() - started, ...extra };
}

function capTotalOutput(tests: TestResult[]): void {
  let used = 0;
  for (const t of tests) {
    if (!t.output) continue;
    if (used >= OUTPUT_CAP_BYTES) {
      t.output = `[output not shown: the run's ${Math.round(OUTPUT_CAP_BYTES / 1024)} KB output cap was reached by earlier tests]`;
      continue;
    }
    if (used + t.output.length > OUTPUT_CAP_BYTES) {
      t.output = `${t.output.slice(0, OUTPUT_CAP_BYTES - used)}\n… [output capped: the run's ${Math.round(OUTPUT_CAP_BYTES / 1024)} KB limit was reached]\n`;
    }
    used += t.output.length;
  }
}

export interface OrchestrateOptions extends GradeLimits {
  /** A worker already started (browser warm-up); used for the first attempt if given. */
  prestarted?: WorkerHandle;
  /** Stop at the first test that does not pass (the result then lists only the tests run). */
  bail?: boolean;
  /**
   * The test names, as the PARENT collected them (Node: from the reference solution in a separate
   * sealed child). The runner's list must match exactly; results are accepted only for these names,
   * one each, in order. Null (or a promise of null) when they could not be collected: the runner's
   * list is used, but a duplicate name still fails the run.
   */
  expectedNames?: readonly string[] | null | Promise<readonly string[] | null>;
  /**
   * Late diffs (the browser: its verdict is shown at once, the diffs when a reader opens a
   * failure): the runner sends failures with their message alone and formats their diffs after
   * the last result. orchestrate returns the verdict as soon as the last result is in; it then
   * waits at most `waitMs` (default: the per-test limit + 250 ms) for the diffs, checks them
   * (late-diffs.ts lateDiffsOf), calls `onSettled` and only then ends the worker; `signal` ends
   * the wait at once. `onSettled` (must not throw) is called once, in a later task than the
   * verdict, with how it ended ('none' also when no runner owed diffs) and the checked diffs
   * (empty unless 'delivered').
   * Without this option the diffs are part of the messages, as in the CLI and Gradescope reports.
   */
  lateDiffs?: {
    waitMs?: number;
    signal?: AbortSignal;
    onSettled: (how: LateDiffsEnd, diffs: LateDiffText[]) => void;
  };
  /**
   * The runner may hold up to this many results before posting them together (the browser's
   * batching, src/grading/browser/batch.ts). After a timeout or a crash the parent then cannot
   * tell which held test was running, so it starts a fresh runner at the first test it has no
   * result for, with `oneByOne`, and gives the tests that may have been held
   * {@link ATTRIBUTION_MS} each (they had run to completion before the hang, and the hanging one
   * had already used its whole limit), and the rest of the run goes one by one. Absent: results
   * come one by one (Node).
   */
  batchedResults?: number;
}

/**
 * How long a test that may have been held in a batch gets when the batch is run again one by one
 * after a timeout (ms; never more than the per-test limit). Generous: a test that finished in a
 * warm runner, now in a fresh one, must not be taken for the one that hung.
 */
export const ATTRIBUTION_MS = 1000;

export async function orchestrate(spawn: SpawnWorker, payload: Omit<RunPayload, 'perTestMs'>, opts: OrchestrateOptions = {}): Promise<RunResult> {
  const state = { awaitingDiffs: false };
  try {
    return await orchestrateRun(spawn, payload, opts, state);
  } finally {
    // No runner owes diffs (none failed that way, a load error, a broken protocol, a restart): say so, after the verdict.
    const late = opts.lateDiffs;
    if (late && !state.awaitingDiffs) setTimeout(() => late.onSettled('none', []), 0);
  }
}

async function orchestrateRun(spawn: SpawnWorker, payload: Omit<RunPayload, 'perTestMs'>, opts: OrchestrateOptions, state: { awaitingDiffs: boolean }): Promise<RunResult> {
  const perTestMs = opts.perTestMs ?? DEFAULT_PER_TEST_MS;
  const perRunMs = opts.perRunMs ?? DEFAULT_PER_RUN_MS;
  const late = opts.lateDiffs;
  const full: LoadPayload = { ...payload, perTestMs, ...(late ? { lateDiffs: true } : {}) };
  const started = Date.now();
  // The per-run clock starts once the first runner is up: starting Node/the worker bundle is not
  // the learner's time (restarts after a timeout are).
  let clock: number | null = null;
  const left = () => perRunMs - (clock === null ? 0 : Date.now() - clock);
  const results: TestResult[] = [];
  let names: readonly string[] | null = null;
  let loadOutput: string | undefined;
  let index = 0;
  let prestarted = opts.prestarted;
  /** The runner that sent the last result and owes late diffs for `lateIndices` (then not ended by the run). */
  let owes: Mailbox | null = null;
  const lateIndices = new Set<number>();
  // After a batching runner stopped: results one by one, and tests up to `suspectUntil` get a
  // shorter limit (one of them ran out its whole limit already).
  let oneByOne = false;
  let suspectUntil = -1;

  /** A broken protocol (forged, duplicate, unknown or malformed message): every test fails. */
  const untrusted = async (why: string): Promise<RunResult> => {
    const trusted = (await opts.expectedNames) ?? names ?? [];
    const message = untrustedMessage(why);
    if (trusted.length === 0) return summarise(payload.exercise, [{ name: 'loading your code', status: 'error', message }], started, { loadError: message });
    return summarise(payload.exercise, trusted.map((name) => ({ name, status: 'error', message })), started);
  };

  const stopRest = (from: number, why: string) => {
    for (let i = from; i < (names?.length ?? 0); i++) {
      if (!results[i]) results[i] = { name: (names as string[])[i], status: 'timeout', message: why };
    }
  };

  for (;;) {
    // Late results from a runner that was replaced (a timeout) get no diff: it is gone.
    lateIndices.clear();
    let box = new Mailbox(prestarted ?? spawn());
    const wasPrestarted = prestarted !== undefined;
    prestarted = undefined;
    const nonce = randomNonce();
    try {
      const readyLimit = () => (names ? Math.max(0, Math.min(STARTUP_LIMIT_MS, left())) : STARTUP_LIMIT_MS);
      let ready = await box.next((m): m is Extract<WorkerMessage, { type: 'ready' }> => m.type === 'ready', readyLimit());
      if (ready.kind === 'exit' && wasPrestarted) {
        // A warmed-up runner that died while idle: start a fresh one instead.
        box.handle.terminate();
        box = new Mailbox(spawn());
        ready = await box.next((m): m is Extract<WorkerMessage, { type: 'ready' }> => m.type === 'ready', readyLimit());
      }
      if (ready.kind === 'exit' || ready.kind === 'timeout') {
        const why = ready.kind === 'exit' ? `the test runner could not start: ${ready.reason}` : 'the test runner did not start in time';
        if (!names) return summarise(payload.exercise, [{ name: 'loading your code', status: 'error', message: why }], started, { loadError: why });
        stopRest(index, why);
        break;
      }
      if (ready.kind === 'violation') return await untrusted(ready.reason);
      if (clock === null) clock = Date.now();
      box.expectNonce(nonce);
      box.handle.post({ type: 'load', nonce, payload: full });
      // Compiling (sucrase in a cold worker) is not the learner's time; evaluating their module is.
      const compiled = await box.next(
        (m): m is Extract<WorkerMessage, { type: 'evaluating' | 'load-failed' }> => (m.type === 'evaluating' || m.type === 'load-failed') && m.nonce === nonce,
        STARTUP_LIMIT_MS,
      );
      type LoadReply = Extract<WorkerMessage, { type: 'loaded' | 'load-failed' }>;
      let loaded: Waited<LoadReply>;
      if (compiled.kind === 'message' && compiled.msg.type === 'evaluating') {
        loaded = await box.next(
          (m): m is LoadReply => (m.type === 'loaded' || m.type === 'load-failed') && m.nonce === nonce,
          Math.max(0, Math.min(perTestMs + WATCHDOG_GRACE_MS, left() + WATCHDOG_GRACE_MS)),
        );
      } else if (compiled.kind === 'message' && compiled.msg.type === 'load-failed') {
        loaded = { kind: 'message', msg: compiled.msg };
      } else if (compiled.kind === 'exit' || compiled.kind === 'violation') {
        loaded = compiled;
      } else {
        loaded = { kind: 'exit', reason: 'compiling took too long' };
      }
      if (loaded.kind === 'violation') return await untrusted(loaded.reason);
      if (loaded.kind !== 'message' || loaded.msg.type === 'load-failed') {
        let why: string;
        let compileError: CompileError | undefined;
        let output: string | undefined;
        if (loaded.kind === 'timeout') why = `loading your code was stopped after ${seconds(perTestMs)} — possibly an infinite loop at the top level of your file`;
        else if (loaded.kind === 'exit') why = `the test runner stopped while loading your code: ${loaded.reason}`;
        else if (loaded.msg.type === 'load-failed') {
          why = loaded.msg.loadError ?? '';
          compileError = loaded.msg.compileError;
          output = loaded.msg.output || undefined;
        } else why = 'unexpected reply from the test runner';
        if (!names) {
          if (compileError) return summarise(payload.exercise, [], started, { compileError, output });
          return summarise(payload.exercise, [{ name: 'loading your code', status: 'error', message: why }], started, { loadError: why, output });
        }
        stopRest(index, `not run: reloading after the previous test failed (${why})`);
        break;
      }
      if (!names) {
        // Waiting for the trusted names (collected in parallel) is not the learner's time.
        const waitStarted = Date.now();
        const want = (await opts.expectedNames) ?? null;
        if (clock !== null) clock += Date.now() - waitStarted;
        const mismatch = namesMismatch(loaded.msg.names, want);
        if (mismatch) return await untrusted(mismatch);
        names = loaded.msg.names;
        loadOutput = loaded.msg.output || undefined;
      } else {
        // A fresh runner after a timeout must collect exactly the same tests.
        const mismatch = namesMismatch(loaded.msg.names, names);
        if (mismatch) return await untrusted(mismatch);
      }
      let restart = false;
      const batching = opts.batchedResults !== undefined && opts.batchedResults > 1 && !oneByOne;
      if (index < names.length) box.handle.post(oneByOne ? { type: 'run', from: index, oneByOne: true } : { type: 'run', from: index });
      while (index < names.length) {
        if (left() <= 0) {
          stopRest(index, `not run: the whole run reached its ${seconds(perRunMs)} limit`);
          return finish();
        }
        const testLimit = index <= suspectUntil ? Math.min(perTestMs, ATTRIBUTION_MS) : perTestMs + WATCHDOG_GRACE_MS;
        const limit = Math.min(testLimit, left());
        const runLimited = limit < testLimit;
        const i = index;
        // Any result is taken, then checked: it must be for test i, by name, exactly once.
        const got = await box.next((m): m is Extract<WorkerMessage, { type: 'result' }> => m.type === 'result', limit);
        if (got.kind === 'violation') return await untrusted(got.reason);
        if (got.kind === 'message') {
          const r = got.msg;
          if (r.index !== i || r.result.name !== names[i]) {
            const known = names.includes(r.result.name);
            return await untrusted(known ? `a duplicate or out-of-order result ('${r.result.name}')` : `a result for an unknown test ('${r.result.name}')`);
          }
          // The name is the parent's; `extra` is decided here from the file prefixes, never by the runner.
          const { extra: _ignored, ...fromRunner } = r.result;
          results[index] = { ...fromRunner, name: names[index] };
          if (late && r.late === true && fromRunner.status === 'failed') lateIndices.add(index);
          index++;
          if (opts.bail && got.msg.result.status !== 'passed') return finish();
          continue;
        }
        if (batching && runLimited) {
          // Which test was running is unknown (results may have been held) and no time is left to
          // find out: none of the rest is charged with the loop.
          stopRest(index, `stopped or not run: the whole run reached its ${seconds(perRunMs)} limit — possibly an infinite loop`);
          return finish();
        }
        if (batching) {
          // A timeout or a crash, and the runner may have held the results of tests that finished
          // before it: run them again, one by one, in a fresh runner (see `batchedResults`).
          oneByOne = true;
          suspectUntil = index + (opts.batchedResults as number);
          restart = true;
          break;
        }
        // Found (or never batched). The rest of this run goes one by one with the usual limits: code
        // that hung once tends to hang again, and each later hang then costs no second run.
        suspectUntil = -1;
        if (got.kind === 'timeout') {
          results[index] = {
            name: names[index],
            status: 'timeout',
            message: runLimited
              ? `stopped: the whole run reached its ${seconds(perRunMs)} limit — possibly an infinite loop`
              : `stopped after ${seconds(perTestMs)} — possibly an infinite loop`,
          };
        } else {
          results[index] = { name: names[index], status: 'error', message: `the test runner stopped during this test: ${got.reason}` };
        }
        index++;
        if (opts.bail) return finish();
        restart = true;
        break;
      }
      if (!restart) {
        // Results nobody asked for (a duplicate after the last test) break the protocol too.
        const extra = box.pending().find((m) => m.type === 'result');
        if (box.violated) return await untrusted(box.violated);
        if (extra && extra.type === 'result') return await untrusted(`a duplicate or out-of-order result ('${extra.result.name}')`);
        if (late && lateIndices.size > 0) owes = box;
        break;
      }
    } finally {
      if (owes !== box) box.handle.terminate();
    }
    if (index >= (names?.length ?? 0)) break;
    if (left() <= 0) {
      stopRest(index, `not run: the whole run reached its ${seconds(perRunMs)} limit`);
      break;
    }
  }
  return finish();

  function finish(): RunResult {
    if (owes && late) {
      // The verdict goes out now; the diffs follow (after this function's caller has it).
      const box = owes;
      owes = null;
      state.awaitingDiffs = true;
      const indices = new Set(lateIndices);
      const shown = results.slice();
      // Loaded when first needed (a chunk of its own in the browser: the verdict does not need it).
      void import('./late-diffs.ts').then(
        (m) => m.awaitDiffs(box, late, indices, shown, perTestMs + WATCHDOG_GRACE_MS),
        () => {
          box.handle.terminate();
          late.onSettled('exit', []);
        },
      );
    }
    const tests = results.filter(Boolean);
    const extraPrefixes = payload.tests.filter((t) => t.prefixNames).map((t) => `${t.file} > `);
    if (extraPrefixes.length) for (const t of tests) if (extraPrefixes.some((p) => t.name.startsWith(p))) t.extra = true;
    capTotalOutput(tests);
    const elapsed = Date.now() - (clock ?? started);
    const stopped = tests.some((t) => t.message.includes('whole run reached its')) ? { stoppedAfterMs: elapsed } : {};
    return summarise(payload.exercise, tests, started, { ...stopped, ...(loadOutput ? { output: loadOutput } : {}) });
  }
}

/** Load only (no tests run) and return the test names, or null if loading failed. */
export async function collectNames(spawn: SpawnWorker, payload: Omit<RunPayload, 'perTestMs'>, perTestMs = DEFAULT_PER_TEST_MS): Promise<string[] | null> {
  const box = new Mailbox(spawn());
  const nonce = randomNonce();
  try {
    const ready = await box.next((m): m is Extract<WorkerMessage, { type: 'ready' }> => m.type === 'ready', STARTUP_LIMIT_MS);
    if (ready.kind !== 'message') return null;
    box.expectNonce(nonce);
    box.handle.post({ type: 'load', nonce, payload: { ...payload, perTestMs } });
    const loaded = await box.next(
      (m): m is Extract<WorkerMessage, { type: 'loaded' | 'load-failed' }> => (m.type === 'loaded' || m.type === 'load-failed') && m.nonce === nonce,
      STARTUP_LIMIT_MS + perTestMs + WATCHDOG_GRACE_MS,
    );
    if (loaded.kind !== 'message' || loaded.msg.type !== 'loaded') return null;
    return namesMismatch(loaded.msg.names, null) ? null : loaded.msg.names;
  } finally {
    box.handle.terminate();
  }
}
