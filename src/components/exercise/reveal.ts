/**
 * "Reveal solution": the reference solution as a line diff against the learner's code (the
 * `diff` package, loaded only here). The solution text is in a <template> in the page — except
 * in the lab build (COLLAPSE_LAB_LAB_BUILD=1), where Exercise.astro renders neither the template
 * nor the button.
 */
import { diffLines } from 'diff';
import { h, part, templateText } from './dom.ts';

export function showSolution(root: HTMLElement, learnerCode: string): void {
  const area = part(root, 'reveal');
  const solution = templateText(root, 'solution');
  if (solution === null) {
    area.replaceChildren(h('p', {}, 'The solution is not part of this build of the course.'));
    return;
  }
  const changes = diffLines(learnerCode, solution);
  // Q: focusable scrolling region, so keyboard users can scroll a wide diff (axe scrollable-region-focusable).
  const pre = h('pre', { class: 'cl-diff', tabindex: '0', role: 'region', 'aria-label': 'Differences between your code and the reference solution' });
  let added = 0;
  let removed = 0;
  for (const c of changes) {
    const lines = c.value.replace(/\n$/, '').split('\n');
    for (const line of lines) {
      const cls = c.added ? 'cl-diff-add' : c.removed ? 'cl-diff-del' : 'cl-diff-same';
      const mark = c.added ? '+ ' : c.removed ? '- ' : '  ';
      if (c.added) added++;
      if (c.removed) removed++;
      // Screen readers get words, sighted readers get colour and the +/- column.
      const sr = c.added ? 'added: ' : c.removed ? 'removed: ' : '';
      pre.append(
        h('span', { class: cls }, sr ? h('span', { class: 'sr-only' }, sr) : null, h('span', { 'aria-hidden': 'true' }, mark), line, '\n'),
      );
    }
  }
  const heading = h('h4', { tabindex: '-1' }, 'Reference solution');
  const summary =
    added === 0 && removed === 0
      ? 'Your code is identical to the reference solution.'
      : `Lines marked + are in the solution but not in your code (${added}); lines marked − are in your code but not in the solution (${removed}).`;
  area.replaceChildren(
    heading,
    h('p', {}, summary),
    pre,
    h('details', {}, h('summary', {}, 'The whole solution, without the diff'), h('pre', { class: 'cl-solution', tabindex: '0', 'aria-label': 'The reference solution' }, solution)),
  );
  heading.focus();
}
