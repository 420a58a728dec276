/** Start a Node grading worker (worker_threads) behind the WorkerHandle interface. */
import { Worker } from 'node:worker_threads';
import type { WorkerHandle } from '../orchestrate.ts';
import type { WorkerMessage } from '../runtime/session.ts';

const WORKER_URL = new URL('./worker.ts', import.meta.url);

export function spawnNodeWorker(): WorkerHandle {
  const worker = new Worker(WORKER_URL, {
    // Learner writes to process.stdout/stderr go to pipes nobody reads, never into our report.
    stdout: true,
    stderr: true,
    env: {},
    resourceLimits: { maxOldGenerationSizeMb: 512 },
  });
  worker.stdout.resume();
  worker.stderr.resume();
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
      void worker.terminate();
    },
  };
}
