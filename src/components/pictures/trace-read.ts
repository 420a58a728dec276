/**
 * Reading an engine trace for pictures: where the scan stopped, which slots other actors changed.
 * Everything here is derived from `runCollapse`'s report (trace + fields), never re-computed.
 */
import type { CollapseReport, TraceEvent } from 'collapse-lab/engine';

export interface ScanStop {
  /** Slot where the scan stopped, or null when it looked at all 512 (or stopped before the table). */
  slot: number | null;
  /** scan_result name of the scan phase. */
  result: string;
}

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/**
 * Results with which hpage_collapse_scan_pmd leaves its per-PTE loop early (kernel-facts §2.3,
 * checks A–K): the PTE it read last is the one that stopped it. Every other result is decided
 * before the loop (PMD checks) or after it (referenced/writable checks, SCAN_SUCCEED).
 */
export const PER_PTE_RESULTS: ReadonlySet<string> = new Set([
  'SCAN_EXCEED_NONE_PTE',
  'SCAN_EXCEED_SWAP_PTE',
  'SCAN_EXCEED_SHARED_PTE',
  'SCAN_PTE_NON_PRESENT',
  'SCAN_PTE_UFFD_WP',
  'SCAN_PAGE_NULL',
  'SCAN_PAGE_ANON',
  'SCAN_SCAN_ABORT',
  'SCAN_PAGE_LRU',
  'SCAN_PAGE_LOCK',
  'SCAN_PAGE_COUNT',
]);

/** Where the scan of the attempt stopped and why, from the slots it was seen to read. */
export function scanStop(report: CollapseReport, scanReads: readonly number[]): ScanStop {
  return scanStopOf(report.scan_result, scanReads);
}

/** Where one PMD's scan stopped, given that PMD's scan result and the slots it was seen to read. */
export function scanStopOf(result: string, scanReads: readonly number[]): ScanStop {
  if (!PER_PTE_RESULTS.has(result) || scanReads.length === 0) return { slot: null, result };
  return { slot: scanReads[scanReads.length - 1], result };
}

export interface ActorChange {
  seq: number;
  /** Which PMD (0 unless the schedule step named another). */
  pmd: number;
  slot: number;
  actor: string;
  /** Preemption point it ran at. */
  at: string;
  before: string;
  after: string;
}

/** An actor's before/after value is a PteKind ("migration-read") or a formatPte line ("0x… present pfn=…"): keep the kind. */
export function kindWord(v: string): string {
  const m = /^0x[0-9a-f]+ (\S+)/.exec(v);
  return m ? m[1] : v;
}

/** PTE changes made by other actors (schedule steps and `window`), in trace order. */
export function actorChanges(report: CollapseReport): ActorChange[] {
  const out: ActorChange[] = [];
  let point = '';
  for (const e of report.trace as TraceEvent[]) {
    if (e.name === 'preempt') point = String(e.args.point ?? e.args.name ?? '');
    if (e.name !== 'actor') continue;
    const slot = num(e.args.slot);
    if (slot === null) continue;
    out.push({
      seq: e.seq,
      pmd: num(e.args.pmd) ?? 0,
      slot,
      actor: String(e.args.actor ?? e.thread),
      at: String(e.args.at ?? point),
      before: kindWord(String(e.args.before ?? '?')),
      after: kindWord(String(e.args.after ?? '?')),
    });
  }
  return out;
}

/** One or two sentences saying how the attempt ended (shared by both pictures). */
export function describeOutcome(report: CollapseReport, stop: ScanStop, madvise: boolean): string {
  const who = madvise ? 'MADV_COLLAPSE' : 'khugepaged';
  const parts: string[] = [];
  if (report.scan_result === 'SCAN_SUCCEED') parts.push(`The scan accepted all 512 PTEs.`);
  else if (stop.slot !== null) parts.push(`The scan stopped at slot ${stop.slot} with ${report.scan_result}.`);
  else parts.push(`The scan returned ${report.scan_result}.`);
  if (report.allocated) {
    parts.push(
      report.collapsed
        ? `${who} allocated a huge page and collapsed the PMD into it.`
        : `${who} allocated a huge page, then gave up: ${report.result}; the huge page was freed.`,
    );
  } else if (report.scan_result === 'SCAN_SUCCEED' && !report.collapsed) {
    parts.push(`No huge page was allocated; the attempt ended with ${report.result}.`);
  }
  if (report.swapped_in) parts.push(`${report.swapped_in} swap-in${report.swapped_in === 1 ? '' : 's'} on the way.`);
  if (report.bugs.length) {
    parts.push(`The engine found ${report.bugs.length} bug${report.bugs.length === 1 ? '' : 's'}: ${[...new Set(report.bugs.map((b) => b.kind))].join(', ')}.`);
  }
  if (madvise && report.errno !== undefined) parts.push(`madvise() returns ${report.errno === 0 ? '0' : `-${report.errno}`}.`);
  return parts.join(' ');
}
