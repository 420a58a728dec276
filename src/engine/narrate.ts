/**
 * The readable report of one collapse attempt: what `npm run --silent collapse` prints without
 * `--json`, and the story the Playground shows. Pure text from a {@link CollapseReport} and the
 * PMDs before and after — no DOM, no Node, no I/O — so the terminal and the browser print the
 * same words for the same attempt.
 *
 * Pieces: {@link narrate} (the trace as numbered lines for people), {@link layoutPicture} and
 * {@link ptePicture} (a PMD as 8 rows × 64 characters, one per PTE, with a legend),
 * {@link pmdSnapshot} (what a PMD maps), {@link readableReport} (the whole text) and
 * {@link reportJsonReplacer} (the `--json` replacer that the trace's argument text shares).
 * @module
 */
import {
  formatLayout,
  describeLayoutKind,
  swapDeviceOf,
  type LayoutItem,
  type FixedLayoutKind,
  type WindowItem,
} from './layout.ts';
import { classifyPte, kindLabel, isPte, formatPte, type PteKind, type pte_t } from './pte.ts';
import type { World } from './types.ts';
import type { CollapseReport } from './run.ts';

// ---------------------------------------------------------------------------------------------
// Pictures
// ---------------------------------------------------------------------------------------------

const LAYOUT_CHAR: Readonly<Record<FixedLayoutKind, string>> = Object.freeze({
  'page': '.', 'old': 'o', 'shared': 's', 'zero': '0', 'none': '_', 'swap': 'S', 'swap+uffd': 'w',
  'migration': 'm', 'migration-w': 'M', 'migration+uffd': 'u', 'device-private': 'd',
  'device-exclusive': 'x', 'hwpoison': '!', 'guard': 'G', 'poison': 'P', 'uffd-marker': 'U', 'page+uffd': 'p',
  'page+pinned': 'n', 'page+locked': 'l', 'page+poisoned': 'c', 'page+pkey': 'k', 'no-table': ' ',
});

/** The picture character of a kind (`swap@N` draws like `swap`; the legend names the devices). */
function layoutChar(k: LayoutItem): string {
  if (swapDeviceOf(k) > 0) return k.endsWith('+uffd') ? 'w' : 'S';
  return LAYOUT_CHAR[k as FixedLayoutKind] ?? '?';
}

const PTE_CHAR: Readonly<Record<PteKind, string>> = Object.freeze({
  'present': '.', 'present-uffd-wp': 'p', 'protnone': 'n', 'zero': '0', 'none': '_', 'swap': 'S',
  'swap-uffd-wp': 'w', 'hwpoison': '!', 'migration-read': 'm', 'migration-read-exclusive': 'e',
  'migration-write': 'M', 'device-private-read': 'd', 'device-private-write': 'd', 'device-exclusive': 'x',
  'marker-uffd-wp': 'U', 'marker-poisoned': 'P', 'marker-guard': 'G', 'marker-empty': '?',
});

/**
 * Characters as rows of 64, each row prefixed with `indent` and its first slot (right-aligned in
 * 3 columns): 512 characters give 8 rows. Returns the rows joined by `\n` (no trailing newline).
 */
export function drawGrid(chars: readonly string[], indent = '  '): string {
  const rows: string[] = [];
  for (let r = 0; r < chars.length; r += 64) {
    rows.push(`${indent}${String(r).padStart(3)} ${chars.slice(r, r + 64).join('')}`);
  }
  return rows.join('\n');
}

/** "c label" items, three spaces apart, wrapped before 96 columns. */
function legend(pairs: ReadonlyMap<string, string>, indent = '  '): string {
  const items = [...pairs].map(([c, label]) => `${c} ${label}`);
  const lines: string[] = [];
  let line = '';
  for (const it of items) {
    if (line && line.length + it.length + 3 > 96) { lines.push(line); line = ''; }
    line = line ? `${line}   ${it}` : it;
  }
  if (line) lines.push(line);
  return lines.map((l) => indent + l).join('\n');
}

/**
 * A parsed layout (512 kinds, `parseLayout`) drawn as {@link drawGrid} rows with a legend of the
 * kinds that occur; a `no-table` layout is one line saying the PMD is empty (pmd_none).
 */
export function layoutPicture(layout: readonly LayoutItem[]): string {
  if (layout[0] === 'no-table') return '  (no PTE table: the PMD is empty — pmd_none)';
  const chars = layout.map(layoutChar);
  const used = new Map<string, string>();
  for (const k of new Set(layout)) {
    const c = layoutChar(k);
    const label = `${k} (${describeLayoutKind(k)})`;
    used.set(c, used.has(c) ? `${used.get(c)}; ${label}` : label);
  }
  return `${drawGrid(chars)}\n${legend(used)}`;
}

/** Real PTEs, each classified from its bits (`classifyPte`), drawn as {@link drawGrid} rows with a legend. */
export function ptePicture(ptes: readonly pte_t[]): string {
  const kinds = ptes.map((p) => classifyPte(p));
  const used = new Map<string, string>();
  for (const k of kinds) if (!used.has(PTE_CHAR[k])) used.set(PTE_CHAR[k], kindLabel(k));
  return `${drawGrid(kinds.map((k) => PTE_CHAR[k]))}\n${legend(used)}`;
}

// ---------------------------------------------------------------------------------------------
// The trace, for people
// ---------------------------------------------------------------------------------------------

/**
 * A `JSON.stringify` replacer for reports: bigints as `0x…` hex strings, Maps and Sets as arrays,
 * PTEs as they are, a repeated object as `"[circular]"`, and the world (keys `world`, `vm_mm`,
 * `mm`) as `"[world]"` so a report never drags the whole simulated machine along. A fresh replacer
 * per `JSON.stringify` call (it remembers the objects it has seen).
 */
export function reportJsonReplacer(): (key: string, value: unknown) => unknown {
  const seen = new WeakSet<object>();
  return (key, value) => {
    if (typeof value === 'bigint') return '0x' + value.toString(16);
    if (value instanceof Map) return [...value];
    if (value instanceof Set) return [...value];
    if (value && typeof value === 'object') {
      if (isPte(value)) return value;
      if (seen.has(value)) return '[circular]';
      seen.add(value);
      if (key === 'world' || key === 'vm_mm' || key === 'mm') return '[world]';
    }
    return value;
  };
}

/** One trace argument as short text: strings as they are, bigints in hex, PTEs via formatPte, else JSON. */
function short(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint') return '0x' + v.toString(16);
  if (isPte(v)) return formatPte(v);
  try {
    return JSON.stringify(v, reportJsonReplacer()) ?? String(v);
  } catch {
    return String(v);
  }
}

/** The fields of a trace event that {@link narrate} reads (a `TraceEvent` has them all). */
export interface NarratedEvent {
  /** Position in the trace, from 0. */
  seq: number;
  /** The thread that emitted it (`khugepaged`, `madvise`, an actor …). */
  thread: string;
  /** Tracepoint or event name (`mm_khugepaged_scan_pmd`, `do_swap_page`, `pte_map` …). */
  name: string;
  /** The event's fields. */
  args: Record<string, unknown>;
  /** Locks the thread held when the event fired. */
  locks: string[];
}

function describeEvent(ev: NarratedEvent): string {
  const args = Object.entries(ev.args ?? {}).map(([k, v]) => `${k}=${short(v)}`).join(' ');
  return `${ev.name}${args ? ' ' + args : ''}`;
}

/** Page-table map/lock bookkeeping events: left out of the readable story (all are in --json). */
const PLUMBING: ReadonlySet<string> = new Set(['pte_map', 'pte_unmap', 'ptl_lock', 'ptl_unlock']);

/** A swap-in that went as expected: a `swap_in` read, or do_swap_page on a real swap entry returning 0/MAJOR. */
function ordinarySwapEvent(ev: NarratedEvent): boolean {
  if (ev.name === 'swap_in') return true;
  if (ev.name !== 'do_swap_page') return false;
  const ret = String(ev.args?.ret ?? '');
  return ev.args?.non_swap !== true && (ret === '0' || ret === 'VM_FAULT_MAJOR' || ret === '');
}

/** Sorted slots as ranges: [3,4,5,9] → "3–5, 9". */
function slotRange(slots: readonly number[]): string {
  if (!slots.length) return '';
  const parts: string[] = [];
  let start = slots[0];
  let prev = slots[0];
  for (const s of [...slots.slice(1), NaN]) {
    if (s === prev + 1) { prev = s; continue; }
    parts.push(start === prev ? `${start}` : `${start}–${prev}`);
    start = prev = s;
  }
  return parts.join(', ');
}

/**
 * The trace as numbered lines for people, each `  #seq [thread] what  {holds: locks}`:
 * page-table map/lock plumbing (`pte_map`, `pte_unmap`, `ptl_lock`, `ptl_unlock`) is left out and
 * counted in a last line; a run of ordinary swap-ins (real swap entries, `do_swap_page` returning
 * 0 or VM_FAULT_MAJOR, and their `swap_in` reads) is folded into one line naming the slots; anything
 * unusual — a non-swap entry handed to do_swap_page, an error, a bug, an actor — has a line of its own.
 * The lines model nothing in the kernel: they retell the engine's own trace.
 */
export function narrate(trace: readonly NarratedEvent[]): string[] {
  const out: string[] = [];
  let hidden = 0;
  const line = (ev: NarratedEvent, what: string) => {
    const locks = ev.locks?.length ? `  {holds: ${ev.locks.join(', ')}}` : '';
    out.push(`  #${String(ev.seq).padStart(3)} [${ev.thread}] ${what}${locks}`);
  };
  let i = 0;
  while (i < trace.length) {
    const ev = trace[i];
    if (PLUMBING.has(ev.name)) { hidden++; i++; continue; }
    if (ordinarySwapEvent(ev)) {
      const slots: number[] = [];
      let calls = 0;
      let reads = 0;
      let last = ev;
      let j = i;
      while (j < trace.length && (PLUMBING.has(trace[j].name) || ordinarySwapEvent(trace[j]))) {
        const e = trace[j];
        if (PLUMBING.has(e.name)) hidden++;
        else {
          last = e;
          if (e.name === 'do_swap_page') { calls++; if (typeof e.args?.slot === 'number') slots.push(e.args.slot as number); }
          else reads++;
        }
        j++;
      }
      const what = calls
        ? `swap-in: do_swap_page on ${calls} swap entr${calls === 1 ? 'y' : 'ies'} (slot${slots.length === 1 ? '' : 's'} ${slotRange(slots)}), ${reads} read from the swap device`
        : `swap_in ×${reads}`;
      line(ev, `${what}  (events #${ev.seq}–#${last.seq})`);
      i = j;
      continue;
    }
    line(ev, describeEvent(ev));
    i++;
  }
  if (hidden) out.push(`  (${hidden} page-table map/lock events not shown; --json has the full trace)`);
  return out;
}

// ---------------------------------------------------------------------------------------------
// The whole report
// ---------------------------------------------------------------------------------------------

/** What one PMD maps at a moment: a huge page, nothing (pmd_none), or a PTE table (its 512 PTEs, copied). */
export interface PmdSnapshot {
  /** The PMD maps a 2 MiB huge page. */
  huge: boolean;
  /** The PMD is empty (pmd_none) — or there is no PMD with that index. */
  none: boolean;
  /** The PTE table's entries (a copy), or null when there is no table. */
  ptes: pte_t[] | null;
}

/** PMD `pmd` (index in address order, default 0) of a world, now. */
export function pmdSnapshot(world: World, pmd = 0): PmdSnapshot {
  const e = world.mm.pmds[pmd]?.entry;
  if (!e) return { huge: false, none: true, ptes: null };
  if (e.type === 'huge') return { huge: true, none: false, ptes: null };
  if (e.type === 'table') return { huge: false, none: false, ptes: [...e.table.ptes] };
  return { huge: false, none: true, ptes: null };
}

/** Everything {@link readableReport} tells: the attempt's inputs, the engine's report, the PMDs before and after. */
export interface ReadableReportInput {
  /** Which side of the patch ran. */
  kernel: 'before' | 'after' | 'v3-as-posted';
  /** MADV_COLLAPSE (true) or khugepaged (false). */
  madvise: boolean;
  /** The VMA's userfaultfd registration, or null. */
  uffd: 'wp' | 'missing' | null;
  /** The huge-page allocation was made to fail. */
  allocFail: boolean;
  /** Every PMD's parsed layout, in address order (`parseLayouts`). */
  layouts: readonly (readonly LayoutItem[])[];
  /** The knobs in use (every knob, defaults included: `world.knobs`). */
  knobs: Readonly<Record<string, number>>;
  /** PTE changes made while the mmap lock is dropped for the allocation (`parseWindow`). */
  window: readonly WindowItem[];
  /** The engine's report of the attempt (`runCollapse`). */
  report: CollapseReport;
  /** Each PMD before the attempt ({@link pmdSnapshot} taken before `runCollapse`). */
  before: readonly PmdSnapshot[];
  /** Each PMD after the attempt. */
  after: readonly PmdSnapshot[];
}

/**
 * The readable report of one attempt, as text (lines joined by `\n`, no trailing newline): the inputs, a picture
 * of each PMD before, the result and the report's fields, the bugs the lock checker found, the
 * do_swap_page calls, "what happened, in order:" ({@link narrate}), the non-zero counters, and a
 * picture of each PMD after (decoded from the PTE bits). `npm run --silent collapse` prints it
 * followed by a newline.
 */
export function readableReport(input: ReadableReportInput): string {
  const { report: r, layouts, before, after } = input;
  const several = layouts.length > 1;
  const lines: string[] = [];
  const ctx = input.madvise ? 'MADV_COLLAPSE' : 'khugepaged';
  lines.push(`collapse attempt — kernel: ${input.kernel}, caller: ${ctx}${input.uffd ? `, uffd: ${input.uffd}` : ''}${input.allocFail ? ', the huge-page allocation fails' : ''}`);
  if (several) layouts.forEach((l, i) => lines.push(`layout of PMD ${i}: ${formatLayout(l)}`));
  else lines.push(`layout: ${formatLayout(layouts[0])}`);
  lines.push(`knobs: ${Object.entries(input.knobs).map(([k, v]) => `${k}=${v}`).join(' ')}${input.madvise ? ' (MADV_COLLAPSE ignores them)' : ''}`);
  if (input.window.length) {
    lines.push(`window (while the mmap lock is dropped for the allocation): ${input.window.map((w) => `slot ${w.slot} → ${w.kind}`).join(', ')}`);
  }
  lines.push('');
  if (several) {
    layouts.forEach((l, i) => {
      lines.push(`PMD ${i} before (one character per PTE, 8 rows × 64):`);
      lines.push(layoutPicture(l));
    });
    lines.push('');
    lines.push('per PMD, in address order:');
    for (const p of r.pmds) {
      lines.push(`  PMD ${p.pmd}: ${p.scanned ? `${p.result}${p.scan_result !== p.result ? ` (scan phase: ${p.scan_result})` : ''}` : 'not scanned'}${p.collapsed ? ' — collapsed' : p.huge ? ' — huge' : ''}${p.swapped_in ? `, ${p.swapped_in} swapped in` : ''}`);
    }
  } else {
    lines.push('PMD before (one character per PTE, 8 rows × 64):');
    lines.push(layoutPicture(layouts[0]));
  }
  lines.push('');
  lines.push(`result:      ${r.result}${r.scan_result && r.scan_result !== r.result ? `   (scan phase: ${r.scan_result})` : ''}${several ? '   (the last PMD attempted)' : ''}`);
  const collapsedPmds = r.pmds.filter((p) => p.collapsed).map((p) => p.pmd);
  lines.push(`collapsed:   ${r.collapsed ? (several ? `yes — PMD ${collapsedPmds.join(', ')} now map${collapsedPmds.length === 1 ? 's' : ''} a 2 MiB huge page` : 'yes — the PMD now maps one 2 MiB huge page') : 'no'}`);
  lines.push(`allocated:   ${r.allocated ? 'yes (a huge page was allocated)' : 'no'}`);
  lines.push(`swapped in:  ${r.swapped_in ?? 0}`);
  lines.push(`mmap lock:   ${r.mmap_locked ? 'still held by the caller' : 'not held by the caller afterwards'}`);
  if (r.hung) lines.push('DEADLOCK:    the collapsing thread would have hung; the attempt was stopped there');
  if (r.collapsed) lines.push(`contents:    ${r.contents_ok ? 'every page kept its data' : 'WRONG — the huge page does not hold the original data'}`);
  if (input.madvise) lines.push(`errno:       ${String(r.errno ?? 0)}`);
  const bugs = r.bugs ?? [];
  lines.push(`bugs:        ${bugs.length ? bugs.length : 'none'}`);
  for (const b of bugs) lines.push(`  ! ${b.kind}: ${b.message}${b.path?.length ? `  (in ${b.path.join(' → ')})` : ''}`);
  const calls = r.do_swap_page_calls ?? [];
  if (calls.length) {
    const nonSwap = calls.filter((c) => c.non_swap);
    lines.push(`do_swap_page calls: ${calls.length}${nonSwap.length ? `, ${nonSwap.length} with a NON-SWAP entry (slots ${nonSwap.map((c) => c.slot).join(', ')})` : ''}`);
  }
  lines.push('');
  lines.push('what happened, in order:');
  lines.push(...narrate(r.trace ?? []));
  const counters = Object.entries(r.counters ?? {}).filter(([, v]) => v !== 0);
  lines.push('');
  lines.push(`counters: ${counters.length ? counters.map(([k, v]) => `${k}=${v}`).join(' ') : 'all zero'}`);
  for (let i = 0; i < after.length; i++) {
    const a = after[i];
    const b = before[i];
    const name = several ? `PMD ${i} after` : 'PMD after';
    lines.push('');
    if (a.huge) lines.push(`${name}: a huge PMD mapping (no PTE table any more).`);
    else if (a.ptes) {
      const aPtes = a.ptes;
      const same = !!b?.ptes && b.ptes.length === aPtes.length && b.ptes.every((p, j) => p.lo === aPtes[j].lo && p.hi === aPtes[j].hi);
      lines.push(`${name} (decoded from the PTE bits${same ? '; unchanged' : ''}):`);
      lines.push(ptePicture(aPtes));
    } else lines.push(`${name}: none (no page table).`);
  }
  return lines.join('\n');
}
