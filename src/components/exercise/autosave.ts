/**
 * Autosave for one open exercise, and the two-pages case (issue 9 item 7: saved work is never lost).
 *
 * Contract:
 * - `save(code)` is debounced (500 ms) and flushed when the page is hidden or closed and before a
 *   run; a refused write shows a notice and the code stays in the editor (a close is then warned).
 * - Every write goes through `saveCode` with the version this page last read or wrote (`base`):
 *   if another page saved different code since, that code is kept in the backup ring first —
 *   whether or not this page heard of it (storage events can be missed: a frozen or discarded tab,
 *   a second browser profile syncing later). The learner is told, with a way to load it.
 * - A save from another page that this page does hear about (storage event) shows a notice with
 *   "Load the other tab's version" (undoable) or "Keep mine" (saves now; theirs goes to the ring).
 */
import {
  debounce,
  keyFor,
  pushBackup,
  saveCode,
  type BackupEntry,
  type SaveBase,
  type SavedExercise,
} from '../../lib/storage.ts';
import { clearNotice, notice } from './dom.ts';
import type { EditorLike } from './editors.ts';

export interface Autosave {
  /** Save soon (debounced). */
  save(code: string): void;
  /** Write a pending save now. */
  flush(): void;
  /** Record a full pass of `code` in this browser (saves the code too). Returns false if storage refused. */
  recordPass(code: string): boolean;
}

function when(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleTimeString(undefined, { timeStyle: 'short' });
}

export function startAutosave(
  root: HTMLElement,
  opts: { id: string; starterHash?: string; initial: SavedExercise | null; editor: () => EditorLike },
): Autosave {
  const { id, starterHash } = opts;
  let base: SaveBase = opts.initial;
  let unsaved = false;

  const write = (code: string, passed?: true): boolean => {
    const r = saveCode(id, { code, ...(starterHash ? { starterHash } : {}), ...(passed ? { passed } : {}) }, base);
    if (!r.ok) {
      unsaved = true;
      notice(root, 'storage', 'warn', r.problem.message);
      return false;
    }
    base = r.state;
    if (unsaved) {
      unsaved = false;
      clearNotice(root, 'storage');
    }
    if (r.kept) keptOther(r.kept);
    return true;
  };

  /** Another page's code was moved to the backup ring by this page's save: say so, offer it. */
  const keptOther = (kept: BackupEntry) => {
    notice(
      root,
      'other-tab',
      'warn',
      `Another tab or window had saved different code for this exercise (at ${when(kept.savedAt)}). This page saved ` +
        'its own code, and kept the other version as a backup: it is listed on the Progress page under “Backups”.',
      [
        {
          label: 'Load the other version here',
          run: () => {
            const ed = opts.editor();
            const mine = ed.getValue();
            save.flush();
            const at = new Date().toISOString();
            const b = pushBackup(id, { code: mine, savedAt: base?.savedAt ?? at, keptAt: at, reason: 'restore' });
            if (!b.ok) {
              notice(root, 'other-tab', 'warn', `The other version was not loaded: ${b.problem.message}`);
              return;
            }
            ed.replaceAll(kept.code);
            save(kept.code);
            save.flush();
            notice(root, 'other-tab', 'info', 'Loaded the other version. Your previous code is kept as a backup too.', [
              { label: 'Undo', run: () => { ed.replaceAll(mine); save(mine); clearNotice(root, 'other-tab'); ed.focus(); } },
            ]);
          },
        },
      ],
    );
  };

  const save = debounce((code: string) => void write(code), 500);
  addEventListener('pagehide', () => save.flush());
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'hidden') save.flush();
  });
  addEventListener('beforeunload', (e) => {
    save.flush();
    // Storage refused the code: warn before it is lost with the page.
    if (unsaved) e.preventDefault();
  });

  // Another page saved this exercise and this page heard of it.
  addEventListener('storage', (e) => {
    if (e.key !== keyFor(id) || e.newValue === null) return;
    let theirs: SavedExercise;
    try {
      theirs = JSON.parse(e.newValue) as SavedExercise;
    } catch {
      return;
    }
    const ed = opts.editor();
    if (typeof theirs.code !== 'string' || theirs.code === ed.getValue()) return;
    notice(
      root,
      'other-tab',
      'warn',
      'This exercise was just saved from another tab or window with different code. Your code here is unchanged; ' +
        'if this page saves again, the other version is kept as a backup (Progress page → Backups).',
      [
        {
          label: 'Load the other tab’s version',
          run: () => {
            const mine = ed.getValue();
            base = theirs;
            ed.replaceAll(theirs.code);
            save.cancel();
            notice(root, 'other-tab', 'info', 'Loaded the code from the other tab.', [
              { label: 'Undo', run: () => { ed.replaceAll(mine); save(mine); clearNotice(root, 'other-tab'); ed.focus(); } },
            ]);
          },
        },
        // Saving now keeps theirs in the backup ring (the save says so in a new notice).
        { label: 'Keep mine', run: () => { clearNotice(root, 'other-tab'); save(ed.getValue()); save.flush(); ed.focus(); } },
      ],
    );
  });

  return {
    save,
    flush: () => save.flush(),
    recordPass(code) {
      save.cancel();
      return write(code, true);
    },
  };
}
