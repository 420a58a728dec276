/**
 * Entry of the sandboxed grading CHILD PROCESS (bundled by bundle.ts; never loaded from source).
 *
 * The parent (process.ts) starts `node --permission -e <LOADER>` with no file-system, child-process,
 * worker, addon or WASI permission, pipes this bundle's code in on stdin, and the loader evaluates it
 * with `vm.Script` (no dynamic-import callback) and calls {@link start}. From then on:
 *   - messages go both ways over the IPC channel, through references captured here;
 *   - `process` is hidden from every other piece of code (so no `process.binding`, `getBuiltinModule`,
 *     `send`, `exit`, `env`, `stdout`), `require`/`module` of the loader are gone;
 *   - every module import is refused: code evaluated from a vm.Script has no dynamic-import callback
 *     (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING, also for Function/eval built at run time) and a
 *     `module.registerHooks` resolve hook refuses every specifier as a second line;
 *   - network globals (fetch, WebSocket, EventSource, …) are removed. Node 24's permission model has
 *     no network switch; with no module, no `process` and no network global there is no socket API
 *     left to call (the threat model in docs/quality.md says so and tests/grading/hostile-node.test.ts
 *     proves each route).
 * The session (runtime/session.ts) is the same one the browser worker runs; before it is created
 * the realm is sealed (runtime/realm.ts sealRealm: ses lockdown, hardened assertion machinery), and
 * learner code and tests are evaluated in ses Compartments.
 */
import * as engineNamespace from '../../engine/index.ts';
import { sealRealm } from '../runtime/realm.ts';
import { createSession, type ParentMessage, type WorkerMessage } from '../runtime/session.ts';

/** What the loader hands over: the real process object and the module API, captured before hiding. */
export interface ChildHost {
  process: NodeJS.Process;
  registerHooks: ((hooks: { resolve: (...a: unknown[]) => never; load: (...a: unknown[]) => never }) => unknown) | undefined;
  /** V8 code cache of this bundle, produced after warm-up; only called when the parent asked for it. */
  makeCodeCache: (() => Uint8Array) | null;
}

/** Globals that reach the network or other contexts; removed before any learner code runs. */
const NETWORK_GLOBALS = ['fetch', 'WebSocket', 'WebSocketStream', 'EventSource', 'XMLHttpRequest', 'BroadcastChannel', 'WebTransport', 'Worker', 'SharedWorker', 'navigator'];

const refuse = (): never => {
  throw new Error('imports are not available while grading: exercises can only import from collapse-lab/engine');
};

export function start(host: ChildHost): void {
  // Freeze the shared intrinsics and the assertion machinery before anything else runs here.
  sealRealm();
  const proc = host.process;
  const send = proc.send?.bind(proc) as ((msg: unknown) => boolean) | undefined;
  if (!send) throw new Error('the grading child must be started with an IPC channel');
  const post = (msg: WorkerMessage) => {
    send(msg);
  };

  // esbuild's namespace object has getters; hand the session a plain copy (it hardens it).
  const session = createSession({ engine: { ...engineNamespace } as Record<string, unknown>, post });
  // Errors that escape a test (a throwing timer, an unhandled rejection) are charged to the running
  // test instead of ending the process.
  proc.on('uncaughtException', (e) => session.stray(e));
  proc.on('unhandledRejection', (e) => session.stray(e));
  proc.on('message', (msg: ParentMessage) => session.handle(msg));
  // The parent closing the channel (it finished, or died) ends this process.
  proc.on('disconnect', () => proc.exit(0));

  // Second line behind the missing dynamic-import callback: refuse every specifier, node: built-ins too.
  host.registerHooks?.({ resolve: refuse, load: refuse });

  // Hide Node's process object (no env, exit, binding, getBuiltinModule, send, stdout).
  Object.defineProperty(globalThis, 'process', {
    value: Object.freeze({ env: Object.freeze({}), platform: proc.platform, versions: Object.freeze({ ...proc.versions }), nextTick: proc.nextTick.bind(proc) }),
    configurable: false,
    writable: false,
  });
  for (const name of NETWORK_GLOBALS) {
    try {
      // Delete first: Node's lazy globals (WebSocket) load undici when redefined in place (~75 ms of CPU).
      delete (globalThis as Record<string, unknown>)[name];
      Object.defineProperty(globalThis, name, { value: undefined, writable: false, configurable: false });
    } catch {
      /* not present or not configurable */
    }
  }

  if (host.makeCodeCache) {
    // Only on a child started to produce the cache: nothing but the runtime has run yet.
    const data = host.makeCodeCache();
    send({ type: 'code-cache', data: Buffer.from(data).toString('base64') });
  }
  post({ type: 'ready' });
}
