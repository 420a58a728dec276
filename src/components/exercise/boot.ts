/**
 * The only exercise script a reader pays for (bundled into the page by Exercise.astro). It must
 * stay tiny and import nothing heavy: no Monaco, sucrase, chai, engine or diff — those arrive by
 * dynamic import() when the learner asks for them (page budget: ≤ 50 KB gzip JS+CSS before any
 * editor opens, architecture.md "Budgets").
 *
 * It: shows saved-work / storage notices and the "passed" badge, runs the hint ladder, and wires
 * "Open editor" (→ ./session.ts) and "Reveal solution" (→ ./reveal.ts).
 */
import { isDataKey, loadExercise, passStatus, PROGRESS_EVENT, type LoadResult } from '../../lib/storage.ts';
import { action, isMac, notice, part, sessions, templateText } from './dom.ts';

function formatWhen(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime())
    ? iso
    : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

function loadSession() {
  return import('./session.ts');
}

function setupHints(root: HTMLElement): void {
  const btn = action(root, 'hint');
  const hints = [...root.querySelectorAll<HTMLDetailsElement>('details.cl-hint')];
  if (!btn || hints.length === 0) {
    btn?.remove();
    return;
  }
  // Without JS every hint is a closed <details>; with JS they come one at a time (a ladder).
  let shown = 0;
  for (const d of hints) d.hidden = true;
  const label = () => {
    btn.textContent = shown < hints.length ? `Show hint ${shown + 1} of ${hints.length}` : `All ${hints.length} hints shown`;
    btn.disabled = shown >= hints.length;
  };
  label();
  btn.addEventListener('click', () => {
    const d = hints[shown];
    if (!d) return;
    d.hidden = false;
    d.open = true;
    shown++;
    label();
    d.querySelector('summary')?.focus();
  });
}

function setupReveal(root: HTMLElement, saved: LoadResult): void {
  const btn = action(root, 'reveal');
  if (!btn) return;
  const area = part(root, 'reveal');
  btn.addEventListener('click', () => {
    if (area.querySelector('.cl-confirm')) return;
    // Ask first, inline (no modal dialog): the ladder of hints is usually the better next step.
    const box = document.createElement('div');
    box.className = 'cl-confirm';
    box.setAttribute('role', 'group');
    box.setAttribute('aria-label', 'Confirm revealing the solution');
    const p = document.createElement('p');
    p.textContent =
      'Show the reference solution, as a diff against your code? Trying the hints first usually teaches more.';
    const yes = document.createElement('button');
    yes.type = 'button';
    yes.className = 'cl-btn';
    yes.textContent = 'Yes, show the solution';
    const no = document.createElement('button');
    no.type = 'button';
    no.className = 'cl-btn cl-btn--quiet';
    no.textContent = 'Not yet';
    box.append(p, yes, no);
    area.replaceChildren(box);
    yes.focus();
    no.addEventListener('click', () => {
      area.replaceChildren();
      btn.focus();
    });
    yes.addEventListener('click', async () => {
      const code =
        sessions.get(root)?.code() ?? saved.state?.code ?? templateText(root, 'starter') ?? '';
      const { showSolution } = await import('./reveal.ts');
      showSolution(root, code);
    });
  });
}

function setup(root: HTMLElement): void {
  const id = root.dataset.exercise!;
  const starterHash = root.dataset.starterHash;
  const saved = loadExercise(id);

  if (saved.problem) notice(root, 'storage', 'warn', saved.problem.message);
  const st = saved.state;
  if (st && st.code !== templateText(root, 'starter')) {
    notice(root, 'restored', 'info', `Your code from ${formatWhen(st.savedAt)} is saved in this browser; it opens in the editor.`);
    const open = action(root, 'open');
    if (open) open.textContent = 'Continue editing';
  }
  if (st && starterHash && st.starterHash && st.starterHash !== starterHash) {
    notice(
      root,
      'starter-changed',
      'warn',
      'The starter code of this exercise has changed since you saved your work (the course was updated). ' +
        'Your code is kept; use “Reset to starter” in the editor to see the new starter (you can undo).',
    );
  }
  const markPassed = () => {
    const badge = part(root, 'status');
    const st = passStatus(id);
    badge.hidden = st === null;
    badge.dataset.status = st ?? '';
    // An imported claim is not a pass: it says so until the tests pass in this browser.
    badge.textContent = st === 'imported' ? 'imported — not run here' : '✓ passed';
    badge.title = st === 'imported' ? 'Marked passed in an imported file; run the tests here to confirm.' : '';
  };
  markPassed();
  window.addEventListener(PROGRESS_EVENT, markPassed);
  window.addEventListener('storage', (e) => {
    if (isDataKey(e.key)) markPassed();
  });

  const kbd = root.querySelector('[data-part="run-key"]');
  if (kbd && isMac) kbd.textContent = '⌘ Enter';

  setupHints(root);
  setupReveal(root, saved);
  // issue 15: with ?seed= in the address, say which variant this learner has (src/grading/variant.ts)
  if (new URLSearchParams(location.search).has('seed')) void import('./variant-banner.ts').then((m) => m.mountVariantBanner(root));

  const open = action(root, 'open');
  // Intent: start fetching the session code and a spare test runner (with this exercise's tests
  // prepared, where the runner supports it) on hover/focus; open on click. Not at page idle or when
  // the exercise scrolls into view: reading past an exercise is not intent, and costs nothing
  // (tests/browser/reading.test.ts checks that no runner code loads then).
  const warm = () => {
    void loadSession();
    void import('./runner.ts').then((r) => r.warmUp(id));
  };
  open?.addEventListener('pointerenter', warm, { once: true });
  open?.addEventListener('focus', warm, { once: true });
  open?.addEventListener('click', async () => {
    const t0 = performance.now();
    open.disabled = true;
    try {
      const { openSession } = await loadSession();
      await openSession(root, { saved: saved.state, t0 });
    } catch (e) {
      console.error('collapse-lab: could not open the editor', e);
      open.disabled = false;
      notice(root, 'editor-failed', 'error', 'The editor could not be loaded (are you offline?). Try again in a moment; your saved code is safe.');
    }
  });
  part(root, 'toolbar').hidden = false;
  root.dataset.ready = 'true';
}

for (const root of document.querySelectorAll<HTMLElement>('section.cl-exercise[data-exercise]')) {
  try {
    setup(root);
  } catch (e) {
    console.error('collapse-lab: exercise setup failed', e);
  }
}
