/**
 * Classic Worker entry for in-browser grading (bundled by Vite as an IIFE: sucrase + runtime +
 * engine; loaded only when the learner runs tests or the editor warms the runner up).
 * One worker serves one run; the page's client terminates it on timeout.
 */
import * as engine from 'collapse-lab/engine';
import { createSession, type ParentMessage, type WorkerMessage } from '../runtime/session.ts';

const scope = self as unknown as {
  postMessage: (m: WorkerMessage) => void;
  addEventListener: (type: 'message', fn: (e: MessageEvent<ParentMessage>) => void) => void;
};
// Private references, taken before any learner code runs.
const post = scope.postMessage.bind(scope);
const handle = createSession({ engine: engine as unknown as Record<string, unknown>, post });
scope.addEventListener('message', (e) => handle(e.data));
post({ type: 'ready' });
