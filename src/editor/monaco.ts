/**
 * Monaco for the exercises. Imported ONLY through dynamic `import()` when a learner asks for the
 * editor: it is ~1 MB gzip of JS plus a 1.4 MB TypeScript worker (anchors-courses.md §5.2), and a
 * reading page must not pay for that.
 *
 * Recipe (measured in §5.2): the 0.56+ tree-shakeable entries, the workers through Vite's `?worker`
 * (without `MonacoEnvironment.getWorker` the editor worker fails in a production build), the
 * `monaco.typescript` namespace (moved out of `monaco.languages` in 0.55), target ESNext
 * (`ScriptTarget.ES2022` does not exist there and silently means ES5).
 */
import * as monaco from 'monaco-editor/editor';
// The editor contributions a learner here uses, not `features/register.all` (every one of ~65;
// vite-plugin-monaco-features.ts stops Monaco's TypeScript mode from registering them all anyway).
// Contributions load, parse and start with every editor, and some ask a worker for data after
// every edit; docs/quality.md "Round 6" has the measured cost and why each other one is left out
// (e.g. sticky scroll, inlay hints, code lens, colour picker, diff editor, drop/paste providers,
// GPU and token-inspection developer actions). Kept: what an exercise editor is expected to do.
// Editing and navigation keys (VS Code's): word moves/deletes, line moves/copies, multi-cursor,
// expand selection, Ctrl+L, transpose, cursor undo, indentation, brackets, comments, folding.
import 'monaco-editor/features/codicon/register';
import 'monaco-editor/features/clipboard/register';
import 'monaco-editor/features/contextmenu/register';
import 'monaco-editor/features/cursorUndo/register';
import 'monaco-editor/features/wordOperations/register';
import 'monaco-editor/features/wordPartOperations/register';
import 'monaco-editor/features/linesOperations/register';
import 'monaco-editor/features/lineSelection/register';
import 'monaco-editor/features/multicursor/register';
import 'monaco-editor/features/smartSelect/register';
import 'monaco-editor/features/caretOperations/register';
import 'monaco-editor/features/indentation/register';
import 'monaco-editor/features/bracketMatching/register';
import 'monaco-editor/features/comment/register';
import 'monaco-editor/features/folding/register';
import 'monaco-editor/features/dnd/register';
import 'monaco-editor/features/find/register';
// Language features backed by the TypeScript worker: completion (the suggest widget itself is
// registered by suggestController, which `features/suggest` does not import: it comes with
// `features/inlineCompletions` only), snippets, parameter hints, hover with the engine TSDoc,
// markers and F8, go to definition / peek (F12, Alt+F12, Ctrl+click into the engine types),
// references (Shift+F12), rename (F2), quick fixes (Ctrl+.), format (Shift+Alt+F), occurrences.
import 'monaco-editor/editor/contrib/suggest/browser/suggestController';
import 'monaco-editor/features/suggest/register';
import 'monaco-editor/features/snippet/register';
import 'monaco-editor/features/parameterHints/register';
import 'monaco-editor/features/hover/register';
import 'monaco-editor/features/gotoError/register';
import 'monaco-editor/features/gotoSymbol/register';
import 'monaco-editor/features/referenceSearch/register';
import 'monaco-editor/features/rename/register';
import 'monaco-editor/features/codeAction/register';
import 'monaco-editor/features/format/register';
import 'monaco-editor/features/wordHighlighter/register';
// The starters' comments link the kernel source (elixir.bootlin.com): Ctrl+click opens it.
import 'monaco-editor/features/links/register';
// Pasted code from a PDF or a mail: invisible and look-alike characters, stray line separators.
import 'monaco-editor/features/unicodeHighlighter/register';
import 'monaco-editor/features/unusualLineTerminators/register';
// The command palette (F1), its help (?), go to line (Ctrl+G), go to symbol (Ctrl+Shift+O: the
// longer starters are 200+ lines); accessibility: Monaco's "Tab moves focus" command in the palette
// (its Ctrl+M key leaves the editor here), high contrast.
import 'monaco-editor/features/quickCommand/register';
import 'monaco-editor/features/quickHelp/register';
import 'monaco-editor/features/gotoLine/register';
import 'monaco-editor/features/documentSymbols/register';
import 'monaco-editor/features/quickOutline/register';
import 'monaco-editor/features/toggleTabFocusMode/register';
import 'monaco-editor/features/toggleHighContrast/register';
import 'monaco-editor/languages/definitions/typescript/register';
import * as ts from 'monaco-editor/languages/features/typescript/register';
import EditorWorker from 'monaco-editor/editor/editor.worker?worker';
import TsWorker from 'monaco-editor/languages/features/typescript/ts.worker?worker';
import engineDts from 'virtual:collapse-lab/engine-dts';
import { REALM_GLOBALS_DTS, REALM_GLOBALS_PATH } from './realm-globals.ts';

declare global {
  interface Window {
    MonacoEnvironment?: monaco.Environment;
  }
}

self.MonacoEnvironment = {
  getWorker: (_id: string, label: string) =>
    label === 'typescript' || label === 'javascript' ? new TsWorker() : new EditorWorker(),
};

ts.typescriptDefaults.setCompilerOptions({
  target: ts.ScriptTarget.ESNext,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.NodeJs,
  strict: true,
  noEmit: true,
  allowNonTsExtensions: true,
  // The learner's file is a module graded on its own; unused locals are fine while working.
  noUnusedLocals: false,
  // The language only, no DOM: the runner has none (see src/editor/realm-globals.ts).
  lib: ['esnext'],
});
// One extra lib holding every engine module (see src/editor/engine-dts.ts for why one file), and
// the runner's own globals (console, timers).
ts.typescriptDefaults.setExtraLibs([
  { content: engineDts, filePath: 'file:///node_modules/@types/collapse-lab__engine/index.d.ts' },
  { content: REALM_GLOBALS_DTS, filePath: REALM_GLOBALS_PATH },
]);
ts.typescriptDefaults.setEagerModelSync(true);

function currentTheme(): string {
  return document.documentElement.dataset.theme === 'light' ? 'vs' : 'vs-dark';
}

// Follow Starlight's theme switch (it sets data-theme on <html>).
let themeObserver: MutationObserver | undefined;
function followTheme(): void {
  monaco.editor.setTheme(currentTheme());
  if (themeObserver) return;
  themeObserver = new MutationObserver(() => monaco.editor.setTheme(currentTheme()));
  themeObserver.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
}

export interface EditorOptions {
  /** Exercise id: the model URI is file:///exercises/<id>/solution.ts. */
  id: string;
  value: string;
  ariaLabel: string;
  onChange(code: string): void;
  /** Ctrl/Cmd+Enter. */
  onRun(): void;
  /** Esc (when no widget is open) or Ctrl+M: move focus out of the editor. */
  onLeave(): void;
}

export interface EditorHandle {
  getValue(): string;
  /** Replace the whole text as one undoable edit (Ctrl+Z brings the old text back). */
  replaceAll(code: string): void;
  /** Mark (or clear, with null) the syntax error reported by the last run. */
  setRunError(err: { line: number; column: number; message: string } | null): void;
  /** Number of TypeScript errors currently shown. */
  typeErrorCount(): number;
  onTypeErrorsChanged(cb: (n: number) => void): void;
  /** Put the cursor at the start of `line` (1-based) and scroll it to the middle of the editor. */
  revealLine(line: number): void;
  focus(): void;
  dispose(): void;
}

const RUN_MARKER_OWNER = 'collapse-lab-run';

export function createEditor(container: HTMLElement, opts: EditorOptions): EditorHandle {
  followTheme();
  const uri = monaco.Uri.parse(`file:///exercises/${opts.id}/solution.ts`);
  const model =
    monaco.editor.getModel(uri) ?? monaco.editor.createModel(opts.value, 'typescript', uri);
  if (model.getValue() !== opts.value) model.setValue(opts.value);

  const editor = monaco.editor.create(container, {
    model,
    ariaLabel: opts.ariaLabel,
    automaticLayout: true,
    minimap: { enabled: false },
    scrollBeyondLastLine: false,
    // The content column is ~60 characters wide; wrapping beats a horizontal scrollbar for the
    // long comments in the starters.
    wordWrap: 'on',
    wrappingIndent: 'indent',
    fontSize: 14,
    tabSize: 2,
    insertSpaces: true,
    fixedOverflowWidgets: true,
    renderLineHighlight: 'line',
    scrollbar: { alwaysConsumeMouseWheel: false },
    theme: currentTheme(),
  });

  // Grow with the code (between 12 and 40 lines tall) so the page, not the editor, scrolls.
  const lineHeight = editor.getOption(monaco.editor.EditorOption.lineHeight);
  const fit = () => {
    const h = Math.min(Math.max(editor.getContentHeight(), lineHeight * 12), lineHeight * 40);
    container.style.height = `${h}px`;
  };
  editor.onDidContentSizeChange(fit);
  fit();

  editor.onDidChangeModelContent(() => opts.onChange(model.getValue()));
  // Keys are bound with addAction, not addCommand: addCommand bindings are global to the page in
  // standalone Monaco, so with two exercises on a page the last editor created would receive
  // Ctrl+Enter typed in the first (seen on 06-the-window). Actions are scoped to their editor.
  editor.addAction({
    id: 'collapse-lab.run-tests',
    label: 'Run the tests',
    keybindings: [monaco.KeyMod.CtrlCmd | monaco.KeyCode.Enter],
    run: () => opts.onRun(),
  });
  // Leaving the editor without a mouse (WCAG 2.1.2, no keyboard trap). Esc only when no
  // suggestion/find/hover widget would have used it first. Ctrl+M is Monaco's "toggle Tab moves
  // focus"; here it leaves the editor outright. The physical Control key is CtrlCmd on
  // Windows/Linux and WinCtrl on macOS, so both are bound (the other half is Meta+M / Cmd+M).
  editor.addAction({
    id: 'collapse-lab.leave-editor',
    label: 'Leave the editor (focus the Run tests button)',
    keybindings: [monaco.KeyMod.CtrlCmd | monaco.KeyCode.KeyM, monaco.KeyMod.WinCtrl | monaco.KeyCode.KeyM],
    run: () => opts.onLeave(),
  });
  editor.addAction({
    id: 'collapse-lab.leave-editor-esc',
    label: 'Leave the editor with Escape',
    keybindings: [monaco.KeyCode.Escape],
    keybindingContext:
      '!suggestWidgetVisible && !findWidgetVisible && !parameterHintsVisible && !renameInputVisible && ' +
      '!referenceSearchVisible && !inSnippetMode && !editorHasMultipleSelections && !markersNavigationVisible',
    run: () => opts.onLeave(),
  });

  const markerListeners: ((n: number) => void)[] = [];
  const countTypeErrors = () =>
    monaco.editor
      .getModelMarkers({ resource: uri })
      .filter((m) => m.owner !== RUN_MARKER_OWNER && m.severity === monaco.MarkerSeverity.Error).length;
  const markerSub = monaco.editor.onDidChangeMarkers((uris) => {
    if (!uris.some((u) => u.toString() === uri.toString())) return;
    const n = countTypeErrors();
    for (const cb of markerListeners) cb(n);
  });

  return {
    getValue: () => model.getValue(),
    replaceAll(code) {
      editor.pushUndoStop();
      editor.executeEdits('reset', [{ range: model.getFullModelRange(), text: code }]);
      editor.pushUndoStop();
    },
    setRunError(err) {
      if (!err) {
        monaco.editor.setModelMarkers(model, RUN_MARKER_OWNER, []);
        return;
      }
      const line = Math.min(Math.max(1, err.line), model.getLineCount());
      const col = Math.max(1, err.column);
      monaco.editor.setModelMarkers(model, RUN_MARKER_OWNER, [
        {
          severity: monaco.MarkerSeverity.Error,
          message: err.message,
          startLineNumber: line,
          startColumn: col,
          endLineNumber: line,
          endColumn: Math.max(col + 1, model.getLineMaxColumn(line)),
        },
      ]);
      editor.revealLineInCenterIfOutsideViewport(line);
    },
    typeErrorCount: countTypeErrors,
    onTypeErrorsChanged(cb) {
      markerListeners.push(cb);
    },
    revealLine(line) {
      const l = Math.min(Math.max(1, line), model.getLineCount());
      editor.setPosition({ lineNumber: l, column: model.getLineFirstNonWhitespaceColumn(l) || 1 });
      editor.revealLineInCenter(l);
      // The editor grows with its text, so the page may be what must scroll: bring the line to
      // the upper third of the window when it is off screen.
      const at = editor.getScrolledVisiblePosition({ lineNumber: l, column: 1 });
      if (at) {
        const top = container.getBoundingClientRect().top + at.top;
        if (top < 0 || top + at.height > window.innerHeight) window.scrollBy({ top: top - window.innerHeight / 3 });
      }
    },
    focus: () => editor.focus(),
    dispose() {
      markerSub.dispose();
      editor.dispose();
    },
  };
}

// For the browser test suite (tests/browser): set the code through the model, as a learner's paste would.
(window as unknown as { __clMonaco?: typeof monaco }).__clMonaco = monaco;

export { monaco };
