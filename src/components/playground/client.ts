/**
 * The Playground page's own script (small, no framework, no engine): the form ↔ the state ↔ the URL
 * query, the "copy as CLI command" button, and the run. The engine and the pictures (./render.ts,
 * the pictures' client scripts) are imported only when an attempt runs: a Run, or a link that
 * carries a scenario (an "Open in Playground" link, a shared URL).
 */
import { fromQuery, toCli, toQuery, type PlaygroundState } from './url.ts';

type RenderModule = typeof import('./render.ts');

interface Parts {
  form: HTMLFormElement;
  rows: HTMLElement;
  add: HTMLButtonElement;
  out: HTMLElement;
  error: HTMLElement;
  status: HTMLElement;
  cli: HTMLElement;
  copy: HTMLButtonElement;
  copied: HTMLElement;
  note: HTMLElement;
}

function parts(root: HTMLElement): Parts | null {
  const q = <T extends Element>(sel: string) => root.querySelector<T>(sel);
  const p = {
    form: q<HTMLFormElement>('[data-cl-pg-form]'),
    rows: q<HTMLElement>('[data-cl-pg-layouts]'),
    add: q<HTMLButtonElement>('[data-cl-pg-add]'),
    out: q<HTMLElement>('[data-cl-pg-out]'),
    error: q<HTMLElement>('[data-cl-pg-error]'),
    status: q<HTMLElement>('[data-cl-pg-status]'),
    cli: q<HTMLElement>('[data-cl-pg-cli]'),
    copy: q<HTMLButtonElement>('[data-cl-pg-copy]'),
    copied: q<HTMLElement>('[data-cl-pg-copied]'),
    note: q<HTMLElement>('[data-cl-pg-note]'),
  };
  return Object.values(p).every(Boolean) ? (p as Parts) : null;
}

function field<T extends HTMLInputElement | HTMLSelectElement>(form: HTMLFormElement, name: string): T {
  return form.elements.namedItem(name) as T;
}

/** Layout rows: one text input per PMD, numbered, with Remove when there is more than one. */
function layoutInputs(p: Parts): HTMLInputElement[] {
  return Array.from(p.rows.querySelectorAll<HTMLInputElement>('input[name="layout"]'));
}

function renumber(p: Parts): void {
  const rows = Array.from(p.rows.querySelectorAll<HTMLElement>('[data-cl-pg-layout]'));
  rows.forEach((row, i) => {
    row.querySelector('[data-cl-pg-pmd]')!.textContent = `PMD ${i}`;
    row.querySelector<HTMLButtonElement>('[data-cl-pg-remove]')!.hidden = rows.length === 1;
  });
}

function setLayouts(p: Parts, layouts: readonly string[]): void {
  const rows = Array.from(p.rows.querySelectorAll<HTMLElement>('[data-cl-pg-layout]'));
  const template = rows[0];
  for (const extra of rows.slice(1)) extra.remove();
  template.querySelector<HTMLInputElement>('input')!.value = layouts[0] ?? '';
  for (const l of layouts.slice(1)) {
    const row = template.cloneNode(true) as HTMLElement;
    row.querySelector<HTMLInputElement>('input')!.value = l;
    p.rows.append(row);
  }
  renumber(p);
}

/** Put a state into the form. */
function fill(p: Parts, s: PlaygroundState): void {
  const f = p.form;
  setLayouts(p, s.layouts);
  field<HTMLSelectElement>(f, 'kernel').value = s.kernel;
  field<HTMLInputElement>(f, 'madvise').checked = s.madvise;
  for (const el of Array.from(f.querySelectorAll<HTMLInputElement>('input[name^="knob:"]'))) {
    const name = el.name.slice(5);
    const given = s.knobs.find((k) => k.split('=')[0]?.trim() === name);
    el.value = given ? given.slice(given.indexOf('=') + 1) : '';
  }
  field<HTMLSelectElement>(f, 'uffd').value = s.uffd;
  field<HTMLInputElement>(f, 'window').value = s.window;
  field<HTMLInputElement>(f, 'alloc-fail').checked = s.allocFail;
  field<HTMLInputElement>(f, 'schedule').value = s.schedule;
  field<HTMLInputElement>(f, 'focus').value = s.focus;
  if (s.schedule || s.focus) f.querySelector('details')?.setAttribute('open', '');
}

/**
 * Read the form. Values are kept as typed (trimmed), even when wrong, so the message can name them
 * and nothing the learner typed is lost. (A knob the form has no field for can only come from a
 * URL; it is reported by the first run, and the form's runs leave it out.)
 */
function read(p: Parts): PlaygroundState {
  const f = p.form;
  const knobs: string[] = [];
  for (const el of Array.from(f.querySelectorAll<HTMLInputElement>('input[name^="knob:"]'))) {
    if (el.value.trim()) knobs.push(`${el.name.slice(5)}=${el.value.trim()}`);
  }
  return {
    layouts: layoutInputs(p).map((i) => i.value.trim()),
    kernel: field<HTMLSelectElement>(f, 'kernel').value as PlaygroundState['kernel'],
    madvise: field<HTMLInputElement>(f, 'madvise').checked,
    knobs,
    uffd: field<HTMLSelectElement>(f, 'uffd').value as PlaygroundState['uffd'],
    window: field<HTMLInputElement>(f, 'window').value.trim(),
    allocFail: field<HTMLInputElement>(f, 'alloc-fail').checked,
    schedule: field<HTMLInputElement>(f, 'schedule').value.trim(),
    focus: field<HTMLInputElement>(f, 'focus').value.trim(),
  };
}

export function initPlayground(doc: Document): void {
  const root = doc.querySelector<HTMLElement>('[data-cl-playground]');
  if (!root || root.dataset.clReady) return;
  const p = parts(root);
  if (!p) return;
  root.dataset.clReady = '1';
  let engine: Promise<RenderModule> | null = null;
  let runs = 0;

  const showCli = (s: PlaygroundState) => {
    const { command, note } = toCli(s);
    p.cli.textContent = command;
    p.note.textContent = note;
    p.note.hidden = !note;
  };

  const fail = (message: string) => {
    p.error.textContent = message;
    p.error.hidden = false;
    p.out.replaceChildren();
    root.dataset.state = 'error';
  };

  const run = async (s: PlaygroundState, urlProblems: readonly string[]) => {
    const mine = ++runs;
    root.dataset.state = 'running';
    p.status.textContent = engine ? 'Running…' : 'Loading the simulator…';
    let m: RenderModule;
    try {
      m = await (engine ??= import('./render.ts'));
    } catch (e) {
      engine = null;
      p.status.textContent = '';
      fail(`The simulator could not be loaded (${e instanceof Error ? e.message : String(e)}). Check your connection and press Run again.`);
      return;
    }
    if (mine !== runs) return; // a newer run started meanwhile
    const r = m.renderPlayground(s, urlProblems);
    p.status.textContent = '';
    if (!r.ok) {
      fail(r.message);
      return;
    }
    p.error.hidden = true;
    p.error.textContent = '';
    // r.html is built by our renderers, every user-given string escaped (pictures/kinds.ts esc).
    p.out.innerHTML = r.html;
    const [grid, timeline] = await Promise.all([import('../pictures/ptegrid-inspect.ts'), import('../pictures/timeline-stepper.ts')]);
    grid.initPteGrids(p.out);
    timeline.initTimelines(p.out);
    p.status.textContent = `Done: ${r.result}.`;
    root.dataset.state = 'done';
  };

  p.form.addEventListener('submit', (e) => {
    e.preventDefault();
    const s = read(p);
    history.replaceState(history.state, '', location.pathname + toQuery(s) + location.hash);
    showCli(s);
    void run(s, []);
  });
  p.form.addEventListener('input', () => showCli(read(p)));
  p.form.addEventListener('change', () => showCli(read(p)));
  p.add.addEventListener('click', () => {
    const rows = p.rows.querySelectorAll<HTMLElement>('[data-cl-pg-layout]');
    const row = rows[rows.length - 1].cloneNode(true) as HTMLElement;
    p.rows.append(row);
    renumber(p);
    row.querySelector<HTMLInputElement>('input')!.focus();
    showCli(read(p));
  });
  p.rows.addEventListener('click', (e) => {
    const btn = (e.target as Element).closest('[data-cl-pg-remove]');
    if (!btn) return;
    const rows = p.rows.querySelectorAll('[data-cl-pg-layout]');
    if (rows.length < 2) return;
    btn.closest('[data-cl-pg-layout]')!.remove();
    renumber(p);
    layoutInputs(p)[0]?.focus();
    showCli(read(p));
  });
  p.copy.addEventListener('click', () => {
    const text = p.cli.textContent ?? '';
    const selectIt = () => {
      const range = doc.createRange();
      range.selectNodeContents(p.cli);
      const sel = doc.getSelection();
      sel?.removeAllRanges();
      sel?.addRange(range);
      p.copied.textContent = 'Selected: press Ctrl+C (⌘C) to copy.';
    };
    if (!navigator.clipboard) return selectIt();
    navigator.clipboard.writeText(text).then(() => (p.copied.textContent = 'Copied.'), selectIt);
  });

  const { state, problems, given } = fromQuery(location.search);
  fill(p, state);
  showCli(state);
  if (given) void run(state, problems);
}
