// Test page: exposes the browser grading client to Playwright, plus the toy fixture exercise.
import { hostUrl } from 'virtual:grader-runner';
import { drawMyRun, poolState, primingLog, runExercise, runnerTuning, runTestSources, warmUp } from '../../../src/grading/browser/client.ts';
import toyTest from '../fixtures/toy-sum/toy-sum.test.ts?raw';
import toyMeta from '../fixtures/toy-sum/exercise.json';

const runToy = (code: string, timeoutMs?: number) =>
  runTestSources({ exercise: toyMeta.id, exports: toyMeta.exports, code, tests: [{ file: 'toy-sum.test.ts', source: toyTest }], timeoutMs });

/**
 * Start a worker with arbitrary `source` through a fresh runner host (the same host page the
 * client uses) and return the first message it posts on its port. Lets the test check the host's
 * CSP and origin directly, with none of the runtime's own blocking in the way.
 */
function probeHost(source: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const frame = document.createElement('iframe');
    frame.setAttribute('sandbox', 'allow-scripts');
    frame.hidden = true;
    frame.src = hostUrl;
    const ch = new MessageChannel();
    ch.port1.onmessage = (e) => {
      resolve(e.data);
      frame.remove();
    };
    addEventListener('message', (e) => {
      if (e.source !== frame.contentWindow) return;
      const d = e.data as { type?: string; message?: string };
      if (d.type === 'host-ready') {
        frame.contentWindow!.postMessage({ type: 'source', source }, '*');
        frame.contentWindow!.postMessage({ type: 'start', id: 1 }, '*', [ch.port2]);
      } else if (d.type === 'failed') reject(new Error(d.message));
    });
    document.body.append(frame);
    setTimeout(() => reject(new Error('probe timed out')), 20_000);
  });
}

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

(window as unknown as { grader: unknown }).grader = { runExercise, runToy, warmUp, probeHost, drawMyRun, runRendered, primingLog, runnerTuning, poolState };
document.body.dataset.ready = '1';
