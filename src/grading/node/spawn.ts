/** Start a Node grading worker (worker_threads) behind the WorkerHandle interface. */
import { Worker } from 'node:worker_threads';
import type { WorkerHandle } from '../orchestrate.ts';
import type { WorkerMessage } from '../runtime/session.ts';

const WORKER_URL = new URL('./worker.ts', import.meta.url);

/** Workers not yet terminated (so a CLI can stop them all before it exits). */
const live = new Set<Worker>();

/** Terminate every grading worker still running and wait until they are gone. */
export async function terminateAllWorkers(): Promise<void> {
  const all = [...live];
  live.clear();
  await Promise.all(all.map((w) => w.terminate().catch(() => 0)));
}

export function spawnNodeWorker(): WorkerHandle {
  const worker = new Worker(WORKER_URL, {
    // Anything written to the worker's process.stdout/stderr goes to pipes nobody reads, never into our report.
    stdout: true,
    stderr: true,
    env: {},
    resourceLimits: { maxOldGenerationSizeMb: 512 },
  });
  // Never keep the process alive by itself (an unused prestarted runner must not hang the CLI);
  // while a run waits for it, the watchdog's timers keep the event loop going. (Resuming the
  // stdout/stderr pipes would hold a reference; learner code cannot reach process.stdout anyway.)
  worker.unref();
  live.add(worker);
  worker.on('exit', () => live.delete(worker));
  const early: WorkerMessage[] = [];
  let onMsg: ((m: WorkerMessage) => void) | null = null;
  let onExit: ((reason: string) => void) | null = null;
  let exitReason: string | null = null;
  let terminated = false;
  worker.on('message', (m: WorkerMessage) => (onMsg ? onMsg(m) : early.push(m)));
  const died = (reason: string) => {
    if (exitReason !== null) return;
    exitReason = reason;
    onExit?.(reason);
  };
  worker.on('error', (e: Error & { code?: string }) =>
    died(e.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'it ran out of memory (more than 512 MB)' : `${e.name}: ${e.message}`),
  );
  worker.on('exit', (code) => {
    if (!terminated) died(`it exited (code ${code}) — does your code end the process?`);
  });
  return {
    post: (msg) => worker.postMessage(msg),
    listen(m, x) {
      onMsg = m;
      onExit = x;
      for (const msg of early.splice(0)) m(msg);
      if (exitReason !== null) x(exitReason);
    },
    terminate() {
      terminated = true;
      live.delete(worker);
      void worker.terminate();
    },
  };
}
