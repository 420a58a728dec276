/**
 * <Timeline> rendering, as a pure function of a scenario run: one collapse attempt as steps
 * (columns) over lanes — the collapsing thread, the mmap lock (none/read/write), the PTE table
 * (mapped/PTL), the huge page, other actors, bugs — built from the engine's trace. The static
 * SVG and an ordered list of step descriptions are rendered at build time; the client script
 * (timeline-client.ts) adds Prev/Next stepping with the current step in an aria-live region.
 */
import type { TraceEvent } from 'collapse-lab/engine';
import { esc } from './kinds.ts';
import { claimMismatch, runScenario, type Scenario, type ScenarioProps } from './scenario.ts';
import { describeOutcome, kindWord, scanStop } from './trace-read.ts';

export type MmapState = 'none' | 'read' | 'write';
export type PteState = 'none' | 'mapped' | 'ptl';
export type StepKind = 'lock' | 'scan' | 'alloc' | 'swapin' | 'non-swap' | 'actor' | 'blocked' | 'bug' | 'isolate' | 'collapse' | 'free' | 'result' | 'other';

export interface Step {
  n: number;
  kind: StepKind;
  /** Which lane the step's mark goes in. */
  lane: 'thread' | 'actor' | 'bug';
  /** A short label for the picture (≤ ~12 chars). */
  short: string;
  /** One sentence, for the list and the live region. */
  text: string;
  /** Trace seqs covered. */
  from: number;
  to: number;
  mmap: MmapState;
  pte: PteState;
  /** A huge folio is allocated and not yet freed/installed. */
  huge: boolean;
}

const NOISE = new Set(['pte_map', 'pte_unmap', 'ptl_lock', 'ptl_unlock', 'swap_in', 'preempt']);

function mmapOf(locks: readonly string[]): MmapState {
  if (locks.some((l) => l.startsWith('mmap_lock:write'))) return 'write';
  if (locks.some((l) => l.startsWith('mmap_lock:read'))) return 'read';
  return 'none';
}
function pteOf(locks: readonly string[]): PteState {
  if (locks.some((l) => /ptl|pte_lock|spinlock/i.test(l) && !l.startsWith('pte_map'))) return 'ptl';
  if (locks.some((l) => l.startsWith('pte_map'))) return 'mapped';
  return 'none';
}
const PTE_RANK: Record<PteState, number> = { none: 0, mapped: 1, ptl: 2 };

function arg(e: TraceEvent, k: string): string {
  const v = e.args[k];
  return v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v);
}


/** Describe one significant event; null means "noise, fold into the next step". */
function describe(e: TraceEvent, who: string): Pick<Step, 'kind' | 'lane' | 'short' | 'text'> | null {
  const a = (k: string) => arg(e, k);
  switch (e.name) {
    case 'mmap_read_lock':
      return { kind: 'lock', lane: 'thread', short: 'read lock', text: `${who} takes the mmap lock for read.` };
    case 'mmap_read_unlock':
      return { kind: 'lock', lane: 'thread', short: 'unlock', text: `${who} drops the mmap read lock.` };
    case 'mmap_write_lock':
      return { kind: 'lock', lane: 'thread', short: 'write lock', text: `${who} takes the mmap lock for write: no page fault, no madvise can run in this mm now.` };
    case 'mmap_write_unlock':
      return { kind: 'lock', lane: 'thread', short: 'unlock', text: `${who} drops the mmap write lock.` };
    case 'mm_khugepaged_scan_pmd': {
      const r = a('result');
      return {
        kind: 'scan',
        lane: 'thread',
        short: 'scan',
        text: `hpage_collapse_scan_pmd() scanned the PTE table under the PTL: ${r || 'done'}${a('unmapped') ? ` (unmapped=${a('unmapped')}, none_or_zero=${a('none_or_zero')}, referenced=${a('referenced')})` : ''}.`,
      };
    }
    case 'alloc_folio':
      return { kind: 'alloc', lane: 'thread', short: 'alloc 2M', text: `${who} allocates a 2 MiB huge folio${a('result') ? `: ${a('result')}` : ''}.` };
    case 'free_folio':
      return { kind: 'free', lane: 'thread', short: 'free 2M', text: `The unused huge folio is freed: the allocation was wasted.` };
    case 'do_swap_page': {
      const nonSwap = e.args.non_swap === true;
      return nonSwap
        ? {
            kind: 'non-swap',
            lane: 'thread',
            short: `non-swap ${a('slot')}`,
            text: `do_swap_page() is handed slot ${a('slot')}, a non-swap entry (${a('entry')}); it returns ${a('ret') || '0'}. This is what the patch is about.`,
          }
        : { kind: 'swapin', lane: 'thread', short: `swap-in ${a('slot')}`, text: `do_swap_page() swaps in slot ${a('slot')} (${a('entry')}): ${a('ret') || 'ok'}.` };
    }
    case 'mm_collapse_huge_page_swapin':
      return { kind: 'swapin', lane: 'thread', short: 'swapin done', text: `__collapse_huge_page_swapin() returns ${a('result')} after ${a('swapped_in') || 0} swap-ins.` };
    case 'mm_collapse_huge_page_isolate':
      return { kind: 'isolate', lane: 'thread', short: 'isolate', text: `__collapse_huge_page_isolate() re-checks every PTE under the mmap write lock: ${a('result')}.` };
    case 'install_pmd':
      return { kind: 'collapse', lane: 'thread', short: 'install PMD', text: `The 512 pages are copied and the huge PMD is installed: the range is now one 2 MiB page.` };
    case 'mm_collapse_huge_page':
      return { kind: 'result', lane: 'thread', short: 'collapse end', text: `collapse_huge_page() returns ${a('result')}.` };
    case 'actor': {
      const slot = a('slot');
      const before = kindWord(a('before'));
      const after = kindWord(a('after'));
      return {
        kind: 'actor',
        lane: 'actor',
        short: `${a('actor') || e.thread} ${slot}`,
        text: `${a('actor') || e.thread}${a('at') ? ` (at ${a('at')})` : ''} changes slot ${slot}: ${before} → ${after}${a('note') ? ` — ${a('note')}` : ''}.`,
      };
    }
    case 'blocked':
      return {
        kind: 'blocked',
        lane: 'actor',
        short: `${a('actor') || e.thread} blocked`,
        text: `${a('actor') || e.thread} cannot run here${a('reason') ? `: ${a('reason')}` : ''}${a('slot') ? ` (slot ${a('slot')})` : ''}.`,
      };
    case 'bug':
      return { kind: 'bug', lane: 'bug', short: `BUG ${a('kind')}`, text: `Bug found by the engine (${a('kind')}): ${a('message')}` };
    default:
      return NOISE.has(e.name) ? null : { kind: 'other', lane: 'thread', short: e.name, text: `${e.name} ${JSON.stringify(e.args)}` };
  }
}

/** Group a trace into steps: lock/PTL noise is folded into the next step; runs of plain swap-ins become one step. */
export function buildSteps(trace: readonly TraceEvent[], who: string): Step[] {
  const steps: Step[] = [];
  let pendingFrom = -1;
  let pendingPte: PteState = 'none';
  let huge = false;
  let prevMmap: MmapState = 'none';
  for (const e of trace) {
    if (pendingFrom < 0) pendingFrom = e.seq;
    const p = pteOf(e.locks);
    if (PTE_RANK[p] > PTE_RANK[pendingPte]) pendingPte = p;
    const d = describe(e, who);
    if (!d) continue;
    if (e.name === 'alloc_folio' && !/fail/i.test(arg(e, 'result'))) huge = true;
    const mmap: MmapState = e.name.startsWith('mmap_') ? mmapOf(e.locks) : mmapOf(e.locks) === 'none' && d.lane !== 'thread' ? prevMmap : mmapOf(e.locks);
    const step: Step = { n: steps.length + 1, ...d, from: pendingFrom, to: e.seq, mmap, pte: pendingPte, huge };
    if (e.name === 'free_folio' || e.name === 'install_pmd') huge = false;
    if (e.name === 'free_folio' || e.name === 'install_pmd') step.huge = e.name === 'install_pmd' ? false : false;
    prevMmap = mmap;
    pendingFrom = -1;
    pendingPte = 'none';
    const last = steps[steps.length - 1];
    if (last && step.kind === 'swapin' && last.kind === 'swapin' && e.name === 'do_swap_page' && /^swap-in/.test(last.short)) {
      // merge runs of ordinary swap-ins
      const slots = /slots? (\d+)(?:–(\d+))?/.exec(last.text);
      const first = slots ? slots[1] : arg(e, 'slot');
      const count = (Number(/×(\d+)/.exec(last.short)?.[1] ?? 1) || 1) + 1;
      last.short = `swap-in ×${count}`;
      last.text = `do_swap_page() swaps in slots ${first}–${arg(e, 'slot')} (${count} swap entries), one at a time, re-taking the PTL each time.`;
      last.to = e.seq;
      if (PTE_RANK[step.pte] > PTE_RANK[last.pte]) last.pte = step.pte;
      continue;
    }
    steps.push(step);
  }
  steps.forEach((s, i) => (s.n = i + 1));
  return steps;
}

export interface TimelineRender {
  result: string;
  steps: Step[];
  svg: string;
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

/** Render a <Timeline> from its props. Throws if `expect` disagrees with the engine. */
export function renderTimeline(props: ScenarioProps, opts: { id: string; where?: string }): TimelineRender {
  const scenario = runScenario(props);
  const mismatch = claimMismatch('Timeline', scenario);
  if (mismatch) throw new Error(`${opts.where ? opts.where + ': ' : ''}${mismatch}`);
  const { report } = scenario;
  const who = scenario.madvise ? 'MADV_COLLAPSE' : 'khugepaged';
  const steps = buildSteps(report.trace, who);
  const stop = scanStop(report, scenario.scanReads);
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
    if (s.huge) g.push(`<rect class="cl-band cl-l-huge" x="${x}" y="${TOP + 3 * LANE_H + 3}" width="${COL}" height="${LANE_H - 6}"/><text class="cl-band-t" x="${x + COL / 2}" y="${TOP + 3 * LANE_H + 15}" text-anchor="middle">2M</text>`);
    g.push('</g>');
    out.push(g.join(''));
  }
  out.push(`<rect class="cl-current" x="${LABEL}" y="${TOP - 4}" width="${COL}" height="${LANES.length * LANE_H + 6}" fill="none" visibility="hidden" data-cl-current/>`);
  const svg = `<svg class="cl-timeline-svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-labelledby="${opts.id}-sum" data-cl-svg>${out.join('')}</svg>`;

  const list = `<ol class="cl-timeline-steps" data-cl-steps>${steps
    .map((s) => `<li class="cl-k-${s.kind}" data-step="${s.n}"><span class="cl-step-state">[mmap ${s.mmap}${s.pte !== 'none' ? `, PTE ${s.pte}` : ''}${s.huge ? ', huge page held' : ''}]</span> ${esc(s.text)}</li>`)
    .join('')}</ol>`;
  const summary = `Timeline of one collapse attempt in ${steps.length} steps (details in the list below). ${outcome} Result: ${report.result}.`;
  return { result: report.result, steps, svg, list, summary, outcome, scenario };
}
