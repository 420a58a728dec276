/**
 * The grading worker (browser). Bundled by esbuild into ONE classic script (src/grading/browser/
 * vite-plugin.ts), handed to the runner host page (public/grader-runner.html, a sandboxed iframe)
 * as text and started there from a blob: URL, so it runs under the host page's CSP whatever the
 * web server sends (see src/grading/README.md "Browser sandbox"). One worker serves one run; the
 * page's client terminates it on timeout.
 *
 * Start-up order matters: the realm is sealed first (lockdown, hardened chai/expect), then every
 * network/storage/worker API on this global is replaced by a throwing stub, then the session is
 * created. Protocol messages travel over a MessagePort the page hands over in the first message
 * ({type:'connect'}); learner code runs in a ses Compartment and can reach neither the port nor
 * this global.
 */
// First: hide function source before ses captures Function.prototype.toString (see the module).
import './hide-source.ts';
import * as engine from 'collapse-lab/engine';
import { sealRealm } from '../runtime/realm.ts';
import { createResultBatcher } from './batch.ts';
import { createSession, type DrawMessage, type ParentMessage, type PrepareMessage, type PrimeMessage, type WorkerMessage } from '../runtime/session.ts';

// Freeze the shared intrinsics and the assertion machinery before anything else runs here.
sealRealm();

const scope = self as unknown as {
  postMessage: (m: unknown) => void;
  addEventListener(type: 'message', fn: (e: MessageEvent) => void): void;
  addEventListener(type: 'error', fn: (e: ErrorEvent) => void): void;
  addEventListener(type: 'unhandledrejection', fn: (e: PromiseRejectionEvent) => void): void;
};

/**
 * APIs the runner never uses and learner code must never get, also if it found a way out of its
 * compartment (the CSP of the runner host blocks the network as well; its opaque origin has no
 * storage). Each is replaced, on this global and every prototype that carries it, by a
 * non-configurable stub that throws a message saying what happened.
 */
export const BLOCKED_VALUES = [
  'fetch', 'XMLHttpRequest', 'WebSocket', 'WebSocketStream', 'WebTransport', 'EventSource', 'importScripts',
  'Worker', 'SharedWorker', 'BroadcastChannel', 'RTCPeerConnection',
] as const;
export const BLOCKED_GETTERS = ['indexedDB', 'caches', 'localStorage', 'sessionStorage', 'storage', 'serviceWorker', 'locks'] as const;

function block(): void {
  const stubFor = (name: string) => {
    const why = `${name} is blocked in the exercise runner: tests run offline, with no network and no storage`;
    return function blocked(): never {
      throw new Error(why);
    };
  };
  const define = (o: object, name: string, asValue: boolean) => {
    const stub = stubFor(name);
    try {
      Object.defineProperty(o, name, asValue ? { value: stub, writable: false, configurable: false, enumerable: false } : { get: stub, configurable: false, enumerable: false });
    } catch {
      /* already non-configurable: leave it */
    }
  };
  for (const [names, asValue] of [[BLOCKED_VALUES, true], [BLOCKED_GETTERS, false]] as const) {
    for (const name of names) {
      for (let o: object | null = globalThis; o; o = Object.getPrototypeOf(o)) {
        if (o !== globalThis && !Object.prototype.hasOwnProperty.call(o, name)) continue;
        define(o, name, asValue);
      }
    }
  }
  // navigator.storage (OPFS, quota), navigator.locks, navigator.serviceWorker live on WorkerNavigator.prototype.
  const nav = (globalThis as { navigator?: object }).navigator;
  for (let o: object | null = nav ?? null; o; o = Object.getPrototypeOf(o)) {
    for (const name of ['storage', 'locks', 'serviceWorker']) if (Object.prototype.hasOwnProperty.call(o, name)) define(o, name, false);
  }
}
block();

const session = createSession({
  engine: engine as unknown as Record<string, unknown>,
  post: (m: WorkerMessage) => send(m),
});

// Until the page's port arrives, messages go to the host (which only forwards start-up errors).
let send: (m: WorkerMessage) => void = (m) => early.push(m);
const early: WorkerMessage[] = [];
let connected = false;
scope.addEventListener('message', (e: MessageEvent) => {
  const port = e.ports?.[0];
  if (connected || !port || (e.data as { type?: unknown })?.type !== 'connect') return;
  connected = true;
  const portPost = port.postMessage.bind(port);
  // Results travel in small batches (./batch.ts); the parent asks for one by one to find a hang.
  const batcher = createResultBatcher((m) => portPost(m), () => performance.now());
  send = (m) => batcher.send(m);
  port.onmessage = (ev: MessageEvent<ParentMessage | PrepareMessage | PrimeMessage | DrawMessage>) => {
    const d = ev.data as { type?: unknown; oneByOne?: unknown } | null;
    if (d && d.type === 'run' && d.oneByOne === true) batcher.oneByOne();
    session.handle(ev.data);
  };
  for (const m of early.splice(0)) send(m);
});
// Errors that escape a test are charged to the running test instead of killing the worker.
scope.addEventListener('error', (e) => {
  e.preventDefault();
  session.stray(e.error ?? e.message);
});
scope.addEventListener('unhandledrejection', (e) => {
  e.preventDefault();
  session.stray(e.reason);
});
send({ type: 'ready' });
