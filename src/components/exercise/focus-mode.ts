/**
 * Wide/focus mode (issue 14, "Room to work"): the exercise fills the window — the editor tall and
 * wide, the results beside it on a wide screen, below it on a narrow one. A toggle button
 * (aria-pressed) enters and leaves it; Esc leaves it (from the editor, Esc first leaves focus mode
 * and then, as always, moves focus to "Run tests"). The page behind does not scroll meanwhile.
 */
import { action } from './dom.ts';

export interface FocusMode {
  active(): boolean;
  exit(): void;
}

export function setupFocusMode(root: HTMLElement, opts: { onChange?: (on: boolean) => void } = {}): FocusMode {
  const btn = action(root, 'focus');
  const set = (on: boolean) => {
    if (on) root.dataset.focus = 'true';
    else delete root.dataset.focus;
    document.documentElement.classList.toggle('cl-focus-open', on);
    if (btn) {
      btn.setAttribute('aria-pressed', String(on));
      btn.textContent = on ? 'Leave wide mode (Esc)' : 'Wide editor';
    }
    opts.onChange?.(on);
  };
  const active = () => root.dataset.focus === 'true';
  if (btn) {
    btn.hidden = false;
    btn.addEventListener('click', () => {
      set(!active());
      btn.focus();
    });
  }
  // Esc anywhere in the exercise (outside the editor, which reports Esc through onLeave).
  root.addEventListener('keydown', (e) => {
    if (e.key !== 'Escape' || !active() || e.defaultPrevented) return;
    if ((e.target as HTMLElement | null)?.closest('.monaco-editor')) return;
    e.preventDefault();
    set(false);
    btn?.focus();
  });
  return { active, exit: () => set(false) };
}
