/**
 * Which editor an exercise gets, and one interface over both: Monaco (lazy chunk, with the
 * engine's types) on desktops, a plain <textarea> on touch screens or when Monaco cannot load.
 *
 * Contract: `mountEditor` fills the exercise's editor host and returns an `EditorLike` that keeps
 * working when the learner switches from the textarea to Monaco (it forwards to whichever editor
 * is current). It never throws for a failed Monaco load: that falls back to the textarea with a
 * notice. Keys: Ctrl/Cmd+Enter → `onRun`, Esc/Ctrl+M → `onLeave` (no keyboard trap).
 */
import { h, notice, part } from './dom.ts';

export interface EditorLike {
  readonly kind: 'monaco' | 'textarea';
  getValue(): string;
  /** Replace the whole text as one undoable edit. */
  replaceAll(code: string): void;
  /** Mark (or clear, with null) the syntax error of the last run. */
  setRunError(err: { line: number; column: number; message: string } | null): void;
  /** Cursor to the start of `line` (1-based), scrolled into view. */
  revealLine(line: number): void;
  focus(): void;
  dispose(): void;
}

export interface EditorCallbacks {
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
function textareaEditor(host: HTMLElement, value: string, label: string, cb: EditorCallbacks): EditorLike {
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
  const offsetOf = (line: number, column: number) => {
    const lines = ta.value.split('\n');
    let off = 0;
    for (let i = 0; i < Math.min(line - 1, lines.length); i++) off += lines[i]!.length + 1;
    return off + Math.max(0, column - 1);
  };
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
      const off = offsetOf(err.line, err.column);
      ta.setSelectionRange(off, off + 1);
    },
    revealLine(line) {
      const off = offsetOf(line, 1);
      ta.focus();
      ta.setSelectionRange(off, off);
      const lh = parseFloat(getComputedStyle(ta).lineHeight) || 20;
      ta.scrollTop = Math.max(0, (line - 4) * lh);
      // the textarea grows with its text, so the page is what scrolls
      const r = ta.getBoundingClientRect();
      window.scrollTo({ top: window.scrollY + r.top + (line - 1) * lh - window.innerHeight / 3 });
    },
    focus: () => ta.focus(),
    dispose: () => ta.remove(),
  };
}

async function monacoEditor(host: HTMLElement, id: string, value: string, label: string, cb: EditorCallbacks, onTypeErrors: (n: number) => void): Promise<EditorLike> {
  const { createEditor } = await import('../../editor/monaco.ts');
  host.replaceChildren();
  const ed = createEditor(host, { id, value, ariaLabel: label, ...cb });
  ed.onTypeErrorsChanged(onTypeErrors);
  return { kind: 'monaco', ...ed };
}

const coarsePointer = () => matchMedia('(pointer: coarse)').matches;

/** Mount the right editor for this device into the exercise's `[data-part=editor]`. */
export async function mountEditor(root: HTMLElement, opts: { id: string; title: string; initial: string; cb: EditorCallbacks }): Promise<EditorLike> {
  const { id, initial, cb } = opts;
  const host = part(root, 'editor');
  const keys = part(root, 'keys');
  const label = `Code editor for the exercise “${opts.title}”. Ctrl+Enter runs the tests; Escape or Ctrl+M leaves the editor.`;
  const typeInfo = h('span', { class: 'cl-typeinfo', 'aria-live': 'off' });
  const showTypeErrors = (n: number) => {
    typeInfo.textContent = n === 0 ? '' : ` · TypeScript sees ${n} ${n === 1 ? 'problem' : 'problems'} (red squiggles; hover for details)`;
  };
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
      root.dataset.editor = ed.kind;
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
  // One stable object over whichever editor is current.
  return {
    get kind() {
      return ed.kind;
    },
    getValue: () => ed.getValue(),
    replaceAll: (code) => ed.replaceAll(code),
    setRunError: (err) => ed.setRunError(err),
    revealLine: (line) => ed.revealLine(line),
    focus: () => ed.focus(),
    dispose: () => ed.dispose(),
  };
}
