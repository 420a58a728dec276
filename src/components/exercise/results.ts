/**
 * Renders a RunResult (src/grading/types.ts) into the exercise's results area: a summary line,
 * failures grouped by describe block with alike ones folded (./failure-groups.ts), the first
 * failure open, passes folded away. Returns the sentence announced to screen readers.
 */
import type { RunResult, TestResult } from '../../grading/types.ts';
import type { LateDiffText } from '../../grading/late-diffs.ts';
import { h } from './dom.ts';
import { groupResults, splitName } from './failure-groups.ts';

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

export interface RenderOptions {
  /** The run was limited to these test names ("Re-run failing only"). */
  only?: readonly string[];
  /** Called with the failing tests' names when the learner asks to re-run only those. */
  onRerunFailing?: (names: string[]) => void;
  /**
   * "Draw this case" (issue 14): shown on a failed test that carries the scenario it ran the
   * learner's code on (TestResult.scenario, recorded by the runner); called with it.
   */
  onDrawCase?: (scenario: NonNullable<TestResult['scenario']>) => void;
}

function testItem(t: TestResult, title: string, onDrawCase?: RenderOptions['onDrawCase']): HTMLLIElement {
  const li = h('li', { class: `cl-test cl-test--${t.status}`, 'data-name': t.name });
  const label = h(
    'span',
    { class: 'cl-test-label' },
    h('span', { class: 'cl-test-icon', 'aria-hidden': 'true' }, STATUS_ICON[t.status]),
    h('span', { class: 'cl-test-status' }, STATUS_LABEL[t.status]),
    ' ',
    h('span', { class: 'cl-test-name' }, title),
  );
  if (t.status === 'passed' && !t.output) {
    li.append(label);
    return li;
  }
  const d = h('details', {}, h('summary', {}, label));
  if (t.message) d.append(h('pre', { class: 'cl-results-message' }, t.message));
  if (t.output) d.append(h('p', { class: 'cl-results-note' }, 'Printed by your code:'), h('pre', { class: 'cl-results-output' }, t.output));
  const scenario = t.scenario;
  if (onDrawCase && t.status !== 'passed' && scenario && typeof scenario === 'object') {
    const b = h('button', { type: 'button', class: 'cl-btn cl-btn--small', 'data-action': 'draw-case' }, 'Draw this case');
    b.addEventListener('click', () => onDrawCase(scenario));
    d.append(h('p', { class: 'cl-results-actions' }, b));
  }
  li.append(d);
  return li;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/**
 * Draw `r` into `area`: summary, then the failures grouped by describe block with alike failures
 * folded ("N more like this"), a "Re-run failing only" button, and the passes folded away.
 * Returns the sentence announced to screen readers.
 */
export function renderResults(area: HTMLElement, r: RunResult, opts: RenderOptions = {}): string {
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

  const partial = opts.only !== undefined;
  const stopped = stoppedAfter(r);
  if (partial) {
    spoken = `Re-ran ${plural(r.total, 'failing test')}: ${r.passed} pass now, ${r.total - r.passed} still fail.`;
    head.textContent = allPassed
      ? `✓ The ${plural(r.total, 'test')} that failed pass now — run all the tests to confirm`
      : `Re-ran ${plural(r.total, 'failing test')}: ${r.passed} pass now, ${r.total - r.passed} still fail`;
    head.classList.toggle('cl-ok', false);
    head.classList.toggle('cl-partial', true);
  } else if (allPassed) {
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

  const groups = groupResults(r.tests);
  const failing = r.tests.filter((t) => t.status !== 'passed');
  if (failing.length) {
    const box = h('div', { class: 'cl-results-failures', 'data-part': 'failures', role: 'group', 'aria-label': 'Tests that did not pass' });
    if (opts.onRerunFailing && !r.loadError && failing.length < r.total) {
      const names = failing.map((t) => t.name);
      const again = h('button', { type: 'button', class: 'cl-btn cl-btn--small', 'data-action': 'rerun-failing' }, `Re-run the ${plural(names.length, 'failing test')} only`);
      again.addEventListener('click', () => opts.onRerunFailing!(names));
      box.append(h('p', { class: 'cl-results-actions' }, again));
    }
    let firstOpened = false;
    for (const g of groups) {
      if (!g.folds.length) continue;
      const nFailed = g.total - g.passed.length;
      const section = h('section', { class: 'cl-group', 'data-group': g.name });
      section.append(
        h(
          'h4',
          { class: 'cl-group-title' },
          h('span', { class: 'cl-group-name' }, g.name || 'Tests'),
          ' ',
          h('span', { class: 'cl-group-count' }, `${nFailed} of ${g.total} did not pass`),
        ),
      );
      const list = h('ol', { class: 'cl-results-list' });
      for (const f of g.folds) {
        const li = testItem(f.first, splitName(f.first.name).title, opts.onDrawCase);
        if (!firstOpened) {
          li.querySelector('details')!.open = true;
          firstOpened = true;
          spoken += ` First failure: ${f.first.name}.`;
        }
        list.append(li);
        if (f.alike.length) {
          const more = h('ol', { class: 'cl-results-list' });
          for (const t of f.alike) more.append(testItem(t, splitName(t.name).title, opts.onDrawCase));
          list.append(
            h(
              'li',
              { class: 'cl-alike', 'data-count': String(f.alike.length) },
              h('details', {}, h('summary', {}, `${f.alike.length} more like this`), more),
            ),
          );
        }
      }
      section.append(list);
      box.append(section);
    }
    area.append(box);
  }

  const passes = r.tests.filter((t) => t.status === 'passed');
  if (passes.length) {
    const fold = h(
      'details',
      { class: 'cl-results-passed' },
      h('summary', {}, allPassed ? `Show the ${passes.length} tests` : `Show the ${passes.length} tests that passed`),
    );
    for (const g of groups) {
      if (!g.passed.length) continue;
      if (g.name) fold.append(h('p', { class: 'cl-group-name cl-group-name--small' }, g.name));
      const ok = h('ol', { class: 'cl-results-list', 'aria-label': g.name ? `Passed: ${g.name}` : 'Tests that passed' });
      for (const t of g.passed) ok.append(testItem(t, splitName(t.name).title));
      fold.append(ok);
    }
    area.append(fold);
  }
  return spoken;
}

/**
 * Late diffs (src/grading/orchestrate.ts `lateDiffs`): complete the messages of failures drawn by
 * renderResults with their diffs, in place — the same <pre> (open or folded in "N more like
 * this"), so the message reads as an inline run's would: the assertion, a blank line, the diff.
 * Each must name a failed test of `r` at its index; `r`'s messages are updated too. Returns how
 * many were shown. Grouping stays as drawn (alike failures fold by the message without its diff).
 */
export function applyDiffs(area: HTMLElement, r: RunResult, diffs: readonly LateDiffText[]): number {
  let shown = 0;
  const items = new Map<string, HTMLElement>();
  for (const li of area.querySelectorAll<HTMLElement>('[data-part="failures"] li.cl-test')) if (li.dataset.name !== undefined) items.set(li.dataset.name, li);
  for (const d of diffs) {
    const t = r.tests[d.index];
    if (!t || t.name !== d.name || t.status !== 'failed' || typeof d.message !== 'string') continue;
    t.message = d.message;
    const pre = items.get(d.name)?.querySelector('.cl-results-message');
    if (!pre) continue;
    pre.textContent = d.message;
    shown++;
  }
  return shown;
}
