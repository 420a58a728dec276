// Test page: exposes the browser grading client to Playwright, plus the toy fixture exercise.
import { runExercise, runTestSources, warmUp } from '../../../src/grading/browser/client.ts';
import toyTest from '../fixtures/toy-sum/toy-sum.test.ts?raw';
import toyMeta from '../fixtures/toy-sum/exercise.json';

const runToy = (code: string, timeoutMs?: number) =>
  runTestSources({ exercise: toyMeta.id, exports: toyMeta.exports, code, tests: [{ file: 'toy-sum.test.ts', source: toyTest }], timeoutMs });

(window as unknown as { grader: unknown }).grader = { runExercise, runToy, warmUp };
document.body.dataset.ready = '1';
