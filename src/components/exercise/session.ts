/**
 * One exercise's editing session, loaded by boot.ts when the learner clicks "Open editor". This is
 * only the wiring; each job is a module of its own:
 *
 *   editors.ts      which editor (Monaco / textarea), one interface over both
 *   autosave.ts     debounced saving that never overwrites another page's newer code
 *   run-control.ts  Run tests, re-run failing only, pass recording, the "Next" link
 *   results.ts      results grouped by describe block, alike failures folded (failure-groups.ts)
 *   reset.ts        undoable Reset, then the cursor at the starter's TODO
 *   focus-mode.ts   wide/focus mode, Esc leaves it
 *   draw-my-run.ts  "Draw my run" beside Run tests, and "Draw this case" on a failed test
 *
 * Still no Monaco here: the editor module is a further dynamic import, so this chunk arrives fast
 * and the page can show "Loading the editor…" while the big one downloads.
 */
import type { SavedExercise } from '../../lib/storage.ts';
import { startAutosave, type Autosave } from './autosave.ts';
import { action, clearNotice, isMac, part, sessions, templateText } from './dom.ts';
import { mountEditor, type EditorLike } from './editors.ts';
import { setupDrawMyRun } from './draw-my-run.ts';
import { setupFocusMode } from './focus-mode.ts';
import { setupReset } from './reset.ts';
import { setupRuns } from './run-control.ts';
import { warmUp } from './runner.ts';

export async function openSession(root: HTMLElement, opts: { saved: SavedExercise | null; t0: number }): Promise<void> {
  if (sessions.has(root)) return;
  const id = root.dataset.exercise!;
  const starter = templateText(root, 'starter') ?? '';
  const runBtn = action(root, 'run')!;
  const resetBtn = action(root, 'reset')!;

  // The editor's callbacks reach modules made after it; they only fire after this function returns.
  let autosave: Autosave | undefined;
  let runs: ReturnType<typeof setupRuns> | undefined;
  const focusMode = setupFocusMode(root);
  const editor: EditorLike = await mountEditor(root, {
    id,
    title: root.dataset.title ?? id,
    initial: opts.saved?.code ?? starter,
    cb: {
      onChange: (code) => autosave?.save(code),
      onRun: () => void runs?.run(),
      onLeave: () => {
        focusMode.exit();
        runBtn.focus();
      },
    },
  });
  autosave = startAutosave(root, { id, ...(root.dataset.starterHash ? { starterHash: root.dataset.starterHash } : {}), initial: opts.saved, editor: () => editor });
  const drawing = setupDrawMyRun(root, { editor, runBtn, results: part(root, 'results') });
  runs = setupRuns(root, { id, editor, autosave, runBtn, results: part(root, 'results'), onDrawCase: (s) => void drawing.open(s) });
  setupReset(root, { starter, editor, autosave, resetBtn });
  sessions.set(root, { code: () => editor.getValue() });

  part(root, 'static').hidden = true;
  action(root, 'open')?.remove();
  clearNotice(root, 'restored');
  runBtn.hidden = false;
  resetBtn.hidden = false;
  part(root, 'keys').hidden = false;
  const runKey = root.querySelector('[data-part="run-key"]');
  if (runKey) runKey.textContent = isMac ? '⌘ Enter' : 'Ctrl+Enter';
  editor.focus();
  root.dataset.editor = editor.kind;
  root.dataset.editorMs = String(Math.round(performance.now() - opts.t0));
  performance.measure?.(`collapse-lab:editor-open:${id}`, { start: opts.t0, end: performance.now() });
  void warmUp(id);
}
