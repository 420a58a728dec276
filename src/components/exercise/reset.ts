/**
 * "Reset to starter" (undoable from a notice), and after it the editor scrolls to the first TODO
 * of the starter — where the learner's work starts (issue 14, "Room to work").
 */
import type { Autosave } from './autosave.ts';
import { announce, clearNotice, notice } from './dom.ts';
import type { EditorLike } from './editors.ts';

/** 1-based line of the first "TODO" in `code`, or 1 when there is none. */
export function todoLine(code: string): number {
  const i = code.split('\n').findIndex((l) => /\bTODO\b/.test(l));
  return i < 0 ? 1 : i + 1;
}

export function setupReset(root: HTMLElement, opts: { starter: string; editor: EditorLike; autosave: Autosave; resetBtn: HTMLButtonElement }): void {
  const { starter, editor, autosave, resetBtn } = opts;
  resetBtn.addEventListener('click', () => {
    const before = editor.getValue();
    if (before === starter) {
      notice(root, 'reset', 'info', 'The editor already holds the starter code.');
      editor.revealLine(todoLine(starter));
      return;
    }
    editor.replaceAll(starter);
    autosave.save(starter);
    clearNotice(root, 'starter-changed');
    notice(root, 'reset', 'info', 'Your code was replaced by the starter code.', [
      {
        label: 'Undo reset',
        run: () => {
          editor.replaceAll(before);
          autosave.save(before);
          clearNotice(root, 'reset');
          editor.focus();
        },
      },
    ]);
    editor.revealLine(todoLine(starter));
    announce(root, 'Your code was replaced by the starter code; the cursor is at the first TODO. An Undo reset button is in the notices above the editor.');
  });
}
