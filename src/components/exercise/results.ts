/**
 * Renders a RunResult (src/grading/types.ts) into the exercise's results area: a summary line,
 * each test with its status and message, the first failure open. Returns the sentence announced
 * to screen readers.
 */
import type { RunResult, TestResult } from '../../grading/types.ts';
import { h } from './dom.ts';

const STATUS_LABEL: Record<TestResult['status'], string> = {
  passed: 'passed',
  failed: 'failed',
  error: 'error',
  timeout: 'timed out',
};
const STATUS_ICON: Record<TestResult['status'], string> = {
  passed: '✓',
  failed: '✗',
  error: '!',
  timeout: '∞',
};

function seconds(ms: number): string {
  const s = Math.round(ms / 100) / 10;
  return `${s} s`;
}

/** The run was cut short by a limit: how long it ran, in ms (null when it was not). */
export function stoppedAfter(r: RunResult): number | null {
  if (r.stoppedAfterMs !== undefined) return r.stoppedAfterMs;
  const t = r.tests.find((t) => t.status === 'timeout');
  if (!t) return null;
  const m = /(\d+(?:\.\d+)?)\s*(ms|s)\b/.exec(t.message);
  if (m) return m[2] === 's' ? Number(m[1]) * 1000 : Number(m[1]);
  return t.durationMs ?? 2000;
}

export function renderResults(area: HTMLElement, r: RunResult): string {
  area.replaceChildren();
  const allPassed = r.total > 0 && r.passed === r.total && !r.compileError && !r.loadError;
  const head = h('p', { class: `cl-results-summary ${allPassed ? 'cl-ok' : 'cl-bad'}` });
  let spoken: string;

  if (r.compileError) {
    const { line, column, message } = r.compileError;
    spoken = `Your code does not compile: line ${line}, column ${column}: ${message}`;
    head.textContent = `Syntax error at line ${line}:${column} — ${message}`;
    area.append(head, h('p', { class: 'cl-results-note' }, 'The error is marked in the editor. No tests were run.'));
    return spoken;
  }

  const stopped = stoppedAfter(r);
  if (allPassed) {
    spoken = `All ${r.total} tests passed.`;
    head.textContent = `✓ All ${r.total} tests passed`;
  } else {
    spoken = `${r.passed} of ${r.total} tests passed.`;
    head.textContent = `${r.passed} of ${r.total} tests passed`;
  }
  area.append(head);

  if (stopped !== null) {
    const msg =
      `The run was stopped after ${seconds(stopped)}: your code may be in an infinite loop ` +
      `(or be far too slow). The page is fine; fix the loop and run the tests again.`;
    area.append(h('p', { class: 'cl-results-timeout', role: 'alert' }, msg));
    spoken += ` ${msg}`;
  }
  if (r.loadError && !r.tests.length) {
    area.append(h('pre', { class: 'cl-results-message' }, r.loadError));
    spoken += ` ${r.loadError}`;
  }
  if (r.output) {
    area.append(
      h('details', { class: 'cl-results-output' }, h('summary', {}, 'Output printed while loading your code'), h('pre', {}, r.output)),
    );
  }

  // Failures first (in file order, the first one open), then the passes folded away: with 60
  // tests, a wall of green would bury the one that matters.
  const renderTest = (t: TestResult): HTMLLIElement => {
    const li = h('li', { class: `cl-test cl-test--${t.status}` });
    const label = h(
      'span',
      { class: 'cl-test-label' },
      h('span', { class: 'cl-test-icon', 'aria-hidden': 'true' }, STATUS_ICON[t.status]),
      h('span', { class: 'cl-test-status' }, STATUS_LABEL[t.status]),
      ' ',
      h('span', { class: 'cl-test-name' }, t.name),
    );
    if (t.status === 'passed' && !t.output) {
      li.append(label);
      return li;
    }
    const d = h('details', {}, h('summary', {}, label));
    if (t.message) d.append(h('pre', { class: 'cl-results-message' }, t.message));
    if (t.output) d.append(h('p', { class: 'cl-results-note' }, 'Printed by your code:'), h('pre', { class: 'cl-results-output' }, t.output));
    li.append(d);
    return li;
  };
  const failures = r.tests.filter((t) => t.status !== 'passed');
  const passes = r.tests.filter((t) => t.status === 'passed');
  const list = h('ol', { class: 'cl-results-list', 'aria-label': 'Tests that did not pass' });
  failures.forEach((t, i) => {
    const li = renderTest(t);
    if (i === 0) {
      li.querySelector('details')!.open = true;
      spoken += ` First failure: ${t.name}.`;
    }
    list.append(li);
  });
  if (failures.length) area.append(list);
  if (passes.length) {
    const ok = h('ol', { class: 'cl-results-list', 'aria-label': 'Tests that passed' });
    for (const t of passes) ok.append(renderTest(t));
    const fold = h(
      'details',
      { class: 'cl-results-passed' },
      h('summary', {}, allPassed ? `Show the ${passes.length} tests` : `Show the ${passes.length} tests that passed`),
      ok,
    );
    area.append(fold);
  }
  return spoken;
}
