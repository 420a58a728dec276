/**
 * "Next: …" after a full pass (issue 14): the next exercise on this page that has not passed in
 * this browser, else the next page of the course (Starlight's own pagination link, so the order is
 * the sidebar's). Null when there is nowhere to go.
 */
import { hasPassed } from '../../lib/storage.ts';
import { h } from './dom.ts';

export interface NextStep {
  href: string;
  /** "exercise “Title”" or "chapter “Title”". */
  label: string;
  kind: 'exercise' | 'page';
}

export function nextStep(root: HTMLElement): NextStep | null {
  const all = [...document.querySelectorAll<HTMLElement>('section.cl-exercise[data-exercise]')];
  const after = all.slice(all.indexOf(root) + 1).concat(all.slice(0, all.indexOf(root)));
  const open = after.find((s) => !hasPassed(s.dataset.exercise!));
  if (open) {
    const heading = open.getAttribute('aria-labelledby');
    return { href: `#${heading ?? `exercise-${open.dataset.exercise}`}`, label: `exercise “${open.dataset.title ?? open.dataset.exercise}”`, kind: 'exercise' };
  }
  const next = document.querySelector<HTMLAnchorElement>('.pagination-links a[rel="next"], a[rel="next"]');
  if (!next) return null;
  const title = next.querySelector('.link-title')?.textContent?.trim() || next.textContent?.trim() || 'the next page';
  return { href: next.href, label: `chapter “${title}”`, kind: 'page' };
}

/** The link, as a paragraph for the results area. */
export function nextLink(step: NextStep): HTMLElement {
  return h('p', { class: 'cl-next', 'data-part': 'next' }, h('a', { href: step.href, class: 'cl-btn cl-btn--primary', 'data-kind': step.kind }, `Next: ${step.label} →`));
}
