import { readFileSync } from 'node:fs';
import { sealRealm } from './src/grading/runtime/realm.ts';
import * as engine from './src/engine/index.ts';
import { createSession, type WorkerMessage } from './src/grading/runtime/session.ts';
sealRealm();
const which = process.argv[2] ?? 'solution';
const tests = [{ file: 'early-abort.test.ts', source: readFileSync('exercises/early-abort/early-abort.test.ts', 'utf8') }];
const meta = JSON.parse(readFileSync('exercises/early-abort/exercise.json', 'utf8'));
for (let round = 0; round < 3; round++) {
  let done: () => void; const all = new Promise<void>((r) => (done = r));
  let n = 0, total = 0; const t0 = performance.now(); let tLoaded = 0;
  const s = createSession({ engine: engine as any, post: (m: WorkerMessage) => {
    if (m.type === 'loaded') { total = m.names.length; tLoaded = performance.now(); s.handle({ type: 'run', from: 0 }); }
    if (m.type === 'load-failed') { console.log(m); done(); }
    if (m.type === 'result' && ++n === total) done();
  } });
  const tPrep0 = performance.now();
  s.handle({ type: 'prepare', tests });
  const tPrep = performance.now();
  s.handle({ type: 'load', nonce: 'x' + round, payload: { exercise: 'early-abort', exports: meta.exports, code: readFileSync(`exercises/early-abort/${which}.ts`, 'utf8'), tests, perTestMs: 2000 } });
  await all;
  console.log(which, 'round', round, 'create', Math.round(tPrep0 - t0), 'prepare', Math.round(tPrep - tPrep0), 'load', Math.round(tLoaded - tPrep), 'tests', Math.round(performance.now() - tLoaded), 'ms');
}
