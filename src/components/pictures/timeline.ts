/**
 * <Timeline> rendering, as a pure function of a scenario run: one collapse attempt as steps
 * (columns) over lanes — the collapsing thread, the mmap lock (none/read/write), the PTE table
 * (mapped/PTL), the huge page, other actors, bugs — built from the engine's trace. The static
 * SVG and an ordered list of step descriptions are rendered at build time; the client script
 * (timeline-stepper.ts) adds Prev/Next stepping with the current step in an aria-live region.
 */
import type { TraceEvent } from 'collapse-lab/engine';
import { esc } from './kinds.ts';
import { claimMismatch, describeProps, runScenario, type Scenario, type ScenarioProps } from './scenario.ts';
import { describeOutcome, kindWord, scanStop, scanStopOf } from './trace-read.ts';
import { metaHtml } from './ptegrid.ts';
import { playgroundHref } from '../playground/url.ts';

export type MmapState = 'none' | 'read' | 'write';
export type PteState = 'none' | 'mapped' | 'ptl';
export type HugeState = 'none' | 'held' | 'freed' | 'mapped';
export type StepKind = 'lock' | 'scan' | 'alloc' | 'swapin' | 'non-swap' | 'actor' | 'blocked' | 'bug' | 'isolate' | 'collapse' | 'free' | 'result' | 'other';

export interface Step {
  n: number;
  kind: StepKind;
  /** Which lane the step's mark goes in. */
  lane: 'thread' | 'actor' | 'bug';
  /** One sentence, for the list and the live region. */
  text: string;
  /** Trace seqs covered (inclusive). */
  from: number;
  to: number;
  /** mmap lock held by the collapsing thread after the step. */
  mmap: MmapState;
  /** Most the collapsing thread held of the PTE table during the step. */
  pte: PteState;
  huge: HugeState;
}

/** What the scan phase found, for the scan step's sentence. */
export interface ScanInfo {
  result: string;
  stopSlot: number | null;
  /** With several PMDs: which PMD this scan was of (named in the step). */
  pmd?: number;
}

/** Lock and PTL bookkeeping events: folded into the next step (their effect shows in the lanes). */
const NOISE = new Set(['pte_map', 'pte_unmap', 'ptl_lock', 'ptl_unlock', 'swap_in', 'preempt']);

function mmapOf(locks: readonly string[]): MmapState {
  if (locks.some((l) => l.startsWith('mmap_lock:write'))) return 'write';
  if (locks.some((l) => l.startsWith('mmap_lock:read'))) return 'read';
  return 'none';
}
function pteOf(locks: readonly string[]): PteState {
  if (locks.some((l) => l === 'ptl' || l.startsWith('ptl['))) return 'ptl';
  if (locks.some((l) => l.startsWith('pte_map'))) return 'mapped';
  return 'none';
}
const PTE_RANK: Record<PteState, number> = { none: 0, mapped: 1, ptl: 2 };
const maxPte = (a: PteState, b: PteState): PteState => (PTE_RANK[a] >= PTE_RANK[b] ? a : b);

function arg(e: TraceEvent, k: string): string {
  const v = e.args[k];
  return v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v);
}

/** Describe one significant event. */
function describe(e: TraceEvent, who: string, at: string): Pick<Step, 'kind' | 'lane' | 'text'> {
  const a = (k: string) => arg(e, k);
  const by = a('by') && a('by') !== who ? `${a('by')}()` : who;
  switch (e.name) {
    case 'mmap_read_lock':
      return { kind: 'lock', lane: 'thread', text: `${by} takes the mmap lock for read.` };
    case 'mmap_read_unlock':
      return { kind: 'lock', lane: 'thread', text: `${by} drops the mmap read lock.` };
    case 'mmap_write_lock':
      return { kind: 'lock', lane: 'thread', text: `${by} takes the mmap lock for write: page faults and madvise() in this process now wait.` };
    case 'mmap_write_unlock':
      return { kind: 'lock', lane: 'thread', text: `${by} drops the mmap write lock.` };
    case 'mm_khugepaged_scan_pmd':
      return { kind: 'result', lane: 'thread', text: `hpage_collapse_scan_pmd() returns ${a('result')} (tracepoint mm_khugepaged_scan_pmd: unmapped=${a('unmapped')}, none_or_zero=${a('none_or_zero')}, referenced=${a('referenced')}).` };
    case 'alloc_folio':
      return e.args.ok === false
        ? { kind: 'alloc', lane: 'thread', text: `The 2 MiB huge-page allocation fails.` }
        : { kind: 'alloc', lane: 'thread', text: `${who} allocates a 2 MiB huge page, with no mmap lock held (this can take a while: other threads run).` };
    case 'free_folio':
      return { kind: 'free', lane: 'thread', text: `The huge page is freed unused${a('why') ? ` (${a('why')})` : ''}: the allocation was wasted work.` };
    case 'do_swap_page':
      return e.args.non_swap === true
        ? { kind: 'non-swap', lane: 'thread', text: `do_swap_page() is handed slot ${a('slot')}, a non-swap entry (${a('entry')}), and returns ${a('ret') || '0'}.` }
        : { kind: 'swapin', lane: 'thread', text: `do_swap_page() swaps in slot ${a('slot')} (${a('entry')}): ${a('ret') || 'nothing to do'}.` };
    case 'mm_collapse_huge_page_swapin':
      return { kind: 'swapin', lane: 'thread', text: `__collapse_huge_page_swapin() returns ${a('ret') || a('result')} after ${a('swapped_in') || 0} swap-ins.` };
    case 'mm_collapse_huge_page_isolate':
      return { kind: 'isolate', lane: 'thread', text: `__collapse_huge_page_isolate() re-checks all 512 PTEs under the mmap write lock and the PTL: ${a('result')}.` };
    case 'install_pmd':
      return { kind: 'collapse', lane: 'thread', text: `The 512 pages are copied into the huge page and the huge PMD is installed.` };
    case 'mm_collapse_huge_page':
      return { kind: 'result', lane: 'thread', text: `collapse_huge_page() returns ${a('result')}.` };
    case 'actor':
      return {
        kind: 'actor',
        lane: 'actor',
        text: `${a('actor') || e.thread}${at ? ` (at preemption point ${at})` : ''} changes slot ${a('slot')}: ${kindWord(a('before'))} → ${kindWord(a('after'))}${a('note') ? ` — ${a('note')}` : ''}.`,
      };
    case 'blocked':
      return {
        kind: 'blocked',
        lane: 'actor',
        text: `${a('actor') || e.thread}${at ? ` (at ${at})` : ''} cannot run${a('reason') ? `: ${a('reason')}` : ''}${a('slot') ? ` (slot ${a('slot')})` : ''}.`,
      };
    case 'bug':
      return { kind: 'bug', lane: 'bug', text: `Bug (${a('kind')}): ${a('message')}` };
    default:
      return { kind: 'other', lane: 'thread', text: `${e.name} ${JSON.stringify(e.args)}` };
  }
}

/**
 * Group a trace into steps. Lock/PTL bookkeeping is folded into the next step; the scan's
 * map → PTL → checks → unmap becomes one "scan" step; runs of ordinary swap-ins become one step.
 */
export function buildSteps(trace: readonly TraceEvent[], who: string, scanInfo: ScanInfo | readonly ScanInfo[]): Step[] {
  // one ScanInfo per scan, in order (several PMDs), or the same one for every scan
  const scans = Array.isArray(scanInfo) ? (scanInfo as readonly ScanInfo[]) : null;
  let scanNo = 0;
  const steps: Step[] = [];
  let from = -1;
  let pte: PteState = 'none';
  let huge: HugeState = 'none';
  let at = '';
  let inScan = false;
  const push = (e: TraceEvent, d: Pick<Step, 'kind' | 'lane' | 'text'>, h: HugeState) => {
    steps.push({ n: steps.length + 1, ...d, from, to: e.seq, mmap: mmapOf(e.locks), pte: maxPte(pte, pteOf(e.locks)), huge: h });
    from = -1;
    pte = 'none';
  };
  for (const e of trace) {
    if (from < 0) from = e.seq;
    pte = maxPte(pte, pteOf(e.locks));
    if (e.name === 'pte_map' && e.args.by === 'hpage_collapse_scan_pmd') inScan = true;
    if (inScan) {
      if (e.name === 'pte_unmap') {
        inScan = false;
        const scan = scans ? scans[Math.min(scanNo, scans.length - 1)] : (scanInfo as ScanInfo);
        scanNo++;
        const where = !scan || scan.stopSlot === null ? '' : ` It stopped at slot ${scan.stopSlot}.`;
        const of = scan?.pmd !== undefined ? ` of PMD ${scan.pmd}` : '';
        const result = scan ? `: ${scan.result}` : '';
        push(e, { kind: 'scan', lane: 'thread', text: `hpage_collapse_scan_pmd() maps the PTE table${of}, takes the PTL and checks the PTEs in order${result}.${where} Then it drops the PTL and unmaps the table.` }, huge);
      }
      continue;
    }
    if (e.name === 'preempt') at = arg(e, 'point');
    if (NOISE.has(e.name)) continue;
    const d = describe(e, who, at);
    if (e.name === 'alloc_folio' && e.args.ok !== false) huge = 'held';
    let h: HugeState = huge;
    if (e.name === 'free_folio') (h = 'freed'), (huge = 'none');
    if (e.name === 'install_pmd') (h = 'mapped'), (huge = 'none');
    const last = steps[steps.length - 1];
    if (e.name === 'do_swap_page' && d.kind === 'swapin' && last?.kind === 'swapin' && last.text.startsWith('do_swap_page() swaps in')) {
      const m = /slots? (\d+)(?:–(\d+))?/.exec(last.text);
      const count = Number(/\((\d+) swap entries\)/.exec(last.text)?.[1] ?? 1) + 1;
      last.text = `do_swap_page() swaps in slots ${m ? m[1] : '?'}–${arg(e, 'slot')} (${count} swap entries), one fault at a time.`;
      last.to = e.seq;
      last.pte = maxPte(last.pte, pte);
      from = -1;
      pte = 'none';
      continue;
    }
    push(e, d, h);
    if (d.lane !== 'actor') at = ''; // a preemption point only covers the actor steps right after it
  }
  return steps;
}

export interface TimelineRender {
  result: string;
  steps: Step[];
  svg: string;
  /** The lane labels alone (kept in view while the steps scroll sideways). */
  labelSvg: string;
  /** <ol> of step descriptions. */
  list: string;
  summary: string;
  outcome: string;
  scenario: Scenario;
}

const COL = 46;
const LABEL = 104;
const LANES = [
  { key: 'thread', title: '' },
  { key: 'mmap', title: 'mmap lock' },
  { key: 'pte', title: 'PTE table' },
  { key: 'huge', title: 'huge page' },
  { key: 'actor', title: 'other actors' },
  { key: 'bug', title: 'bugs' },
] as const;
const LANE_H = 22;
const TOP = 6;

const MMAP_STYLE: Record<MmapState, { cls: string; letter: string }> = {
  none: { cls: 'cl-l-none', letter: '–' },
  read: { cls: 'cl-l-read', letter: 'R' },
  write: { cls: 'cl-l-write', letter: 'W' },
};
const PTE_STYLE: Record<PteState, { cls: string; letter: string }> = {
  none: { cls: 'cl-l-none', letter: '–' },
  mapped: { cls: 'cl-l-mapped', letter: 'map' },
  ptl: { cls: 'cl-l-ptl', letter: 'PTL' },
};

const HUGE_STYLE: Record<Exclude<HugeState, 'none'>, { cls: string; letter: string }> = {
  held: { cls: 'cl-l-huge', letter: '2M' },
  freed: { cls: 'cl-l-freed', letter: 'freed' },
  mapped: { cls: 'cl-l-huge', letter: 'PMD' },
};

/** Render a <Timeline> from its props. Throws if `expect` disagrees with the engine. */
export function renderTimeline(props: ScenarioProps, opts: { id: string; where?: string }): TimelineRender {
  const scenario = runScenario(props);
  const mismatch = claimMismatch('Timeline', scenario);
  if (mismatch) throw new Error(`${opts.where ? opts.where + ': ' : ''}${mismatch}`);
  const { report } = scenario;
  const who = scenario.madvise ? 'MADV_COLLAPSE' : 'khugepaged';
  // Several PMDs: each scan step names its PMD, that PMD's scan result and where it stopped (the
  // scanned PMDs in address order: khugepaged and MADV_COLLAPSE visit them so).
  const stop = scenario.pmds.length > 1 ? { slot: null, result: report.scan_result } : scanStop(report, scenario.scanReads);
  const scanInfo: ScanInfo | ScanInfo[] =
    scenario.pmds.length > 1
      ? scenario.pmds
          .filter((p) => p.scanResult !== null && p.scanReads.length > 0)
          .map((p) => ({ pmd: p.index, result: p.scanResult!, stopSlot: scanStopOf(p.scanResult!, p.scanReads).slot }))
      : { result: report.scan_result, stopSlot: stop.slot };
  const steps = buildSteps(report.trace, who, scanInfo);
  const outcome = describeOutcome(report, stop, scenario.madvise);

  const width = LABEL + steps.length * COL + 4;
  const height = TOP + LANES.length * LANE_H + 4;
  const out: string[] = [];
  LANES.forEach((lane, i) => {
    const y = TOP + i * LANE_H;
    out.push(`<text class="cl-lane" x="${LABEL - 6}" y="${y + 15}" text-anchor="end">${esc(lane.key === 'thread' ? who : lane.title)}</text>`);
    out.push(`<line class="cl-lane-line" x1="${LABEL}" y1="${y + LANE_H - 0.5}" x2="${width - 2}" y2="${y + LANE_H - 0.5}"/>`);
  });
  for (const s of steps) {
    const x = LABEL + (s.n - 1) * COL;
    const g: string[] = [`<g class="cl-step cl-k-${s.kind}" data-step="${s.n}"><title>${esc(`${s.n}. ${s.text}`)}</title>`];
    g.push(`<rect class="cl-col" x="${x}" y="${TOP - 4}" width="${COL}" height="${LANES.length * LANE_H + 6}"/>`);
    const laneIdx = s.lane === 'thread' ? 0 : s.lane === 'actor' ? 4 : 5;
    const ly = TOP + laneIdx * LANE_H;
    g.push(`<rect class="cl-mark" x="${x + 2}" y="${ly + 2}" width="${COL - 4}" height="${LANE_H - 4}" rx="3"/>`);
    g.push(`<text class="cl-mark-t" x="${x + COL / 2}" y="${ly + 14}" text-anchor="middle">${esc(s.n)}</text>`);
    const mm = MMAP_STYLE[s.mmap];
    g.push(`<rect class="cl-band ${mm.cls}" x="${x}" y="${TOP + LANE_H + 3}" width="${COL}" height="${LANE_H - 6}"/><text class="cl-band-t" x="${x + COL / 2}" y="${TOP + LANE_H + 15}" text-anchor="middle">${mm.letter}</text>`);
    const pt = PTE_STYLE[s.pte];
    g.push(`<rect class="cl-band ${pt.cls}" x="${x}" y="${TOP + 2 * LANE_H + 3}" width="${COL}" height="${LANE_H - 6}"/><text class="cl-band-t" x="${x + COL / 2}" y="${TOP + 2 * LANE_H + 15}" text-anchor="middle">${pt.letter}</text>`);
    if (s.huge !== 'none') {
      const hs = HUGE_STYLE[s.huge];
      g.push(`<rect class="cl-band ${hs.cls}" x="${x}" y="${TOP + 3 * LANE_H + 3}" width="${COL}" height="${LANE_H - 6}"/><text class="cl-band-t" x="${x + COL / 2}" y="${TOP + 3 * LANE_H + 15}" text-anchor="middle">${hs.letter}</text>`);
    }
    g.push('</g>');
    out.push(g.join(''));
  }
  out.push(`<rect class="cl-current" x="${LABEL}" y="${TOP - 4}" width="${COL}" height="${LANES.length * LANE_H + 6}" fill="none" visibility="hidden" data-cl-current/>`);
  // The lane labels again, in a narrow SVG that stays at the left edge while the steps scroll
  // sideways (position: sticky, over the main picture's own labels, on the page background).
  const labels = LANES.map(
    (lane, i) => `<text class="cl-lane" x="${LABEL - 6}" y="${TOP + i * LANE_H + 15}" text-anchor="end">${esc(lane.key === 'thread' ? who : lane.title)}</text>`,
  ).join('');
  const labelSvg = `<svg class="cl-timeline-labels" viewBox="0 0 ${LABEL} ${height}" width="${LABEL}" height="${height}" aria-hidden="true">${labels}</svg>`;
  const svg = `<svg class="cl-timeline-svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-labelledby="${opts.id}-sum" data-cl-svg>${out.join('')}</svg>`;

  const list = `<ol class="cl-timeline-steps" data-cl-steps>${steps
    .map((s) => `<li class="cl-k-${s.kind}" data-step="${s.n}"><span class="cl-step-state">[mmap ${s.mmap}${s.pte !== 'none' ? `, PTE ${s.pte}` : ''}${s.huge !== 'none' ? `, huge page ${s.huge}` : ''}]</span> ${esc(s.text)}</li>`)
    .join('')}</ol>`;
  const summary = `Timeline of one collapse attempt in ${steps.length} steps (details in the list below). ${outcome} Result: ${report.result}.`;
  return { result: report.result, steps, svg, labelSvg, list, summary, outcome, scenario };
}

/**
 * The whole <figure> of a <Timeline> (static HTML; `timeline-stepper.ts` adds stepping). Used by
 * Timeline.astro at build time and by the Playground in the browser. `playground: false` leaves out
 * the "open in Playground" link.
 */
export function timelineFigure(t: TimelineRender, props: ScenarioProps, id: string, opts: { playground?: boolean } = {}): string {
  const meta = metaHtml(props, t.scenario.kernel, t.scenario.madvise) + (props.schedule ? ` · schedule <code>${esc(props.schedule)}</code>` : '');
  const label = `Timeline picture (scrolls sideways): ${describeProps('Timeline', props).slice(10, -1)}`;
  const link = opts.playground === false ? '' : `<p class="cl-open-playground cl-no-print"><a href="${esc(playgroundHref(props))}">Open in Playground</a> — change the scenario and step through it.</p>`;
  return (
    `<figure class="cl-timeline not-content" data-cl-timeline data-result="${esc(t.result)}">` +
    `<p class="cl-timeline-meta">${meta}</p>` +
    `<div class="cl-timeline-scroll" tabindex="0" role="region" aria-label="${esc(label)}" data-cl-scroll><div class="cl-timeline-row">${t.labelSvg}${t.svg}</div></div>` +
    `<p id="${id}-sum" class="cl-sr-only">${esc(t.summary)}</p>` +
    `<div class="cl-timeline-controls" role="toolbar" aria-label="Step through the attempt" data-cl-controls hidden>` +
    `<button type="button" data-cl-prev>◀ Prev</button><span data-cl-pos aria-hidden="true"></span><button type="button" data-cl-next>Next ▶</button></div>` +
    `<p class="cl-sr-only" aria-live="polite" data-cl-live></p>` +
    t.list +
    `<p class="cl-timeline-result"><strong>Result: <code>${esc(t.result)}</code></strong> — ${esc(t.outcome)}</p>` +
    (props.caption ? `<figcaption>${esc(props.caption)}</figcaption>` : '') +
    link +
    `</figure>`
  );
}
