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
  // The top layer (Popover API) puts the exercise above everything, whatever stacking contexts
  // and overflow clipping Starlight's layout has around it; `position: fixed` alone was drawn under
  // the sidebar. Without the API, fixed positioning is the fallback.
  const topLayer = typeof root.showPopover === 'function';
  const set = (on: boolean) => {
    if (on) {
      root.dataset.focus = 'true';
      if (topLayer && !root.matches(':popover-open')) {
        root.setAttribute('popover', 'manual');
        root.showPopover();
      }
    } else {
      delete root.dataset.focus;
      if (topLayer && root.hasAttribute('popover')) {
        if (root.matches(':popover-open')) root.hidePopover();
        root.removeAttribute('popover');
      }
    }
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
