/**
 * "Draw my run" (issue 14): beside Run tests, a button that opens a scenario form (the
 * Playground's notation: layout per line, kernel, MADV_COLLAPSE, knobs, uffd, window, alloc fail);
 * Draw runs the learner's code on it in the sandboxed runner (runner.ts → client `drawMyRun`) and
 * shows it next to the patched kernel's run, first difference marked (./draw-render.ts, imported
 * on the first Draw: the engine and pictures load on intent, never with the page).
 *
 * Contract: `open(scenario)` fills the form and draws at once ("Draw this case" on a failed test);
 * one drawing at a time (a second request while drawing is ignored); bad input or a failing run
 * becomes a message in the panel (never a stack trace), and the editor's code is never changed.
 */
import type { DrawScenario } from '../../grading/runtime/draw.ts';
import { announce, h } from './dom.ts';
import type { EditorLike } from './editors.ts';
import { drawMyRun } from './runner.ts';

export interface DrawControl {
  /** Open the panel; with a scenario, fill the form with it and draw. */
  open(scenario?: DrawScenario): Promise<void>;
}

type RenderModule = typeof import('./draw-render.ts');

export function setupDrawMyRun(root: HTMLElement, opts: { editor: EditorLike; runBtn: HTMLButtonElement; results: HTMLElement }): DrawControl {
  const { editor, runBtn, results } = opts;
  const btn = h('button', { type: 'button', class: 'cl-btn', 'data-action': 'draw', 'aria-expanded': 'false' }, 'Draw my run');
  runBtn.after(btn);
  const uid = `${root.dataset.exercise ?? 'ex'}-draw`;
  const field = (label: string, control: HTMLElement, hint?: string) =>
    h('label', { class: 'cl-draw-field' }, h('span', {}, label), control, hint ? h('small', {}, hint) : null);
  const layouts = h('textarea', { name: 'layouts', rows: '2', spellcheck: 'false', 'aria-describedby': `${uid}-help` });
  layouts.value = 'page*511,guard';
  const kernel = h('select', { name: 'kernel' }, h('option', { value: 'after' }, 'after (patched)'), h('option', { value: 'before' }, 'before'), h('option', { value: 'v3-as-posted' }, 'v3 as posted'));
  const madvise = h('input', { type: 'checkbox', name: 'madvise' });
  const knobs = h('input', { type: 'text', name: 'knobs', placeholder: 'max_ptes_swap=8 max_ptes_none=0', spellcheck: 'false' });
  const uffd = h('select', { name: 'uffd' }, h('option', { value: '' }, 'none'), h('option', { value: 'wp' }, 'wp'), h('option', { value: 'missing' }, 'missing'));
  const win = h('input', { type: 'text', name: 'window', placeholder: '10=migration,5=page', spellcheck: 'false' });
  const allocFail = h('input', { type: 'checkbox', name: 'allocFail' });
  const submit = h('button', { type: 'submit', class: 'cl-btn cl-btn--primary' }, 'Draw');
  const form = h(
    'form',
    { class: 'cl-draw-form', 'aria-label': 'Scenario to draw' },
    field('Layout (one line per PMD)', layouts),
    field('Kernel for the rest', kernel),
    field('MADV_COLLAPSE', madvise),
    field('Knobs', knobs),
    field('uffd', uffd),
    field('Window', win, 'changes while the mmap lock is dropped'),
    field('Allocation fails', allocFail),
    h('p', { id: `${uid}-help`, class: 'cl-results-note' }, 'The notation of the Playground and the collapse command: e.g. page*447,migration,page*64. Your exported kernel functions replace the kernel’s; the rest is the chosen kernel.'),
    h('p', {}, submit),
  );
  const status = h('p', { class: 'cl-draw-status', role: 'status' });
  const out = h('div', { class: 'cl-draw-out', 'data-part': 'draw-out' });
  const panel = h('section', { class: 'cl-draw not-content', 'data-part': 'draw', 'aria-label': 'Draw my run', hidden: '' }, h('h3', {}, 'Draw my run'), form, status, out);
  results.before(panel);

  let render: Promise<RenderModule> | null = null;
  let drawing = false;

  const readForm = () => ({
    layouts: layouts.value,
    kernel: kernel.value,
    madvise: madvise.checked,
    knobs: knobs.value,
    uffd: uffd.value,
    window: win.value,
    allocFail: allocFail.checked,
  });

  async function draw(given?: DrawScenario): Promise<void> {
    if (drawing) return;
    drawing = true;
    root.dataset.draw = 'drawing';
    out.setAttribute('aria-busy', 'true');
    status.textContent = 'Drawing your run…';
    try {
      render ??= import('./draw-render.ts');
      const r = await render;
      if (given !== undefined) {
        // From a test result (the runner's data): checked shape by shape before use.
        const checked = r.checkScenario(given);
        if (!checked) {
          status.textContent = 'This test’s scenario cannot be drawn (it does not look like a collapse scenario).';
          root.dataset.draw = 'bad-input';
          return;
        }
        given = checked;
        const f = r.formFromScenario(given);
        layouts.value = f.layouts;
        kernel.value = f.kernel;
        madvise.checked = f.madvise;
        knobs.value = f.knobs;
        uffd.value = f.uffd;
        win.value = f.window;
        allocFail.checked = f.allocFail;
      }
      let scenario: DrawScenario;
      try {
        scenario = given && given.schedule ? given : r.scenarioFromForm(readForm());
      } catch (e) {
        out.replaceChildren();
        status.textContent = `Check the scenario — ${(e as Error).message}`;
        root.dataset.draw = 'bad-input';
        return;
      }
      const mine = await drawMyRun(editor.getValue(), scenario);
      const shown = r.renderDraw(scenario, mine);
      if (!shown.ok) {
        out.replaceChildren();
        status.textContent = shown.message;
        root.dataset.draw = 'error';
        announce(root, shown.message);
        return;
      }
      // shown.html is built by draw-render.ts: every string from the runner or the form escaped.
      out.innerHTML = shown.html;
      const [grid, timeline] = await Promise.all([import('../pictures/ptegrid-inspect.ts'), import('../pictures/timeline-stepper.ts')]);
      grid.initPteGrids(out);
      timeline.initTimelines(out);
      const d = shown.diff;
      const sched = scenario.schedule?.length
        ? ` With the test’s schedule of ${scenario.schedule.length} actor step${scenario.schedule.length === 1 ? '' : 's'} (not in the form: Draw from the form runs without it).`
        : '';
      const said = d.same
        ? 'Drawn: your run matches the patched kernel’s on this scenario.'
        : `Drawn. First difference${d.slot ? ` at slot ${d.slot.slot}` : ''}${d.step ? `, step ${d.step.n}` : ''}.`;
      status.textContent = said + sched;
      announce(root, said);
      root.dataset.draw = d.same ? 'same' : 'differs';
      out.querySelector<HTMLElement>('[data-testid="draw-diff"]')?.scrollIntoView?.({ block: 'nearest' });
    } catch (e) {
      status.textContent = `Your run could not be drawn: ${e instanceof Error ? e.message : String(e)}`;
      root.dataset.draw = 'error';
    } finally {
      drawing = false;
      out.removeAttribute('aria-busy');
    }
  }

  function show(): void {
    panel.hidden = false;
    btn.setAttribute('aria-expanded', 'true');
  }

  btn.addEventListener('click', () => {
    if (panel.hidden) {
      show();
      layouts.focus();
    } else {
      panel.hidden = true;
      btn.setAttribute('aria-expanded', 'false');
    }
  });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void draw();
  });
  return {
    async open(scenario) {
      show();
      panel.scrollIntoView?.({ block: 'start' });
      if (scenario) await draw(scenario);
    },
  };
}
