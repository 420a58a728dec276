// Helpers of the light grader page for tests/grading/browser-runner.test.ts that the page chunk
// does not need at start: a chunk of their own (dynamic import from page.ts), as ./render.ts is.
import { hostUrl } from 'virtual:grader-runner';
import { lateDiffsLog, runExercise, runTestSources, type LateDiffText } from '../../../src/grading/browser/client.ts';
import type { RunResult, TestSource } from '../../../src/grading/types.ts';

/**
 * Start a worker with arbitrary `source` through a fresh runner host (the same host page the
 * client uses) and return the first message it posts on its port. Lets the test check the host's
 * CSP and origin directly, with none of the runtime's own blocking in the way.
 */
export function probeHost(source: string): Promise<unknown> {
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

/** What {@link runLate} saw: the verdict, the diffs (null: onDiffs never called), the order of events, the late-diff log. */
export interface LateSeen {
  result: RunResult;
  diffs: LateDiffText[] | null;
  events: string[];
  log: string[];
}

/**
 * Run with late diffs (the chapter page's way) and record the order of what reaches the caller:
 * 'result' per streamed result, 'verdict' when the run's promise resolves, 'diffs' when onDiffs
 * is called. Resolves once onDiffs has been called, or `giveUpMs` after the verdict (a run whose
 * diffs a later run aborted is never called back). `thenRun`: start another run at the verdict. `tests` absent: exercise `id`'s own tests.
 */
export async function runLate(opts: { id: string; code: string; exports?: string[]; tests?: TestSource[]; timeoutMs?: number; giveUpMs?: number; thenRun?: { id: string; code: string } }): Promise<LateSeen> {
  const events: string[] = [];
  let diffs: LateDiffText[] | null = null;
  let called!: () => void;
  const got = new Promise<void>((r) => (called = r));
  const onResult = () => void events.push('result');
  const onDiffs = (d: LateDiffText[]) => {
    events.push('diffs');
    diffs = d;
    called();
  };
  const result = opts.tests
    ? await runTestSources({ exercise: opts.id, exports: opts.exports ?? [], code: opts.code, tests: opts.tests, timeoutMs: opts.timeoutMs, onResult, onDiffs })
    : await runExercise({ id: opts.id, code: opts.code, timeoutMs: opts.timeoutMs, onResult, onDiffs });
  events.push('verdict');
  // A click right after the verdict (while the runner formats the diffs): it ends that runner.
  if (opts.thenRun) {
    await runExercise(opts.thenRun);
    events.push('next run');
  }
  await Promise.race([got, new Promise((r) => setTimeout(r, opts.giveUpMs ?? 10_000))]);
  return { result, diffs, events, log: lateDiffsLog.slice() };
}

