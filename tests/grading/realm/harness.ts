/** Run learner code against test sources in the sealed runtime (a worker thread), through orchestrate. */
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { orchestrate, type WorkerHandle } from '../../../src/grading/orchestrate.ts';
import type { WorkerMessage } from '../../../src/grading/runtime/session.ts';
import type { RunResult, TestSource } from '../../../src/grading/types.ts';
import type { DrawOutcome, DrawScenario } from '../../../src/grading/runtime/draw.ts';
import { ROOT } from '../helpers.ts';

function spawn(): WorkerHandle {
  const w = new Worker(new URL('./harness-worker.ts', import.meta.url), { stdout: true, stderr: true });
  let onMsg: ((m: WorkerMessage) => void) | null = null;
  const early: WorkerMessage[] = [];
  let onExit: ((r: string) => void) | null = null;
  let terminated = false;
  w.on('message', (m: WorkerMessage) => (onMsg ? onMsg(m) : early.push(m)));
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
