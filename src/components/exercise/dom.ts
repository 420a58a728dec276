/**
 * Small DOM helpers shared by the exercise scripts (boot, session, reveal). Kept tiny: boot.ts is
 * on every exercise page before anyone opens an editor.
 *
 * DOM contract (rendered by src/components/Exercise.astro):
 *   section.cl-exercise[data-exercise=<id>][data-starter-hash]
 *     [data-part=status|notices|static|editor|toolbar|keys|live|side>(results|hints|reveal)]
 *     button[data-action=open|run|reset|focus|hint|reveal]
 *     template[data-part=starter]  template[data-part=solution] (absent in the lab build)
 */

export function part<T extends HTMLElement = HTMLElement>(root: HTMLElement, name: string): T {
  const el = root.querySelector<T>(`[data-part="${name}"]`);
  if (!el) throw new Error(`exercise markup is missing [data-part="${name}"]`);
  return el;
}

export function action(root: HTMLElement, name: string): HTMLButtonElement | null {
  return root.querySelector<HTMLButtonElement>(`button[data-action="${name}"]`);
}

/** Text of a <template data-part=…> holding a <pre> (starter, solution), or null. */
export function templateText(root: HTMLElement, name: string): string | null {
  const t = root.querySelector<HTMLTemplateElement>(`template[data-part="${name}"]`);
  return t ? (t.content.textContent ?? '') : null;
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Record<string, string> = {},
  ...children: (Node | string | null | undefined | false)[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') el.className = v;
    else el.setAttribute(k, v);
  }
  for (const c of children) if (c) el.append(c);
  return el;
}

export type NoticeTone = 'info' | 'warn' | 'error' | 'success';

/**
 * Show (or replace) the notice with this key in the exercise's notice area. Returns the element.
 * Notices stay until replaced or cleared: the learner must be able to read them at their pace.
 */
export function notice(
  root: HTMLElement,
  key: string,
  tone: NoticeTone,
  text: string,
  actions: { label: string; run: () => void }[] = [],
): HTMLElement {
  const area = part(root, 'notices');
  area.querySelector(`[data-notice="${key}"]`)?.remove();
  const el = h('div', { class: `cl-notice cl-notice--${tone}`, 'data-notice': key });
  el.append(h('p', {}, text));
  for (const a of actions) {
    const b = h('button', { type: 'button', class: 'cl-btn cl-btn--small' }, a.label);
    b.addEventListener('click', a.run);
    el.append(b);
  }
  const close = h('button', { type: 'button', class: 'cl-notice-close', 'aria-label': 'Dismiss this notice' }, '×');
  close.addEventListener('click', () => el.remove());
  el.append(close);
  area.append(el);
  return el;
}

export function clearNotice(root: HTMLElement, key: string): void {
  root.querySelector(`[data-part="notices"] [data-notice="${key}"]`)?.remove();
}

/** Announce a short sentence to screen readers through the exercise's aria-live region. */
export function announce(root: HTMLElement, text: string): void {
  const live = part(root, 'live');
  // Clearing first makes repeated identical messages ("2 of 5 passed") announced again.
  live.textContent = '';
  requestAnimationFrame(() => {
    live.textContent = text;
  });
}

export const isMac = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent);

/** Per-exercise hooks the lazily loaded session registers so boot's buttons can reach it. */
export interface SessionHooks {
  /** The code currently in the editor. */
  code(): string;
}
export const sessions = new WeakMap<HTMLElement, SessionHooks>();
