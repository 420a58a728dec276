/**
 * Test harness: the grading runtime in a Node worker thread, sealed exactly as the entries seal it
 * (sealRealm before anything else), so tests/grading/runtime.test.ts can attack the realm itself,
 * independent of how the CLI/kit start their child process.
 */
import { parentPort } from 'node:worker_threads';
import { sealRealm } from '../../../src/grading/runtime/realm.ts';
import * as engine from '../../../src/engine/index.ts';
import { createSession, type WorkerMessage } from '../../../src/grading/runtime/session.ts';

sealRealm();
const port = parentPort!;
const session = createSession({ engine: engine as unknown as Record<string, unknown>, post: (m: WorkerMessage) => port.postMessage(m) });
process.on('uncaughtException', (e) => session.stray(e));
process.on('unhandledRejection', (e) => session.stray(e));
port.on('message', (m) => session.handle(m));
port.postMessage({ type: 'ready' });
