/**
 * Classic Worker entry for in-browser grading (bundled by Vite as an IIFE: sucrase + runtime +
 * engine; loaded only when the learner runs tests or the editor warms the runner up).
 * One worker serves one run; the page's client terminates it on timeout.
 */
import * as engine from 'collapse-lab/engine';
import { sealRealm } from '../runtime/realm.ts';
import { createSession, type ParentMessage, type WorkerMessage } from '../runtime/session.ts';

// Freeze the shared intrinsics and the assertion machinery before anything else runs here.
sealRealm();

const scope = self as unknown as {
  postMessage: (m: WorkerMessage) => void;
  addEventListener(type: 'message', fn: (e: MessageEvent<ParentMessage>) => void): void;
  addEventListener(type: 'error', fn: (e: ErrorEvent) => void): void;
  addEventListener(type: 'unhandledrejection', fn: (e: PromiseRejectionEvent) => void): void;
};
// Private references, taken before any learner code runs.
const post = scope.postMessage.bind(scope);

// Q (issue 6, privacy): learner code gets no network and no storage in the runner. Each API below
// is replaced, on the worker global and every prototype that carries it, by a non-configurable stub
// that throws a message saying what happened (so code cannot put the original back). The runner
// itself uses none of them (one IIFE bundle, results go back by postMessage).
const BLOCKED = [
  'fetch', 'XMLHttpRequest', 'WebSocket', 'WebTransport', 'EventSource', 'importScripts', 'Worker', 'SharedWorker',
  'BroadcastChannel', 'indexedDB', 'caches', 'localStorage', 'sessionStorage',
];
for (const name of BLOCKED) {
  const why = `${name} is blocked in the exercise runner: tests run offline, with no network and no storage`;
  const stub = function blocked(): never {
    throw new Error(why);
  };
  const asValue = ['fetch', 'XMLHttpRequest', 'WebSocket', 'WebTransport', 'EventSource', 'importScripts', 'Worker', 'SharedWorker', 'BroadcastChannel'].includes(name);
  for (let o: object | null = globalThis; o; o = Object.getPrototypeOf(o)) {
    if (o !== globalThis && !Object.prototype.hasOwnProperty.call(o, name)) continue;
    try {
      Object.defineProperty(o, name, asValue ? { value: stub, writable: false, configurable: false, enumerable: false } : { get: stub, configurable: false, enumerable: false });
    } catch {
      /* already non-configurable: leave it */
    }
  }
}

const session = createSession({ engine: engine as unknown as Record<string, unknown>, post });
scope.addEventListener('message', (e) => session.handle(e.data));
// Errors that escape a test are charged to the running test instead of killing the worker.
scope.addEventListener('error', (e) => {
  e.preventDefault();
  session.stray(e.error ?? e.message);
});
scope.addEventListener('unhandledrejection', (e) => {
  e.preventDefault();
  session.stray(e.reason);
});
post({ type: 'ready' });
