/**
 * Trace events and counters.
 *
 * The kernel leaves a trail through tracepoints (`include/trace/events/huge_memory.h`) and
 * `/proc/vmstat` counters; the engine does the same so pictures, tests and the CLI can show
 * what happened. One event per kernel function (like the kernel's tracepoints) plus lock,
 * allocation and actor events — never one per PTE, so a 512-PTE scan stays cheap.
 *
 * @module
 */
import type { World, TraceEvent } from './types.ts';
import { appendTraceEvent, bumpCounter, evidenceLength } from './evidence.ts';
import { coreOfKnown } from './lockstate.ts';

/** Every event name the engine emits. */
export const TRACE_EVENT_NAMES = Object.freeze([
  'mm_khugepaged_scan_pmd',
  'mm_collapse_huge_page',
  'mm_collapse_huge_page_swapin',
  'mm_collapse_huge_page_isolate',
  'mmap_read_lock',
  'mmap_read_unlock',
  'mmap_write_lock',
  'mmap_write_unlock',
  'pte_map',
  'pte_unmap',
  'ptl_lock',
  'ptl_unlock',
  'alloc_folio',
  'free_folio',
  'do_swap_page',
  'swap_in',
  'preempt',
  'actor',
  'blocked',
  'bug',
  'install_pmd',
  'copy_mc',
  'alloc_sleep',
] as const);

/** A trace event name. */
export type TraceEventName = (typeof TRACE_EVENT_NAMES)[number];

/** vm event `THP_SCAN_EXCEED_NONE_PTE` (/proc/vmstat `thp_scan_exceed_none_pte`, mm/vmstat.c). */
export const THP_SCAN_EXCEED_NONE_PTE = 'thp_scan_exceed_none_pte';
/** vm event `THP_SCAN_EXCEED_SWAP_PTE` (/proc/vmstat `thp_scan_exceed_swap_pte`). */
export const THP_SCAN_EXCEED_SWAP_PTE = 'thp_scan_exceed_swap_pte';
/** vm event `THP_SCAN_EXCEED_SHARED_PTE` (/proc/vmstat `thp_scan_exceed_share_pte`). */
export const THP_SCAN_EXCEED_SHARED_PTE = 'thp_scan_exceed_share_pte';
/** vm event `THP_COLLAPSE_ALLOC` (a huge folio was allocated for a collapse). */
export const THP_COLLAPSE_ALLOC = 'thp_collapse_alloc';
/** vm event `THP_COLLAPSE_ALLOC_FAILED`. */
export const THP_COLLAPSE_ALLOC_FAILED = 'thp_collapse_alloc_failed';

/** All counters the engine keeps, each starting at 0. The last three have no kernel twin. */
export const COUNTER_NAMES = Object.freeze([
  THP_SCAN_EXCEED_NONE_PTE,
  THP_SCAN_EXCEED_SWAP_PTE,
  THP_SCAN_EXCEED_SHARED_PTE,
  THP_COLLAPSE_ALLOC,
  THP_COLLAPSE_ALLOC_FAILED,
  'huge_alloc_then_freed',
  'swapins',
  'wasted_swapins',
] as const);

/** A vm event name accepted by {@link count_vm_event}. */
export type vm_event_item = string;

/** A fresh counter record, every counter at 0. */
export function newCounters(): Record<string, number> {
  const c: Record<string, number> = {};
  for (const n of COUNTER_NAMES) c[n] = 0;
  return c;
}

/**
 * `count_vm_event(item)` — bump a /proc/vmstat event counter. The kernel's counters are
 * per-CPU globals; here they live in the world reached through `mm`.
 * @param mm the mm whose world counts the event
 * @param item e.g. {@link THP_SCAN_EXCEED_SWAP_PTE}
 */
export function count_vm_event(mm: { world: World }, item: vm_event_item): void {
  bumpCounter(mm.world, item, 1);
}

/** Describe the collapsing thread's locks (for {@link TraceEvent.locks}). */
function heldLocks(world: World): string[] {
  const thread = world.collapseThread;
  if (!thread) return [];
  const t = coreOfKnown(thread);
  const out: string[] = [];
  if (t.mmapRead > 0) out.push(t.mmapRead > 1 ? `mmap_lock:read×${t.mmapRead}` : 'mmap_lock:read');
  if (t.mmapWrite) out.push('mmap_lock:write');
  if (t.mappings.length) out.push(t.mappings.length > 1 ? `pte_map×${t.mappings.length}` : 'pte_map');
  if (t.spinlocks.length) out.push(...t.spinlocks.map((l) => l.name));
  return out;
}

/**
 * Append one event to the world's trace (engine-internal, no kernel twin).
 * @param world the world
 * @param name event name
 * @param args event arguments
 */
export function traceEvent(world: World, name: TraceEventName, args: Record<string, unknown> = {}): TraceEvent {
  const ev: TraceEvent = {
    seq: evidenceLength(world).trace,
    thread: world.current ? world.current.name : 'init',
    name,
    args,
    locks: heldLocks(world),
  };
  appendTraceEvent(world, ev);
  return ev;
}

/** Format one event as a single readable line (for the CLI and failure messages). */
export function formatTraceEvent(ev: TraceEvent): string {
  const args = Object.entries(ev.args)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return `#${ev.seq} [${ev.thread}] ${ev.name}${args ? ' ' + args : ''}${ev.locks.length ? `  {${ev.locks.join(', ')}}` : ''}`;
}
