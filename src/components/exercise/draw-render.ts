/**
 * "Draw my run", the heavy half (issue 14) — imported only when the learner asks for a drawing:
 * the engine's notation parsers, the pictures' renderers and the comparison.
 *
 * Input: a DrawScenario (the `collapse` command's terms) and the learner's run of it as the sealed
 * runner returned it (src/grading/runtime/draw.ts `DrawOutcome`: plain data — the report with
 * bigints as strings, the PTE kinds before/after, the slots the scan read).
 * Output: HTML (every string from the runner or the learner escaped with pictures/kinds.ts `esc`)
 * with, side by side:
 *   - the learner's run: a 512-slot grid of the PMD(s) drawn from the runner's data (where the
 *     scan stopped, what was not reached) and the Timeline's steps (pictures/timeline.ts
 *     `buildSteps`, the same grouping as every <Timeline>) of the learner's trace;
 *   - the patched kernel's run of the same scenario, computed here with the engine and drawn by
 *     the very renderers of the chapters and the Playground (`renderPteGrid` + `pteGridFigure`,
 *     `renderTimeline` + `timelineFigure`);
 * and the first difference: the slot (where the two scans stopped, else the first slot whose kind
 * differs afterwards), the step (first Timeline step whose sentence differs) and the lock (first
 * step where the mmap lock or the PTE table state differs).
 *
 * Why the learner's grid is not `pteGridFigure`: those renderers run the scenario themselves with
 * the engine on the page (`runScenario`), and the learner's code must only ever run in the sandbox,
 * so its side is drawn from the runner's data with the same kinds, colours and geometry
 * (pictures/kinds.ts, pictures/geometry.ts).
 */
import * as engine from 'collapse-lab/engine';
import { parseKnobs, parseLayout, parseWindow, type TraceEvent } from 'collapse-lab/engine';
import { afterKinds, type DrawOutcome, type DrawScenario } from '../../grading/runtime/draw.ts';
import { CELL, COLS, HEIGHT, LEFT, ROWS, TOP, WIDTH, cellXY, nextId } from '../pictures/geometry.ts';
import { esc, kindStyle, runsOf, slotRange } from '../pictures/kinds.ts';
import { pteGridFigure, renderPteGrid } from '../pictures/ptegrid.ts';
import type { ScenarioProps } from '../pictures/scenario.ts';
import { buildSteps, renderTimeline, timelineFigure, type Step } from '../pictures/timeline.ts';
import { scanStopOf } from '../pictures/trace-read.ts';

/** The scenario form's text fields, in the Playground's (and the `collapse` command's) notation. */
export interface DrawForm {
  /** One layout per line (several lines: several PMDs). */
  layouts: string;
  kernel: string;
  madvise: boolean;
  /** "max_ptes_swap=8 max_ptes_none=0" (spaces or commas). */
  knobs: string;
  uffd: string;
  /** "10=migration,5=page". */
  window: string;
  allocFail: boolean;
}

/** Form → scenario, checked with the engine's own parsers. Throws an Error naming the field. */
export function scenarioFromForm(f: DrawForm): DrawScenario {
  const layouts = f.layouts.split('\n').map((l) => l.trim()).filter(Boolean);
  if (!layouts.length) throw new Error('layout: type one, e.g. page*511,guard');
  layouts.forEach((l, i) => {
    try {
      parseLayout(l);
    } catch (e) {
      throw new Error(`layout${layouts.length > 1 ? ` of PMD ${i}` : ''}: ${(e as Error).message}`);
    }
  });
  const s: DrawScenario = layouts.length === 1 ? { layout: layouts[0] } : { layouts };
  if (f.kernel !== 'after' && f.kernel !== 'before' && f.kernel !== 'v3-as-posted') throw new Error(`kernel: before, after or v3-as-posted, not "${f.kernel}"`);
  s.kernel = f.kernel;
  if (f.madvise) s.madvise = true;
  const knobItems = f.knobs.split(/[\s,]+/).filter(Boolean);
  if (knobItems.length) {
    try {
      s.knobs = { ...parseKnobs(knobItems) } as Record<string, number>;
    } catch (e) {
      throw new Error(`knobs: ${(e as Error).message}`);
    }
  }
  if (f.uffd === 'wp' || f.uffd === 'missing') s.uffd = f.uffd;
  else if (f.uffd) throw new Error(`uffd: wp or missing, not "${f.uffd}"`);
  if (f.window.trim()) {
    try {
      parseWindow(f.window.trim());
    } catch (e) {
      throw new Error(`window: ${(e as Error).message}`);
    }
    s.window = f.window.trim();
  }
  if (f.allocFail) s.fail_alloc = true;
  return s;
}

/** Scenario → form fields (for "Draw this case"). */
export function formFromScenario(s: DrawScenario): DrawForm {
  return {
    layouts: (s.layouts ?? (s.layout !== undefined ? [s.layout] : [])).join('\n'),
    kernel: s.kernel ?? 'after',
    madvise: !!s.madvise,
    knobs: Object.entries(s.knobs ?? {}).map(([k, v]) => `${k}=${v}`).join(' '),
    uffd: s.uffd ?? '',
    window: s.window ?? '',
    allocFail: !!s.fail_alloc,
  };
}

/**
 * A scenario that came from the runner (TestResult.scenario), checked field by field: only the
 * shapes a DrawScenario has. Null when it is not one (the "Draw this case" button is then omitted).
 */
export function checkScenario(v: unknown): DrawScenario | null {
  if (!v || typeof v !== 'object') return null;
  const o = v as Record<string, unknown>;
  const s: DrawScenario = {};
  if (typeof o.layout === 'string') s.layout = o.layout;
  else if (Array.isArray(o.layouts) && o.layouts.length > 0 && o.layouts.every((l) => typeof l === 'string')) s.layouts = [...(o.layouts as string[])];
  else return null;
  if (o.kernel !== undefined) {
    if (o.kernel !== 'before' && o.kernel !== 'after' && o.kernel !== 'v3-as-posted') return null;
    s.kernel = o.kernel;
  }
  if (o.madvise === true) s.madvise = true;
  if (o.knobs !== undefined) {
    if (!o.knobs || typeof o.knobs !== 'object' || !Object.values(o.knobs).every((x) => typeof x === 'number')) return null;
    s.knobs = { ...(o.knobs as Record<string, number>) };
  }
  if (o.uffd === 'wp' || o.uffd === 'missing') s.uffd = o.uffd;
  if (typeof o.window === 'string') s.window = o.window;
  if (o.fail_alloc === true) s.fail_alloc = true;
  if (Array.isArray(o.schedule) && o.schedule.every((x) => x && typeof x === 'object')) s.schedule = o.schedule as Record<string, unknown>[];
  return s;
}

/** The pictures' props for a scenario (what <PteGrid>/<Timeline> would be written with). */
export function propsOf(s: DrawScenario): ScenarioProps {
  const p: ScenarioProps = { layout: s.layouts ?? s.layout ?? '' };
  if (s.kernel) p.kernel = s.kernel;
  if (s.madvise) p.madvise = true;
  if (s.uffd) p.uffd = s.uffd;
  if (s.window) p.window = s.window;
  if (s.knobs && Object.keys(s.knobs).length) p.knobs = Object.entries(s.knobs).map(([k, v]) => `${k}=${v}`).join(' ');
  if (s.schedule && s.schedule.length) p.schedule = JSON.stringify(s.schedule);
  if (s.fail_alloc) p.allocFail = true;
  return p;
}

/** The first difference between the learner's run and the patched kernel's. */
export interface FirstDifference {
  /** PMD and slot (null: the grids agree). `why` says which rule found it. */
  slot: { pmd: number; slot: number; why: string } | null;
  /** 1-based Timeline step number where the two stories part, with both sentences (null: same story). */
  step: { n: number; mine: string | null; patched: string | null } | null;
  /** First step where the locks differ (mmap lock / PTE table), with both states. */
  lock: { n: number; mine: string; patched: string } | null;
  same: boolean;
}

interface RunView {
  result: string;
  scanResult: string;
  before: string[][];
  after: string[][];
  /** Per PMD: where its scan stopped (null: read to the end, or never scanned). */
  stops: (number | null)[];
  steps: Step[];
}

const lockText = (s: Step) => `mmap lock ${s.mmap}, PTE table ${s.pte}`;

/** Compare two runs of the same scenario (pure; tested through the browser test). */
export function firstDifference(mine: RunView, patched: RunView): FirstDifference {
  let slot: FirstDifference['slot'] = null;
  for (let p = 0; p < Math.max(mine.stops.length, patched.stops.length) && !slot; p++) {
    const a = mine.stops[p] ?? null;
    const b = patched.stops[p] ?? null;
    if (a !== b) {
      const at = a === null ? b! : b === null ? a : Math.min(a, b);
      const who = (x: number | null) => (x === null ? 'did not stop in this PMD' : `stopped at slot ${x}`);
      slot = { pmd: p, slot: at, why: `your scan ${who(a)}; the patched kernel's ${who(b)}` };
    }
  }
  for (let p = 0; p < Math.max(mine.after.length, patched.after.length) && !slot; p++) {
    const a = mine.after[p] ?? [];
    const b = patched.after[p] ?? [];
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      if (a[i] !== b[i]) {
        slot = { pmd: p, slot: i, why: `after the attempt this entry is ${a[i] ?? 'gone'} in your run and ${b[i] ?? 'gone'} in the patched kernel's` };
        break;
      }
    }
  }
  let step: FirstDifference['step'] = null;
  for (let i = 0; i < Math.max(mine.steps.length, patched.steps.length); i++) {
    const a = mine.steps[i];
    const b = patched.steps[i];
    if (a?.text !== b?.text) {
      step = { n: i + 1, mine: a?.text ?? null, patched: b?.text ?? null };
      break;
    }
  }
  let lock: FirstDifference['lock'] = null;
  for (let i = 0; i < Math.max(mine.steps.length, patched.steps.length); i++) {
    const a = mine.steps[i];
    const b = patched.steps[i];
    const la = a ? lockText(a) : 'no such step';
    const lb = b ? lockText(b) : 'no such step';
    if (la !== lb) {
      lock = { n: i + 1, mine: la, patched: lb };
      break;
    }
  }
  const same = !slot && !step && !lock && mine.result === patched.result && mine.scanResult === patched.scanResult;
  return { slot, step, lock, same };
}

/** The learner's grid: the PMD's kinds before the attempt, the stop slot, unreached slots hatched. */
function learnerGrid(kinds: readonly string[], stop: number | null, mark: number | null, id: string, title: string): string {
  const cells: string[] = [];
  for (let i = 0; i < kinds.length && i < COLS * ROWS; i++) {
    const { x, y } = cellXY(i);
    const st = kindStyle(kinds[i]!);
    const unreached = stop !== null && i > stop;
    cells.push(
      `<rect x="${x + 1}" y="${y + 1}" width="${CELL - 2}" height="${CELL - 2}" rx="2" fill="${st.fill === 'none' ? 'transparent' : st.fill}" stroke="#789" stroke-width="${st.fill === 'none' ? 1 : 0}"${unreached ? ' opacity="0.35"' : ''}/>` +
        (st.letter ? `<text x="${x + CELL / 2}" y="${y + CELL / 2 + 4}" font-size="8" text-anchor="middle" fill="${st.text}">${esc(st.letter)}</text>` : ''),
    );
  }
  for (let r = 0; r < ROWS; r++) cells.push(`<text class="cl-row-label" x="${LEFT - 4}" y="${TOP + r * CELL + 12}" font-size="9" text-anchor="end">${r * COLS}</text>`);
  if (stop !== null) {
    const { x, y } = cellXY(stop);
    cells.push(`<rect class="cl-stop" x="${x}" y="${y}" width="${CELL}" height="${CELL}" fill="none" stroke="#d22" stroke-width="2.5" data-cl-draw-stop="${stop}"/>`);
  }
  if (mark !== null) {
    const { x, y } = cellXY(mark);
    cells.push(`<rect class="cl-draw-diff" x="${x - 2}" y="${y - 2}" width="${CELL + 4}" height="${CELL + 4}" fill="none" stroke="#e6007a" stroke-width="2" stroke-dasharray="3 2" data-cl-draw-diff="${mark}"/>`);
  }
  const runs = runsOf(kinds).map((r) => `${slotRange(r.start, r.count)}: ${r.kind}`).join('; ');
  return (
    `<svg class="cl-ptegrid-svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-labelledby="${id}-sum">${cells.join('')}</svg>` +
    `<p id="${id}-sum" class="cl-sr-only">${esc(`${title}: ${runs}.${stop !== null ? ` The scan stopped at slot ${stop}.` : ''}`)}</p>`
  );
}

/** A dashed box around `slot` in a grid the pictures drew (same geometry), before its closing </svg>. */
function markSlot(html: string, slot: number): string {
  const { x, y } = cellXY(slot);
  const box = `<rect class="cl-draw-diff" x="${x - 2}" y="${y - 2}" width="${CELL + 4}" height="${CELL + 4}" fill="none" stroke="#e6007a" stroke-width="2" stroke-dasharray="3 2" data-cl-draw-diff="${slot}"/>`;
  const i = html.indexOf('</svg>', html.indexOf('cl-ptegrid-svg'));
  return i < 0 ? html : html.slice(0, i) + box + html.slice(i);
}

function stepList(steps: readonly Step[], diffAt: number | null): string {
  return `<ol class="cl-timeline-steps cl-draw-steps">${steps
    .map(
      (s) =>
        `<li class="cl-k-${s.kind}${s.n === diffAt ? ' cl-draw-diff-step' : ''}" data-step="${s.n}"><span class="cl-step-state">[mmap ${s.mmap}${s.pte !== 'none' ? `, PTE ${s.pte}` : ''}${s.huge !== 'none' ? `, huge page ${s.huge}` : ''}]</span> ${esc(s.text)}</li>`,
    )
    .join('')}</ol>`;
}

/** Draw the learner's run next to the patched kernel's. Never throws: errors become a message. */
export function renderDraw(scenario: DrawScenario, mine: DrawOutcome): { ok: true; html: string; diff: FirstDifference } | { ok: false; message: string } {
  if (!mine.ok) return { ok: false, message: `Your code could not be drawn: ${mine.error}` };
  const props = propsOf(scenario);
  const patchedProps: ScenarioProps = { ...props, kernel: 'after' };
  try {
    const gid = nextId('dmg');
    const tid = nextId('dmt');
    const g = renderPteGrid(patchedProps, { id: gid, tag: 'Draw my run' });
    const t = renderTimeline(patchedProps, { id: tid });
    const who = scenario.madvise ? 'MADV_COLLAPSE' : 'khugepaged';
    const rep = mine.report as { result?: unknown; scan_result?: unknown; trace?: unknown; bugs?: unknown };
    const mineResult = String(rep.result ?? '?');
    const mineScan = String(rep.scan_result ?? '?');
    const reads = Array.isArray(mine.scanReads) ? mine.scanReads : [];
    // One PMD: the scan's last read slot (for a per-PTE result), as the pictures find it. Several:
    // not marked per PMD on either side (the report has one scan result), the kinds are compared.
    const mineStops = mine.before.length === 1 ? [scanStopOf(mineScan, reads[0] ?? []).slot] : mine.before.map(() => null);
    const trace = (Array.isArray(rep.trace) ? rep.trace : []) as TraceEvent[];
    const mineSteps = buildSteps(trace, who, { result: mineScan, stopSlot: mineStops[0] ?? null });
    const sc = g.scenario;
    const patched: RunView = {
      result: g.result,
      scanResult: g.scanResult,
      before: sc.pmds.map((p) => p.kinds),
      after: afterKinds(engine as unknown as Record<string, unknown>, sc.world),
      stops: sc.pmds.length === 1 ? [g.stopSlot] : sc.pmds.map(() => null),
      steps: t.steps,
    };
    const mineView: RunView = { result: mineResult, scanResult: mineScan, before: mine.before, after: mine.after, stops: mineStops, steps: mineSteps };
    const diff = firstDifference(mineView, patched);
    const bugs = Array.isArray(rep.bugs) ? (rep.bugs as { kind?: unknown; message?: unknown }[]) : [];

    const diffHtml = diff.same
      ? `<p class="cl-draw-same" data-testid="draw-diff" data-same="true">Your run and the patched kernel's are the same here: result <code>${esc(mineResult)}</code>, same grid, same steps, same locks.</p>`
      : `<div class="cl-draw-diff-box" data-testid="draw-diff"${diff.slot ? ` data-slot="${diff.slot.slot}" data-pmd="${diff.slot.pmd}"` : ''}${diff.step ? ` data-step="${diff.step.n}"` : ''}${diff.lock ? ` data-lock-step="${diff.lock.n}"` : ''}>` +
        `<p><strong>First difference</strong> — your result <code>${esc(mineResult)}</code>, the patched kernel's <code>${esc(g.result)}</code>.</p><ul>` +
        (diff.slot ? `<li data-part="diff-slot">Slot <strong>${diff.slot.slot}</strong>${mine.before.length > 1 ? ` of PMD ${diff.slot.pmd}` : ''} (<code>${esc(mine.before[diff.slot.pmd]?.[diff.slot.slot] ?? '?')}</code>): ${esc(diff.slot.why)}. Marked with a dashed box in both grids.</li>` : '<li>The grids agree slot by slot.</li>') +
        (diff.step ? `<li data-part="diff-step">Step <strong>${diff.step.n}</strong> (highlighted in your steps). Yours: “${esc(diff.step.mine ?? 'no such step: your run had ended')}” The patched kernel's: “${esc(diff.step.patched ?? 'no such step: its run had ended')}”</li>` : '<li>The steps agree.</li>') +
        (diff.lock ? `<li data-part="diff-lock">Locks at step <strong>${diff.lock.n}</strong>: yours — ${esc(diff.lock.mine)}; the patched kernel's — ${esc(diff.lock.patched)}</li>` : '<li>The locks agree step by step.</li>') +
        `</ul></div>`;

    const markAt = diff.slot && diff.slot.pmd === 0 ? diff.slot.slot : null;
    const mineGrids = mine.before
      .map((kinds, i) => learnerGrid(kinds, mineStops[i] ?? null, i === (diff.slot?.pmd ?? -1) ? diff.slot!.slot : null, `${gid}-mine${i}`, `Your run, PMD ${i}`))
      .join('');
    const mineCol =
      `<section class="cl-draw-col" data-part="draw-mine" data-result="${esc(mineResult)}"${mineStops[0] !== null && mineStops[0] !== undefined ? ` data-stop="${mineStops[0]}"` : ''}>` +
      `<h4>Your code (${esc(mine.replaced.length ? mine.replaced.join(', ') : 'no kernel function of yours is used here')})</h4>` +
      `<figure class="cl-ptegrid not-content">${mineGrids}<p class="cl-ptegrid-result"><strong>Result: <code>${esc(mineResult)}</code></strong>${mineStops[0] !== null && mineStops[0] !== undefined ? ` — your scan stopped at slot ${mineStops[0]} with <code>${esc(mineScan)}</code>` : ` — scan phase: <code>${esc(mineScan)}</code>`}</p></figure>` +
      `<p>Bugs the lock checker found: ${bugs.length ? bugs.map((b) => `<strong>${esc(b.kind)}</strong>: ${esc(b.message)}`).join('; ') : 'none'}</p>` +
      `<details open><summary>Your run, step by step (${mineSteps.length} steps)</summary>${stepList(mineSteps, diff.step?.n ?? null)}</details>` +
      `</section>`;
    const patchedGrid = markAt !== null ? markSlot(pteGridFigure(g, patchedProps), markAt) : pteGridFigure(g, patchedProps);
    const patchedCol =
      `<section class="cl-draw-col" data-part="draw-patched" data-result="${esc(g.result)}"${g.stopSlot !== null ? ` data-stop="${g.stopSlot}"` : ''}>` +
      `<h4>The patched kernel, same scenario</h4>${patchedGrid}${timelineFigure(t, patchedProps, tid)}</section>`;
    return { ok: true, diff, html: diffHtml + `<div class="cl-draw-cols">${mineCol}${patchedCol}</div>` };
  } catch (e) {
    const first = (e instanceof Error ? e.message : String(e)).split('\n')[0];
    return { ok: false, message: `The engine could not run this scenario: ${first}` };
  }
}
