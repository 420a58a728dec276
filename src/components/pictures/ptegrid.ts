/**
 * <PteGrid> rendering, as a pure function of a scenario run: 512 PTEs as a 32×16 grid of cells
 * coloured *and lettered* by kind (SVG patterns, so a run of equal kinds is one <rect> and the DOM
 * stays small), the slot where the scan stopped and why, the slots other actors changed, the
 * slots the scan never reached, a legend, a text summary for screen readers, and the data the
 * client script needs to show any slot's bits (formatPte) on hover/focus.
 */
import { formatPte, pte_val, type pte_t } from 'collapse-lab/engine';
import { CELL, COLS, HEIGHT, LEFT, ROWS, TOP, WIDTH, cellXY } from './geometry.ts';
import { esc, kindDescription, kindStyle, runsOf, slotRange } from './kinds.ts';
import { claimMismatch, layoutsOf, runScenario, type PmdRun, type Scenario, type ScenarioProps } from './scenario.ts';
import { playgroundHref } from '../playground/url.ts';
import { slotHeadline, slotNotes, slotSentence, type SlotFacts } from './slot-detail.ts';
import { actorChanges, describeOutcome, scanStopOf, type ActorChange, type ScanStop } from './trace-read.ts';

/** One PMD's grid (a <PteGrid> draws one per PMD, in address order). */
export interface PmdGrid {
  index: number;
  /** Prefix of this grid's SVG ids (the picture's id for PMD 0, `<id>-m<i>` after). */
  id: string;
  /** Virtual address of the PMD's first slot. */
  addr: number;
  /** This PMD's result (null: never scanned). */
  result: string | null;
  scanResult: string | null;
  collapsed: boolean;
  stopSlot: number | null;
  kinds: string[];
  changes: ActorChange[];
  svg: string;
  legend: string;
  summary: string;
  shownSlot: number;
  shown: SlotFacts;
  data: { ptes: string; runs: string; desc: string; stop: string; changes: string; vmStart: string };
}

export interface PteGridRender {
  /** Engine result of the whole attempt (`CollapseReport.result`). */
  result: string;
  scanResult: string;
  /** Every PMD's grid; the fields below (stopSlot … data) repeat PMD 0's. */
  pmds: PmdGrid[];
  /** Slot where the scan stopped (null: it accepted all 512, or never reached the table). */
  stopSlot: number | null;
  /** Kind per slot at the start of the attempt. */
  kinds: string[];
  changes: ActorChange[];
  /** The <svg> element. */
  svg: string;
  /** The legend (<ul>). */
  legend: string;
  /** Plain-text summary for screen readers. */
  summary: string;
  /** One sentence on how the attempt ended. */
  outcome: string;
  /** The slot the details panel shows first, and its facts. */
  shownSlot: number;
  shown: SlotFacts;
  /** Data attributes for the client script. */
  data: { ptes: string; runs: string; desc: string; stop: string; changes: string; vmStart: string };
  scenario: Scenario;
}

export interface PteGridOptions {
  /** Unique per page; prefixes SVG ids. */
  id: string;
  /** Tag name used in error messages. */
  tag?: string;
  /** Where the picture is (page path), for error messages. */
  where?: string;
}

function hex16(p: pte_t): string {
  return pte_val(p).toString(16).padStart(16, '0');
}

export function patternId(id: string, kind: string): string {
  return `${id}-k-${kind.replace(/\+/g, 'p').replace(/@/g, 'at')}`;
}

/** Row-aligned rectangles covering slots [start, start+count). */
function spanRects(start: number, count: number): { x: number; y: number; w: number; h: number }[] {
  const rects: { x: number; y: number; w: number; h: number }[] = [];
  let s = start;
  const end = start + count;
  while (s < end) {
    const col = s % COLS;
    if (col === 0 && end - s >= COLS) {
      // whole rows at once
      const rows = Math.floor((end - s) / COLS);
      const { x, y } = cellXY(s);
      rects.push({ x, y, w: COLS * CELL, h: rows * CELL });
      s += rows * COLS;
    } else {
      const n = Math.min(COLS - col, end - s);
      const { x, y } = cellXY(s);
      rects.push({ x, y, w: n * CELL, h: CELL });
      s += n;
    }
  }
  return rects;
}

function patternDef(id: string, kind: string): string {
  const st = kindStyle(kind);
  const inner =
    kind === 'none' || kind === 'no-table'
      ? `<rect x="1.5" y="1.5" width="${CELL - 3}" height="${CELL - 3}" fill="none" stroke="${st.text}" stroke-width="1" stroke-dasharray="${kind === 'none' ? '2 2' : '1 3'}"/>`
      : `<rect x="1" y="1" width="${CELL - 2}" height="${CELL - 2}" rx="2" fill="${st.fill}"/>` +
        (st.letter
          ? `<text x="${CELL / 2}" y="${CELL / 2 + 3.5}" text-anchor="middle" font-size="${st.letter.length > 1 ? 8.5 : 10}" font-family="ui-monospace,monospace" font-weight="700" fill="${st.text}">${esc(st.letter)}</text>`
          : '');
  return `<pattern id="${patternId(id, kind)}" width="${CELL}" height="${CELL}" patternUnits="userSpaceOnUse" x="${LEFT}" y="${TOP}">${inner}</pattern>`;
}

/** Facts about one slot (what the details panel says). */
export function slotFacts(
  slot: number,
  s: { kinds: readonly string[]; ptes: readonly pte_t[]; vmStart: number; stop: ScanStop; changes: readonly ActorChange[] },
): SlotFacts {
  const change = s.changes.find((c) => c.slot === slot);
  return {
    slot,
    addr: s.vmStart + slot * 4096,
    kind: s.kinds[slot],
    desc: kindDescription(s.kinds[slot]),
    bits: formatPte(s.ptes[slot]),
    change: change ? { after: change.after, actor: change.actor, at: change.at } : undefined,
    stoppedHere: s.stop.slot === slot ? s.stop.result : undefined,
    unreached: s.stop.slot !== null && slot > s.stop.slot,
  };
}

function noteOf(r: PmdRun): string {
  if (r.result === null) return 'not scanned';
  if (r.collapsed) return `${r.result}: collapsed into a huge page`;
  return r.result === r.scanResult || r.scanResult === null ? r.result : `${r.result} (scan: ${r.scanResult})`;
}

/** Draw one PMD of a scenario run. `focus` is a slot of this PMD to mark, or null. */
function renderPmd(scenario: Scenario, index: number, id: string, focus: number | null): PmdGrid {
  const run = scenario.pmds[index];
  const { kinds, ptes } = run;
  const pmdAddr = scenario.world.mm.pmds[index].addr;
  const stop = scanStopOf(run.scanResult ?? '', run.scanReads);
  const changes = actorChanges(scenario.report).filter((c) => c.pmd === index);

  const runs = runsOf(kinds);
  const used = [...new Set(kinds)];
  const defs: string[] = used.map((k) => patternDef(id, k));
  defs.push(
    `<pattern id="${id}-unreached" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff" fill-opacity="0.5"/><line x1="0" y1="0" x2="0" y2="6" stroke="#000" stroke-opacity="0.35" stroke-width="2"/></pattern>`,
  );

  const body: string[] = [];
  // column and row labels
  for (let c = 0; c < COLS; c += 8) {
    body.push(`<text class="cl-axis" x="${LEFT + c * CELL + CELL / 2}" y="${TOP - 5}" text-anchor="middle">${c}</text>`);
  }
  for (let r = 0; r < ROWS; r += 2) {
    body.push(`<text class="cl-axis" x="${LEFT - 4}" y="${TOP + r * CELL + CELL / 2 + 3}" text-anchor="end">${r * COLS}</text>`);
  }
  // cells: one <rect> per row-aligned run, filled with the kind's pattern; <title> for mouse users without JS
  for (const r0 of runs) {
    const title = `<title>${esc(slotRange(r0.start, r0.count))}: ${esc(r0.kind)} (${esc(kindDescription(r0.kind))})</title>`;
    for (const r of spanRects(r0.start, r0.count)) {
      body.push(`<rect x="${r.x}" y="${r.y}" width="${r.w}" height="${r.h}" fill="url(#${patternId(id, r0.kind)})">${title}</rect>`);
    }
  }
  // a PMD with no PTE table at all: say so across the grid
  if (kinds[0] === 'no-table') {
    body.push(
      `<rect class="cl-notable-band" x="${LEFT + 4 * CELL}" y="${TOP + 6 * CELL}" width="${24 * CELL}" height="${4 * CELL}" rx="4"/><text class="cl-notable-t" x="${LEFT + 16 * CELL}" y="${TOP + 8 * CELL + 4}" text-anchor="middle">no PTE table: the PMD is empty (pmd_none)</text>`,
    );
  }
  // slots the scan never looked at
  if (stop.slot !== null && stop.slot < 511) {
    for (const r of spanRects(stop.slot + 1, 511 - stop.slot)) {
      body.push(`<rect class="cl-unreached" x="${r.x}" y="${r.y}" width="${r.w}" height="${r.h}" fill="url(#${id}-unreached)"/>`);
    }
  }
  // slots other actors changed during the attempt: dashed outline and a corner flag
  for (const c of changes) {
    const { x, y } = cellXY(c.slot);
    body.push(
      `<g class="cl-changed"><rect x="${x + 0.5}" y="${y + 0.5}" width="${CELL - 1}" height="${CELL - 1}" fill="none" stroke-dasharray="3 2"/><path d="M${x + 1} ${y + 1}h7l-7 7z"><title>${esc(`slot ${c.slot}: ${c.before} → ${c.after} (${c.actor} at ${c.at})`)}</title></path></g>`,
    );
  }
  // the scan cursor: where it stopped
  if (stop.slot !== null) {
    const { x, y } = cellXY(stop.slot);
    body.push(
      `<rect class="cl-stop" x="${x - 1}" y="${y - 1}" width="${CELL + 2}" height="${CELL + 2}" rx="3" fill="none"><title>${esc(`scan stopped at slot ${stop.slot}: ${stop.result}`)}</title></rect>`,
    );
  }
  if (focus !== null) {
    const { x, y } = cellXY(focus);
    body.push(`<rect class="cl-focus" x="${x - 2.5}" y="${y - 2.5}" width="${CELL + 5}" height="${CELL + 5}" rx="4" fill="none"/>`);
  }
  // the interactive cursor (moved by the client script)
  body.push(`<rect class="cl-cursor" x="0" y="0" width="${CELL + 2}" height="${CELL + 2}" rx="3" fill="none" visibility="hidden" data-cl-cursor/>`);

  const several = scenario.pmds.length > 1;
  const summaryParts = [
    several
      ? `PMD ${index} of ${scenario.pmds.length} (address 0x${pmdAddr.toString(16)}): a grid of its 512 page-table entries, 32 per row, slot 0 at the top left.`
      : `A grid of the 512 page-table entries of one PMD, 32 per row, slot 0 at the top left.`,
    runs.map((r) => `${slotRange(r.start, r.count)}: ${r.kind} (${kindDescription(r.kind)})`).join('; ') + '.',
  ];
  if (changes.length) summaryParts.push(`Changed during the attempt: ${changes.map((c) => `slot ${c.slot} became ${c.after} (${c.actor} at ${c.at})`).join('; ')}.`);
  if (several) {
    summaryParts.push(
      stop.slot !== null ? `Its scan stopped at slot ${stop.slot} with ${stop.result}. Result for this PMD: ${noteOf(run)}.` : `Result for this PMD: ${noteOf(run)}.`,
    );
  } else {
    const outcome = describeOutcome(scenario.report, stop, scenario.madvise);
    const kernelWords = { before: 'before the patch', after: 'with the patch', 'v3-as-posted': 'v3 as posted' }[scenario.kernel];
    summaryParts.push(`Kernel: ${kernelWords}; ${scenario.madvise ? 'MADV_COLLAPSE' : 'khugepaged'}. ${outcome} Result: ${scenario.report.result}.`);
  }
  const summary = summaryParts.join(' ');

  const svg =
    `<svg class="cl-ptegrid-svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-labelledby="${id}-sum" data-cl-svg>` +
    `<defs>${defs.join('')}</defs>${body.join('')}</svg>`;

  const legendItems = used.map((k) => {
    const n = kinds.filter((x) => x === k).length;
    return `<li><svg width="${CELL}" height="${CELL}" viewBox="${LEFT} ${TOP} ${CELL} ${CELL}" aria-hidden="true"><rect x="${LEFT}" y="${TOP}" width="${CELL}" height="${CELL}" fill="url(#${patternId(id, k)})"/></svg> <code>${esc(k)}</code> ×${n} <span class="cl-legend-desc">${esc(kindDescription(k))}</span></li>`;
  });
  if (stop.slot !== null) legendItems.push(`<li><span class="cl-key cl-key-stop" aria-hidden="true"></span> scan stopped here (slot ${stop.slot}): <code>${esc(stop.result)}</code></li>`);
  if (stop.slot !== null && stop.slot < 511) legendItems.push(`<li><span class="cl-key cl-key-unreached" aria-hidden="true"></span> hatched: not reached by the scan</li>`);
  if (changes.length) legendItems.push(`<li><span class="cl-key cl-key-changed" aria-hidden="true"></span> changed by another actor during the attempt</li>`);
  if (focus !== null) legendItems.push(`<li><span class="cl-key cl-key-focus" aria-hidden="true"></span> slot ${focus}, discussed in the text</li>`);
  const legend = `<ul class="cl-legend">${legendItems.join('')}</ul>`;

  const ctx = { kinds, ptes, vmStart: pmdAddr, stop, changes };
  const shownSlot = focus ?? stop.slot ?? changes[0]?.slot ?? Math.max(0, kinds.findIndex((k) => k !== 'page'));
  const shown = slotFacts(shownSlot, ctx);

  const desc: Record<string, string> = {};
  for (const k of used) desc[k] = kindDescription(k);
  for (const c of changes) desc[c.after] = kindDescription(c.after);
  return {
    index,
    id,
    addr: pmdAddr,
    result: run.result,
    scanResult: run.scanResult,
    collapsed: run.collapsed,
    stopSlot: stop.slot,
    kinds,
    changes,
    svg,
    legend,
    summary,
    shownSlot,
    shown,
    data: {
      ptes: ptes.map(hex16).join(''),
      runs: JSON.stringify(runs.map((r) => [r.kind, r.count])),
      desc: JSON.stringify(desc),
      stop: stop.slot === null ? '' : `${stop.slot}:${stop.result}`,
      changes: JSON.stringify(changes.map((c) => [c.slot, c.after, c.actor, c.at])),
      vmStart: String(pmdAddr),
    },
  };
}

/**
 * Render a <PteGrid> from its props: one grid per PMD (a row each, with its own result).
 * Throws if `expect` disagrees with the engine, or `focus` is not a slot.
 */
export function renderPteGrid(props: ScenarioProps, opts: PteGridOptions): PteGridRender {
  const tag = opts.tag ?? 'PteGrid';
  const scenario = runScenario(props);
  const mismatch = claimMismatch(tag, scenario);
  if (mismatch) throw new Error(`${opts.where ? opts.where + ': ' : ''}${mismatch}`);
  const focus = props.focus === undefined || props.focus === '' ? null : Number(props.focus);
  if (focus !== null && !(Number.isInteger(focus) && focus >= 0 && focus < 512)) {
    throw new Error(`${opts.where ? opts.where + ': ' : ''}<${tag} layout="${layoutsOf(props).join('" layout="')}">: focus must be a slot 0..511, got ${String(props.focus)}`);
  }
  // `focus` marks a slot of PMD 0 (the picture's first row).
  const pmds = scenario.pmds.map((_, i) => renderPmd(scenario, i, i === 0 ? opts.id : `${opts.id}-m${i}`, i === 0 ? focus : null));
  const first = pmds[0];
  const { report } = scenario;
  const stop0: ScanStop = { slot: first.stopSlot, result: report.scan_result };
  const outcome = describeOutcome(report, scenario.pmds.length > 1 ? { slot: null, result: report.scan_result } : stop0, scenario.madvise);
  const summary =
    pmds.length > 1
      ? `${pmds.length} PMDs, one grid each. Kernel: ${{ before: 'before the patch', after: 'with the patch', 'v3-as-posted': 'v3 as posted' }[scenario.kernel]}; ${scenario.madvise ? 'MADV_COLLAPSE' : 'khugepaged'}. ${outcome} Result: ${report.result}.`
      : first.summary;
  return {
    result: report.result,
    scanResult: report.scan_result,
    pmds,
    stopSlot: first.stopSlot,
    kinds: first.kinds,
    changes: first.changes,
    svg: first.svg,
    legend: first.legend,
    summary,
    outcome,
    shownSlot: first.shownSlot,
    shown: first.shown,
    data: first.data,
    scenario,
  };
}

const KERNEL_LABEL: Record<string, string> = { before: 'before the patch', after: 'with the patch', 'v3-as-posted': 'v3 as posted' };

/** The meta line above a picture: layouts, kernel, caller, uffd, knobs, window (shared with <Timeline>). */
export function metaHtml(props: ScenarioProps, kernel: string, madvise: boolean): string {
  const parts = [`${layoutsOf(props).map((l) => `<code>${esc(l)}</code>`).join(' | ')} · kernel <strong>${esc(KERNEL_LABEL[kernel] ?? kernel)}</strong> · ${madvise ? 'MADV_COLLAPSE' : 'khugepaged'}`];
  if (props.uffd) parts.push(` · uffd <code>${esc(props.uffd)}</code>`);
  if (props.knobs) parts.push(` · <code>${esc(props.knobs)}</code>`);
  if (props.window) parts.push(` · window <code>${esc(props.window)}</code>`);
  if (props.allocFail !== undefined && props.allocFail !== false && props.allocFail !== 'false') parts.push(' · the huge-page allocation fails');
  return parts.join('');
}

/** The hint under an interactive picture, in the words of the device (tap on touch screens; CSS picks). */
export const INSPECT_HINT =
  '<p class="cl-ptegrid-hint" aria-hidden="true"><span class="cl-hint-mouse">Hover a square, or focus the grid and use the arrow keys, to see that PTE’s bits.</span><span class="cl-hint-touch">Tap a square to see that PTE’s bits.</span></p>';

/**
 * The whole <figure> of a <PteGrid> (static HTML; `ptegrid-inspect.ts` makes it interactive). Used by
 * PteGrid.astro at build time and by the Playground in the browser, so both draw the same picture.
 * `playground: false` leaves out the "open in Playground" link (the Playground itself).
 */
export function pteGridFigure(g: PteGridRender, props: ScenarioProps, opts: { playground?: boolean } = {}): string {
  const several = g.pmds.length > 1;
  const blocks = g.pmds.map((p) => {
    const head = several
      ? `<p class="cl-pmd-head"><strong>PMD ${p.index}</strong> <span class="cl-pmd-addr">0x${p.addr.toString(16)}</span> · <code data-cl-pmd-result>${esc(p.result ?? 'not scanned')}</code>${p.collapsed ? ' · collapsed' : ''}${p.result !== null && p.scanResult !== null && p.scanResult !== p.result ? ` (scan: <code>${esc(p.scanResult)}</code>)` : ''}</p>`
      : '';
    return (
      `<div class="cl-ptegrid-pmd" data-cl-pmd="${p.index}" data-runs="${esc(p.data.runs)}" data-ptes="${p.data.ptes}" data-desc="${esc(p.data.desc)}" data-stop="${esc(p.data.stop)}" data-changes="${esc(p.data.changes)}" data-vm-start="${p.data.vmStart}" data-shown="${p.shownSlot}"${p.result ? ` data-result="${esc(p.result)}"` : ''}>` +
      head +
      `<div class="cl-ptegrid-frame" data-cl-frame>${p.svg}</div>` +
      `<p id="${p.id}-sum" class="cl-sr-only">${esc(p.summary)}</p>` +
      (several ? '' : `<p class="cl-ptegrid-result"><strong>Result: <code>${esc(g.result)}</code></strong> — ${esc(g.outcome)}</p>`) +
      p.legend +
      INSPECT_HINT +
      `<div class="cl-ptegrid-detail" id="${p.id}-detail" data-cl-detail aria-live="polite">${detailHtml(p.shown)}</div>` +
      `</div>`
    );
  });
  const link = opts.playground === false ? '' : `<p class="cl-open-playground cl-no-print"><a href="${esc(playgroundHref(props))}">Open in Playground</a> — change the layout, kernel or knobs and see what happens.</p>`;
  return (
    `<figure class="cl-ptegrid not-content${several ? ' cl-ptegrid-several' : ''}" data-cl-ptegrid data-result="${esc(g.result)}" data-pmds="${g.pmds.length}">` +
    `<p class="cl-ptegrid-meta">${metaHtml(props, g.scenario.kernel, g.scenario.madvise)}</p>` +
    blocks.join('') +
    (several ? `<p class="cl-ptegrid-result"><strong>Result: <code>${esc(g.result)}</code></strong> — ${esc(g.outcome)}</p>` : '') +
    (props.caption ? `<figcaption>${esc(props.caption)}</figcaption>` : '') +
    link +
    `</figure>`
  );
}

/** The details panel's inner HTML for a slot (server side; the client builds the same text). */
export function detailHtml(f: SlotFacts): string {
  return (
    `<p class="cl-detail-head">${esc(slotHeadline(f))}</p><p><code class="cl-bits">${esc(f.bits)}</code></p>` +
    slotNotes(f).map((n) => `<p>${esc(n)}</p>`).join('')
  );
}

export { slotSentence };
