/**
 * worker_threads entry for Node grading. One worker serves one run (see runtime/session.ts).
 * Isolation here is for robustness (timeouts, crashes, tampering), not a security boundary:
 * run untrusted submissions in a disposable container (the Gradescope kit does).
 */
import { parentPort } from 'node:worker_threads';
import { createSession, type ParentMessage, type WorkerMessage } from '../runtime/session.ts';

const port = parentPort;
if (!port) throw new Error('src/grading/node/worker.ts must run as a worker thread');
const send = port.postMessage.bind(port) as (msg: WorkerMessage) => void;

let engine: Record<string, unknown> | null = null;
let engineMissingReason: string | undefined;
try {
  engine = (await import('../../engine/index.ts')) as Record<string, unknown>;
} catch (e) {
  engineMissingReason = String((e as Error)?.message ?? e).split('\n')[0];
}

const session = createSession({ engine, post: send, engineMissingReason });
// Errors that escape a test (a throwing timer, an unhandled rejection) are charged to the running
// test instead of crashing the worker.
process.on('uncaughtException', (e) => session.stray(e));
process.on('unhandledRejection', (e) => session.stray(e));

// Hide Node's process object from learner code (no env, no exit, no getBuiltinModule).
const realProcess = process;
Object.defineProperty(globalThis, 'process', {
  value: Object.freeze({ env: Object.freeze({}), platform: realProcess.platform, versions: realProcess.versions, nextTick: realProcess.nextTick.bind(realProcess) }),
  configurable: false,
  writable: false,
});

// No network from learner code either.
for (const name of ['fetch', 'WebSocket', 'EventSource', 'XMLHttpRequest', 'BroadcastChannel']) {
  try {
    Object.defineProperty(globalThis, name, { value: undefined, writable: false, configurable: false });
  } catch {
    /* not present or not configurable */
  }
}

port.on('message', (msg: ParentMessage) => session.handle(msg));
send({ type: 'ready' });
