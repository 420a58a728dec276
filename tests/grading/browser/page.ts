// Test page: exposes the browser grading client to Playwright, plus the toy fixture exercise.
import { drawMyRun, lateDiffsLog, poolState, primingLog, runExercise, runnerTuning, runTestSources, warmUp } from '../../../src/grading/browser/client.ts';
import toyTest from '../fixtures/toy-sum/toy-sum.test.ts?raw';
import toyMeta from '../fixtures/toy-sum/exercise.json';

const runToy = (code: string, timeoutMs?: number) =>
  runTestSources({ exercise: toyMeta.id, exports: toyMeta.exports, code, tests: [{ file: 'toy-sum.test.ts', source: toyTest }], timeoutMs });

/**
 * Run `code` against exercise `id` and render the verdict as the chapter page does (./render.ts):
 * { state, text } like the exercise block's data-state and results text; 'error' when the runner
 * itself failed ("The tests could not be run").
 */
async function runRendered(id: string, code: string): Promise<{ state: string; text: string }> {
  const { render } = await import('./render.ts');
  try {
    return render(await runExercise({ id, code }));
  } catch (e) {
    return { state: 'error', text: `The tests could not be run: ${e instanceof Error ? e.message : String(e)}` };
  }
}

// ./extras.ts: a chunk of its own, like ./render.ts, so the page chunk stays small.
const extras = () => import('./extras.ts');
const runLate = async (opts: Parameters<typeof import('./extras.ts').runLate>[0]) => (await extras()).runLate(opts);
const probeHost = async (source: string) => (await extras()).probeHost(source);

(window as unknown as { grader: unknown }).grader = { runExercise, runToy, runLate, warmUp, probeHost, drawMyRun, runRendered, primingLog, runnerTuning, poolState, lateDiffsLog };
document.body.dataset.ready = '1';
