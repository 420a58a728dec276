/** Run learner code against test sources in the sealed runtime (a worker thread), through orchestrate. */
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { orchestrate, type LateDiffText, type WorkerHandle } from '../../../src/grading/orchestrate.ts';
import type { WorkerMessage } from '../../../src/grading/runtime/session.ts';
import type { RunResult, TestSource } from '../../../src/grading/types.ts';
import type { DrawOutcome, DrawScenario } from '../../../src/grading/runtime/draw.ts';
import { ROOT } from '../helpers.ts';

/**
 * A harness worker as orchestrate's WorkerHandle. `route`, if given, sees each message first and
 * may take it (return true) or hand it on later with `deliver` (the primed runner below).
 */
function harnessWorker(route?: (m: WorkerMessage, w: Worker, deliver: (m: WorkerMessage) => void) => boolean): WorkerHandle {
  const w = new Worker(new URL('./harness-worker.ts', import.meta.url), { stdout: true, stderr: true });
  let onMsg: ((m: WorkerMessage) => void) | null = null;
  const early: WorkerMessage[] = [];
  let onExit: ((r: string) => void) | null = null;
  let terminated = false;
  const deliver = (m: WorkerMessage) => (onMsg ? onMsg(m) : early.push(m));
  w.on('message', (m: WorkerMessage) => {
    if (!route?.(m, w, deliver)) deliver(m);
  });
  w.on('error', (e) => onExit?.(String(e)));
  w.on('exit', (c) => !terminated && onExit?.(`exited ${c}`));
  return {
    post: (m) => w.postMessage(m),
    listen(m, x) {
      onMsg = m;
      onExit = x;
      for (const e of early.splice(0)) m(e);
    },
    terminate() {
      terminated = true;
      void w.terminate();
    },
  };
}

const spawn = (): WorkerHandle => harnessWorker();

export interface Exercise {
  id: string;
  exports: string[];
  tests: TestSource[];
}

export function exercise(dir: string, id: string): Exercise {
  const meta = JSON.parse(readFileSync(`${dir}/exercise.json`, 'utf8')) as { exports: string[] };
  return { id, exports: meta.exports, tests: [{ file: `${id}.test.ts`, source: readFileSync(`${dir}/${id}.test.ts`, 'utf8') }] };
}

export const TOY = exercise(`${ROOT}tests/grading/fixtures/toy-sum`, 'toy-sum');
export const EARLY_ABORT = exercise(`${ROOT}exercises/early-abort`, 'early-abort');

export function runInRealm(ex: Exercise, code: string, perTestMs = 2000, only?: readonly string[]): Promise<RunResult> {
  // `only` ("Re-run failing only", issue 14) rides in the load payload (runtime/session.ts LoadPayload).
  const payload = { exercise: ex.id, exports: ex.exports, code, tests: ex.tests, ...(only ? { only } : {}) };
  return orchestrate(spawn, payload, { perTestMs, perRunMs: 60_000 });
}

export { report } from './report.ts';

/** "Draw my run" in the sealed runtime: one 'draw' message to a fresh harness worker. */
export function drawInRealm(code: string, scenario: DrawScenario): Promise<DrawOutcome> {
  const h = spawn();
  return new Promise<DrawOutcome>((resolve, reject) => {
    h.listen(
      (m) => {
        if (m.type === 'ready') h.post({ type: 'draw', nonce: 'n1', code, scenario } as unknown as Parameters<WorkerHandle['post']>[0]);
        else if (m.type === 'drawn') resolve(m.outcome);
      },
      (r) => reject(new Error(r)),
    );
  }).finally(() => h.terminate());
}

/** When a primed runner is handed to orchestrate (see {@link primedRunner}). */
export type Click = 'after-priming' | 'at-once' | 'during';
export type Primed = Extract<WorkerMessage, { type: 'primed' }>;

/**
 * A harness worker prepared and primed with `starter` before orchestrate gets it, as the browser's
 * spare runners are: 'after-priming' hands it over once priming has ended; 'at-once' lets the
 * run's 'load' follow 'prime' at once (priming must stop before its first step); 'during' hands it
 * over `delayMs` after 'prepared' (usually in the middle of priming).
 */
export function primedRunner(ex: Exercise, starter: string, click: Click, delayMs = 0): { handle: WorkerHandle; primed: Promise<Primed> } {
  let heldReady: WorkerMessage | null = null;
  let resolvePrimed!: (m: Primed) => void;
  const primed = new Promise<Primed>((r) => (resolvePrimed = r));
  const handle = harnessWorker((m, w, deliver) => {
    if (m.type === 'ready') {
      w.postMessage({ type: 'prepare', tests: ex.tests });
      w.postMessage({ type: 'prime', code: starter, exports: ex.exports });
      if (click === 'at-once') deliver(m);
      else heldReady = m;
    } else if (m.type === 'prepared') {
      if (click === 'during') setTimeout(() => heldReady && deliver(heldReady), delayMs);
    } else if (m.type === 'primed') {
      resolvePrimed(m);
      if (click === 'after-priming' && heldReady) deliver(heldReady);
    } else return false;
    return true;
  });
  return { handle, primed };
}

/** Run `code` through orchestrate on a {@link primedRunner} (no second runner: no test may time out). */
export async function runPrimed(ex: Exercise, starter: string, code: string, click: Click, delayMs = 0): Promise<{ result: RunResult; primed: Primed }> {
  const r = primedRunner(ex, starter, click, delayMs);
  const spawnAnother = () => {
    throw new Error('no second runner expected (no test times out here)');
  };
  const result = await orchestrate(spawnAnother, { exercise: ex.id, exports: ex.exports, code, tests: ex.tests }, { perTestMs: 2000, perRunMs: 60_000, prestarted: r.handle });
  return { result, primed: await r.primed };
}


/** What {@link runLate} saw: the verdict, the diffs handed over, how the wait ended, and in what order. */
export interface LateRun {
  result: RunResult;
  diffs: LateDiffText[] | null;
  settled: string;
  /** Runner messages ('result', 'diffs', …) and the parent's own events ('verdict', 'onDiffs', 'terminate'), in order. */
  events: string[];
  /** Every runner started was ended. */
  allTerminated: boolean;
}

/**
 * Run `code` with late diffs (orchestrate `lateDiffs`, as the browser runs): the verdict first,
 * then the diffs the runner formats after the last result. Records the order of everything.
 */
export async function runLate(ex: Exercise, code: string, opts: { perTestMs?: number; waitMs?: number } = {}): Promise<LateRun> {
  const events: string[] = [];
  const handles: { ended: boolean }[] = [];
  const spawnRecorded = (): WorkerHandle => {
    const state = { ended: false };
    handles.push(state);
    const h = harnessWorker((m) => {
      events.push(m.type);
      return false;
    });
    return {
      ...h,
      terminate() {
        if (!state.ended) events.push('terminate');
        state.ended = true;
        h.terminate();
      },
    };
  };
  let diffs: LateDiffText[] | null = null;
  let settle!: (how: string) => void;
  const settled = new Promise<string>((r) => (settle = r));
  const result = await orchestrate(spawnRecorded, { exercise: ex.id, exports: ex.exports, code, tests: ex.tests }, {
    perTestMs: opts.perTestMs ?? 2000,
    perRunMs: 60_000,
    lateDiffs: {
      ...(opts.waitMs !== undefined ? { waitMs: opts.waitMs } : {}),
      onSettled: (how, d) => {
        if (how === 'delivered') {
          events.push('onDiffs');
          diffs = d;
        }
        settle(how);
      },
    },
  });
  events.push('verdict');
  const how = await settled;
  return { result, diffs, settled: how, events, allTerminated: handles.every((h) => h.ended) };
}
