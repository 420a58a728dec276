/**
 * Running the tests from an open exercise: the Run button and Ctrl+Enter, "Re-run failing only",
 * the busy state, the results, recording a pass, and the "Next" link after one.
 *
 * Contract: one run at a time (a second request while running is ignored); the code is saved
 * before it runs; a pass is recorded only when every test of the exercise ran and passed — a
 * re-run of the failing tests alone never marks the exercise passed, it offers a full run instead.
 * Learner mistakes come back as results; only a broken runner shows "could not be run".
 */
import type { TestResult } from '../../grading/types.ts';
import { PROGRESS_EVENT } from '../../lib/storage.ts';
import type { Autosave } from './autosave.ts';
import { announce, h, notice } from './dom.ts';
import type { EditorLike } from './editors.ts';
import { nextLink, nextStep } from './next-step.ts';
import { applyDiffs, renderResults, type RenderOptions } from './results.ts';
import { runExercise, type RunOptions } from './runner.ts';

export interface RunControl {
  /** Run every test, or only the named ones. */
  run(only?: string[]): Promise<void>;
}

export function setupRuns(
  root: HTMLElement,
  opts: {
    id: string;
    editor: EditorLike;
    autosave: Autosave;
    runBtn: HTMLButtonElement;
    results: HTMLElement;
    /** "Draw this case" on a failed test with a scenario (./draw-my-run.ts). */
    onDrawCase?: RenderOptions['onDrawCase'];
  },
): RunControl {
  const { id, editor, autosave, runBtn, results } = opts;
  let running = false;
  /** Counts runs: late diffs of an older run are dropped. */
  let runNo = 0;

  async function run(only?: string[]): Promise<void> {
    if (running) return;
    running = true;
    const mine = ++runNo;
    autosave.flush();
    // aria-disabled, not disabled: a disabled button would drop keyboard focus to <body>.
    runBtn.setAttribute('aria-disabled', 'true');
    results.setAttribute('aria-busy', 'true');
    root.dataset.state = 'running';
    const what = only ? `Re-running the ${only.length} failing test${only.length === 1 ? '' : 's'}…` : 'Running the tests…';
    results.replaceChildren(h('p', { class: 'cl-loading' }, what));
    announce(root, what);
    try {
      const code = editor.getValue();
      // First failure first: a streaming runner reports each result as it comes; the first one
      // that did not pass is shown at once, above "still running".
      let early = false;
      const onResult = (t: TestResult) => {
        if (early || t.status === 'passed' || root.dataset.state !== 'running') return;
        early = true;
        results.replaceChildren(
          h('p', { class: 'cl-loading' }, `${what.replace(/…$/, '')} — a first test did not pass (the rest are still running):`),
          h('p', { class: 'cl-results-message', 'data-part': 'first-failure' }, `${t.name}\n\n${t.message}`),
        );
      };
      // Late diffs: the verdict is drawn at once; the failures' "- Expected / + Received" diffs
      // follow (the runner formats them after the last result) and join their messages in place.
      // data-diffs on the results: 'waiting' until they came (or it is known none will).
      let drawn: Parameters<typeof applyDiffs>[1] | null = null;
      let before: Parameters<NonNullable<RunOptions['onDiffs']>>[0] | null = null;
      results.dataset.diffs = 'waiting';
      const onDiffs: RunOptions['onDiffs'] = (diffs) => {
        if (mine !== runNo) return;
        if (!drawn) {
          before = diffs; // (the client calls after the verdict; this keeps the order if one does not)
          return;
        }
        applyDiffs(results, drawn, diffs);
        results.dataset.diffs = 'done';
      };
      const r = await runExercise(id, code, { ...(only ? { only } : {}), onResult, onDiffs });
      // The runner runs just the named tests (src/grading/runtime/session.ts `only`); a file that
      // does not compile or load ran none, and is shown as such, not as a partial run.
      editor.setRunError(r.compileError ?? null);
      const allPassed = r.total > 0 && r.passed === r.total && !r.compileError && !r.loadError;
      const partial = Boolean(only) && r.compileError === undefined && r.loadError === undefined;
      const spoken = renderResults(results, r, {
        ...(partial ? { only } : {}),
        onRerunFailing: (names) => void run(names),
        ...(opts.onDrawCase ? { onDrawCase: opts.onDrawCase } : {}),
      });
      if (allPassed && !partial) {
        if (!autosave.recordPass(code)) notice(root, 'storage', 'warn', 'All tests passed, but this browser’s storage refused to record it.');
        dispatchEvent(new CustomEvent(PROGRESS_EVENT, { detail: { id, passed: true } }));
        const step = nextStep(root);
        if (step) results.append(nextLink(step));
      } else if (allPassed && partial) {
        const all = h('button', { type: 'button', class: 'cl-btn cl-btn--primary', 'data-action': 'run-all' }, 'Run all the tests');
        all.addEventListener('click', () => void run());
        results.append(h('p', { class: 'cl-results-actions' }, all));
      }
      root.dataset.state = partial ? (allPassed ? 'partial-passed' : 'failed') : allPassed ? 'passed' : 'failed';
      announce(root, spoken);
      drawn = r;
      if (before) onDiffs(before);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      results.replaceChildren(h('p', { class: 'cl-results-summary cl-bad' }, `The tests could not be run: ${msg}`));
      root.dataset.state = 'error';
      delete results.dataset.diffs;
      announce(root, `The tests could not be run: ${msg}`);
    } finally {
      running = false;
      runBtn.removeAttribute('aria-disabled');
      results.removeAttribute('aria-busy');
    }
  }
  runBtn.addEventListener('click', () => void run());
  return { run };
}
