/**
 * In-browser grading client (main thread). Deliberately tiny: it does NOT import sucrase, chai or
 * the engine — those live in the worker bundle (./worker.ts), which loads only on warmUp() or the
 * first run. Test sources and exercise.json files are lazy `import.meta.glob` chunks.
 *
 *   import { runExercise, warmUp } from '../grading/browser/client.ts';
 *   warmUp();                                   // after the editor opens
 *   const result = await runExercise({ id: 'early-abort', code });
 */
import { orchestrate, type WorkerHandle } from '../orchestrate.ts';
import type { ExportKind, RunResult } from '../types.ts';
import { DEFAULT_PER_TEST_MS } from '../types.ts';
import type { WorkerMessage } from '../runtime/session.ts';

const testSources = import.meta.glob('/exercises/*/*.test.ts', { query: '?raw', import: 'default' }) as Record<string, () => Promise<string>>;
const metas = import.meta.glob('/exercises/*/exercise.json', { import: 'default' }) as Record<string, () => Promise<{ id: string; exports: string[]; exportKinds?: Record<string, ExportKind> }>>;

/** Per-run limit in the browser: the total for one "Run tests" click. */
const BROWSER_RUN_LIMIT_MS = 10_000;

function spawnBrowserWorker(): WorkerHandle {
  const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'classic', name: 'collapse-lab-grader' });
  const early: WorkerMessage[] = [];
  let onMsg: ((m: WorkerMessage) => void) | null = null;
  let onExit: ((reason: string) => void) | null = null;
  let dead: string | null = null;
  worker.onmessage = (e: MessageEvent<WorkerMessage>) => (onMsg ? onMsg(e.data) : early.push(e.data));
  worker.onerror = (e: ErrorEvent) => {
    e.preventDefault();
    dead = e.message || 'the test runner failed to start';
    onExit?.(dead);
  };
  return {
    post: (msg) => worker.postMessage(msg),
    listen(m, x) {
      onMsg = m;
      onExit = x;
      for (const msg of early.splice(0)) m(msg);
      if (dead !== null) x(dead);
    },
    terminate: () => worker.terminate(),
  };
}

let spare: WorkerHandle | null = null;

/** Start a runner now (call when the editor opens) so the first "Run tests" is warm. */
export function warmUp(): void {
  if (!spare && typeof Worker !== 'undefined') spare = spawnBrowserWorker();
}

function failed(id: string, message: string, started: number): RunResult {
  return { exercise: id, passed: 0, failed: 1, total: 1, tests: [{ name: 'loading your code', status: 'error', message }], loadError: message, durationMs: Date.now() - started };
}

/**
 * Transpile `code`, run exercise `id`'s tests against it in a fresh classic Worker and return the
 * results. `timeoutMs` is the per-test limit (default 2000); a run stops after 10 s in total.
 * Never throws for learner mistakes: they come back as results.
 */
export async function runExercise(opts: { id: string; code: string; timeoutMs?: number }): Promise<RunResult> {
  const started = Date.now();
  const { id, code } = opts;
  try {
    const loadMeta = metas[`/exercises/${id}/exercise.json`];
    if (!loadMeta) {
      const known = Object.keys(metas).map((k) => k.split('/')[2]).sort();
      return failed(id, `unknown exercise '${id}' (known: ${known.join(', ')})`, started);
    }
    const prefix = `/exercises/${id}/`;
    // The exercise's own <id>.test.ts (as the Node grader does); other *.test.ts only if it is absent.
    const own = `${prefix}${id}.test.ts`;
    const files = own in testSources ? [own] : Object.keys(testSources).filter((k) => k.startsWith(prefix) && !k.slice(prefix.length).includes('/')).sort();
    const [meta, sources] = await Promise.all([loadMeta(), Promise.all(files.map((f) => testSources[f]()))]);
    return await runTestSources({
      exercise: id,
      exports: meta.exports,
      exportKinds: meta.exportKinds,
      code,
      tests: files.map((f, i) => ({ file: f.slice(prefix.length), source: sources[i] })),
      timeoutMs: opts.timeoutMs,
    });
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
  tests: { file: string; source: string }[];
  timeoutMs?: number;
}): Promise<RunResult> {
  const started = Date.now();
  try {
    const perTestMs = opts.timeoutMs ?? DEFAULT_PER_TEST_MS;
    const prestarted = spare ?? undefined;
    spare = null;
    const result = await orchestrate(
      spawnBrowserWorker,
      { exercise: opts.exercise, exports: opts.exports, exportKinds: opts.exportKinds, code: opts.code, tests: opts.tests },
      { perTestMs, perRunMs: Math.max(BROWSER_RUN_LIMIT_MS, 2 * perTestMs), prestarted },
    );
    warmUp(); // keep a fresh runner ready for the next click
    return result;
  } catch (e) {
    return failed(opts.exercise, `the test runner failed: ${(e as Error)?.message ?? String(e)}`, started);
  }
}
