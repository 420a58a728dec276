/**
 * One exercise's editing session, loaded by boot.ts when the learner clicks "Open editor":
 * the editor (Monaco, or a textarea on touch screens), autosave, Run tests, results, Reset.
 *
 * Still no Monaco here: the editor module is a further dynamic import, so this chunk arrives fast
 * and the page can show "Loading the editor…" while the big one downloads.
 */
import {
  debounce,
  keyFor,
  PROGRESS_EVENT,
  updateExercise,
  type SavedExercise,
} from '../../lib/storage.ts';
import { action, announce, clearNotice, h, isMac, notice, part, sessions, templateText } from './dom.ts';
import { renderResults } from './results.ts';
import { runExercise, warmUp } from './runner.ts';

interface EditorLike {
  kind: 'monaco' | 'textarea';
  getValue(): string;
  replaceAll(code: string): void;
  setRunError(err: { line: number; column: number; message: string } | null): void;
  focus(): void;
  dispose(): void;
}

interface Callbacks {
  onChange(code: string): void;
  onRun(): void;
  onLeave(): void;
}

/**
 * Touch screens get a plain <textarea>: Monaco is not made for touch (microsoft/monaco-editor#246;
 * pasting and deleting fail on Android/iOS, microsoft/TypeScript-Website#91/#127; lean4web#8 ended
 * with the same toggle). The textarea has no highlighting and no type checking, but the tests run
 * exactly the same way. It is also the fallback when the editor cannot be loaded (offline).
 */
function textareaEditor(host: HTMLElement, value: string, label: string, cb: Callbacks): EditorLike {
  const ta = h('textarea', {
    class: 'cl-textarea',
    spellcheck: 'false',
    autocapitalize: 'off',
    autocomplete: 'off',
    autocorrect: 'off',
    wrap: 'off',
    'aria-label': label,
  });
  ta.value = value;
  const fit = () => {
    ta.rows = Math.min(Math.max(ta.value.split('\n').length + 1, 12), 40);
  };
  fit();
  ta.addEventListener('input', () => {
    fit();
    cb.onChange(ta.value);
  });
  // Tab is left alone on purpose: it moves focus, so the textarea is never a keyboard trap.
  ta.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      cb.onRun();
    } else if (e.key === 'Escape' || (e.key === 'm' && e.ctrlKey)) {
      e.preventDefault();
      cb.onLeave();
    }
  });
  host.replaceChildren(ta);
  host.style.height = '';
  return {
    kind: 'textarea',
    getValue: () => ta.value,
    replaceAll(code) {
      ta.focus();
      ta.select();
      // insertText keeps the browser's own undo (Ctrl+Z) where supported.
      if (!document.execCommand?.('insertText', false, code)) ta.value = code;
      fit();
      cb.onChange(ta.value);
    },
    setRunError(err) {
      if (!err) return;
      const lines = ta.value.split('\n');
      let off = 0;
      for (let i = 0; i < Math.min(err.line - 1, lines.length); i++) off += lines[i]!.length + 1;
      off += Math.max(0, err.column - 1);
      ta.setSelectionRange(off, off + 1);
    },
    focus: () => ta.focus(),
    dispose: () => ta.remove(),
  };
}

async function monacoEditor(host: HTMLElement, id: string, value: string, label: string, cb: Callbacks, onTypeErrors: (n: number) => void): Promise<EditorLike> {
  const { createEditor } = await import('../../editor/monaco.ts');
  host.replaceChildren();
  const ed = createEditor(host, { id, value, ariaLabel: label, ...cb });
  ed.onTypeErrorsChanged(onTypeErrors);
  return { kind: 'monaco', ...ed };
}

const coarsePointer = () => matchMedia('(pointer: coarse)').matches;

export async function openSession(root: HTMLElement, opts: { saved: SavedExercise | null; t0: number }): Promise<void> {
  if (sessions.has(root)) return;
  const id = root.dataset.exercise!;
  const title = root.dataset.title ?? id;
  const starter = templateText(root, 'starter') ?? '';
  const starterHash = root.dataset.starterHash;
  const host = part(root, 'editor');
  const staticCode = part(root, 'static');
  const keys = part(root, 'keys');
  const results = part(root, 'results');
  const openBtn = action(root, 'open');
  const runBtn = action(root, 'run')!;
  const resetBtn = action(root, 'reset')!;
  const label = `Code editor for the exercise “${title}”. Ctrl+Enter runs the tests; Escape or Ctrl+M leaves the editor.`;

  // ---- autosave (debounced; flushed when the page is hidden or a run starts)
  let unsaved = false;
  const save = debounce((code: string) => {
    const r = updateExercise(id, { code, ...(starterHash ? { starterHash } : {}) });
    if (!r.ok) {
      unsaved = true;
      notice(root, 'storage', 'warn', r.problem.message);
    } else if (unsaved) {
      unsaved = false;
      clearNotice(root, 'storage');
    }
  }, 500);
  addEventListener('pagehide', () => save.flush());
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'hidden') save.flush();
  });
  addEventListener('beforeunload', (e) => {
    save.flush();
    // Storage refused the code: warn before it is lost with the page.
    if (unsaved) e.preventDefault();
  });

  // ---- editor
  let running = false;
  const cb: Callbacks = {
    onChange: (code) => save(code),
    onRun: () => void run(),
    onLeave: () => runBtn.focus(),
  };
  const initial = opts.saved?.code ?? starter;
  const typeInfo = h('span', { class: 'cl-typeinfo', 'aria-live': 'off' });
  let ed: EditorLike;
  host.hidden = false;
  if (coarsePointer()) {
    ed = textareaEditor(host, initial, label, cb);
    // No Esc/Ctrl+M talk on a touch screen: the textarea never traps focus anyway.
    keys.textContent = 'Plain text box (touch screen): no highlighting or type checking; the tests run the same way. Your code is saved in this browser as you type.';
    const full = h('button', { type: 'button', class: 'cl-btn cl-btn--quiet cl-btn--small' }, 'Use the full editor (not made for touch)');
    full.addEventListener('click', async () => {
      const code = ed.getValue();
      full.remove();
      ed.dispose();
      ed = await monacoEditor(host, id, code, label, cb, showTypeErrors);
      ed.focus();
    });
    keys.append(' ', full);
  } else {
    host.setAttribute('aria-busy', 'true');
    host.replaceChildren(h('p', { class: 'cl-loading' }, 'Loading the editor…'));
    try {
      ed = await monacoEditor(host, id, initial, label, cb, showTypeErrors);
    } catch (e) {
      console.error('collapse-lab: the editor could not be loaded', e);
      ed = textareaEditor(host, initial, label, cb);
      notice(root, 'editor-failed', 'warn', 'The full editor could not be loaded (are you offline?), so this is a plain text box. Running the tests works the same.');
    }
    host.removeAttribute('aria-busy');
  }
  keys.append(typeInfo);
  function showTypeErrors(n: number) {
    typeInfo.textContent = n === 0 ? '' : ` · TypeScript sees ${n} ${n === 1 ? 'problem' : 'problems'} (red squiggles; hover for details)`;
  }
  sessions.set(root, { code: () => ed.getValue() });

  // Q (issue 6, two tabs): the same exercise open in another tab or window. Storage keeps whichever
  // tab saved last; this tab's text stays on screen, and it is told, with a way to load the other
  // version (undoable) or to save its own again.
  addEventListener('storage', (e) => {
    if (e.key !== keyFor(id) || e.newValue === null) return;
    let other: unknown;
    try {
      other = (JSON.parse(e.newValue) as { code?: unknown }).code;
    } catch {
      return;
    }
    if (typeof other !== 'string' || other === ed.getValue()) return;
    const theirs = other;
    notice(root, 'other-tab', 'warn', 'This exercise was just saved from another tab or window with different code. Your code here is unchanged; whichever tab saves last is what is kept.', [
      {
        label: 'Load the other tab’s version',
        run: () => {
          const mine = ed.getValue();
          ed.replaceAll(theirs);
          save(theirs);
          notice(root, 'other-tab', 'info', 'Loaded the code from the other tab.', [
            { label: 'Undo', run: () => { ed.replaceAll(mine); save(mine); clearNotice(root, 'other-tab'); ed.focus(); } },
          ]);
        },
      },
      { label: 'Keep mine', run: () => { save(ed.getValue()); save.flush(); clearNotice(root, 'other-tab'); ed.focus(); } },
    ]);
  });

  staticCode.hidden = true;
  openBtn?.remove();
  clearNotice(root, 'restored');
  runBtn.hidden = false;
  resetBtn.hidden = false;
  keys.hidden = false;
  ed.focus();
  const ms = Math.round(performance.now() - opts.t0);
  root.dataset.editor = ed.kind;
  root.dataset.editorMs = String(ms);
  performance.measure?.(`collapse-lab:editor-open:${id}`, { start: opts.t0, end: performance.now() });
  void warmUp();

  // ---- run
  async function run(): Promise<void> {
    if (running) return;
    running = true;
    save.flush();
    // aria-disabled, not disabled: a disabled button would drop keyboard focus to <body>.
    runBtn.setAttribute('aria-disabled', 'true');
    results.setAttribute('aria-busy', 'true');
    root.dataset.state = 'running';
    results.replaceChildren(h('p', { class: 'cl-loading' }, 'Running the tests…'));
    announce(root, 'Running the tests…');
    try {
      const code = ed.getValue();
      const r = await runExercise(id, code);
      ed.setRunError(r.compileError ?? null);
      const spoken = renderResults(results, r);
      const allPassed = r.total > 0 && r.passed === r.total && !r.compileError && !r.loadError;
      if (allPassed) {
        const now = new Date().toISOString();
        const w = updateExercise(id, { code, ...(starterHash ? { starterHash } : {}), passed: true, passedAt: now });
        if (!w.ok) notice(root, 'storage', 'warn', w.problem.message);
        dispatchEvent(new CustomEvent(PROGRESS_EVENT, { detail: { id, passed: true } }));
      }
      root.dataset.state = allPassed ? 'passed' : 'failed';
      announce(root, spoken);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      results.replaceChildren(h('p', { class: 'cl-results-summary cl-bad' }, `The tests could not be run: ${msg}`));
      root.dataset.state = 'error';
      announce(root, `The tests could not be run: ${msg}`);
    } finally {
      running = false;
      runBtn.removeAttribute('aria-disabled');
      results.removeAttribute('aria-busy');
    }
  }
  runBtn.addEventListener('click', () => void run());

  // ---- reset (undoable)
  resetBtn.addEventListener('click', () => {
    const before = ed.getValue();
    if (before === starter) {
      notice(root, 'reset', 'info', 'The editor already holds the starter code.');
      return;
    }
    ed.replaceAll(starter);
    save(starter);
    clearNotice(root, 'starter-changed');
    notice(root, 'reset', 'info', 'Your code was replaced by the starter code.', [
      {
        label: 'Undo reset',
        run: () => {
          ed.replaceAll(before);
          save(before);
          clearNotice(root, 'reset');
          ed.focus();
        },
      },
    ]);
    announce(root, 'Your code was replaced by the starter code. An Undo reset button is in the notices above the editor.');
  });

  const runKey = root.querySelector('[data-part="run-key"]');
  if (runKey) runKey.textContent = isMac ? '⌘ Enter' : 'Ctrl+Enter';
}
