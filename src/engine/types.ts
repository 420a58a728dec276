/**
 * types.ts — the shapes of the simulated machine's state, at the bottom of the engine: the
 * {@link World}, `mm_struct`, `vm_area_struct`, PMDs and PTE tables, folios and pages, the swap
 * devices, the khugepaged knobs, `collapse_control`, schedules, the per-thread lock state
 * ({@link ThreadState}), {@link Bug} and {@link TraceEvent}.
 *
 * Types only (no code): every other module may import from here, and this file imports only
 * the value types of pte.ts and layout.ts. The layering (README "Files"): values and types at
 * the bottom (pte, swapops, softleaf, scan_result, layout, types), state above (trace, mm,
 * locks), kernel paths on top (memory, actors, khugepaged), then run and explore.
 * @see https://elixir.bootlin.com/linux/v6.17/source/include/linux/mm_types.h
 * @module
 */
import type { pte_t } from './pte.ts';

/** A C out-parameter (`bool *mmap_locked`, `spinlock_t **ptl`) as a mutable box. */
export interface Ref<T> {
  value: T;
}

/** `khugepaged` sysfs knobs (/sys/kernel/mm/transparent_hugepage/khugepaged/), kernel defaults. */
export interface Knobs {
  /** `max_ptes_none`, default HPAGE_PMD_NR − 1 = 511. */
  max_ptes_none: number;
  /** `max_ptes_swap`, default HPAGE_PMD_NR / 8 = 64. */
  max_ptes_swap: number;
  /** `max_ptes_shared`, default HPAGE_PMD_NR / 2 = 256. */
  max_ptes_shared: number;
}

/** Which side of the patch the world's kernel functions come from. */
export type KernelName = 'before' | 'after' | 'v3-as-posted';

/** `spinlock_t` — a PTE-table lock (split PTL) or the PMD lock. */
export interface spinlock_t {
  /** e.g. `ptl` (the PTE table of PMD 0) or `ptl[1]`. */
  readonly name: string;
  /** Thread holding it, or null (read-only: spin_lock/spin_unlock change it). */
  readonly owner: ThreadState | null;
  /** The world it lives in (so `spin_lock(lock)` needs no other argument). */
  readonly world: World;
}

/** `struct rw_semaphore` — the `mmap_lock`. */
export interface rw_semaphore {
  /** Read holds per thread name (a thread may — wrongly — hold it more than once). A copy: only the lock functions change the lock. */
  readonly readers: ReadonlyMap<string, number>;
  /** Thread holding it for write, or null. */
  readonly writer: ThreadState | null;
}

/** `struct page`: one 4 KiB page. */
export interface page {
  /** Page frame number. */
  readonly pfn: number;
  /** The folio this page belongs to. */
  readonly folio: folio;
  /** The page's data (a deterministic label, e.g. "P17"); {@link ZERO_CONTENT} when zero-filled; null when lost (hwpoison). */
  content: string | null;
  /**
   * The memory holding this page is poisoned but nobody has found out yet (no PG_hwpoison):
   * the next copy of it hits a machine check (`page+poisoned`). Absent on healthy pages.
   */
  mce?: true;
}

/** `struct folio`: one or more pages managed as a unit (here: small folios, plus the new THP). */
export interface folio {
  /** Folio id (allocation order). */
  readonly id: number;
  /** PFN of the first page. */
  readonly pfn: number;
  /** 1 or HPAGE_PMD_NR. */
  readonly nr_pages: number;
  /** The pages, `pages[0]` being the head. */
  readonly pages: page[];
  /** `folio_ref_count()`. */
  _refcount: number;
  /** Number of page-table mappings, over all mms (`folio_mapcount()`). */
  _mapcount: number;
  /** PG_lru: on an LRU list. */
  lru: boolean;
  /** PG_locked. */
  locked: boolean;
  /** PG_young (page idle tracking). */
  young: boolean;
  /** PG_referenced. */
  referenced: boolean;
  /** PG_swapcache. */
  swapcache: boolean;
  /** Anonymous (`folio_test_anon`). */
  anon: boolean;
  /** NUMA node. */
  nid: number;
  /** ZONE_DEVICE page (device-private memory). */
  zone_device: boolean;
  /** PG_hwpoison. */
  hwpoison: boolean;
  /** Under migration (an entry replaced its PTE; `migration_finish` completes it). */
  migrating: boolean;
  /** The zero page (never freed). */
  readonly zero: boolean;
  /** Freed back to the allocator. */
  freed: boolean;
}

/** A PTE table (a page of 512 `pte_t`) hanging off a PMD. */
export interface PteTable {
  /** Table id (allocation order). */
  readonly id: number;
  /** The 512 entries. Write them through {@link set_pte_at} (engine code) — reading goes through `ptep_get`. */
  readonly ptes: pte_t[];
  /** Its split page-table lock (`pte_lockptr`). */
  readonly ptl: spinlock_t;
  /** The world. */
  readonly world: World;
  /** Index of the PMD it was created for. */
  readonly pmdIndex: number;
}

/** What a PMD entry holds. */
export type PmdEntry =
  | { readonly type: 'none' }
  | { readonly type: 'table'; readonly table: PteTable }
  | { readonly type: 'huge'; readonly folio: folio };

/**
 * `pmd_t *` — a PMD slot in the page tables (the C code passes a pointer; so does the engine).
 * `entry` is the current value (`pmdp_get(pmd)`).
 */
export interface pmd_t {
  /** Which PMD of the VMA (0-based). */
  readonly index: number;
  /** Virtual address the PMD maps (2 MiB aligned). */
  readonly addr: number;
  /** Current value. */
  entry: PmdEntry;
  /** The mm. */
  readonly mm: mm_struct;
}

/** `struct mm_struct` (what the engine models of it). */
export interface mm_struct {
  /** The world this mm lives in. */
  readonly world: World;
  /** `mmap_lock`, a read-write semaphore. */
  readonly mmap_lock: rw_semaphore;
  /** The PMD slots covering the VMA, in address order. */
  readonly pmds: pmd_t[];
  /** `pmd_lock()` of this mm. */
  readonly pmd_ptl: spinlock_t;
}

/** `struct vm_userfaultfd_ctx` — non-null `ctx` when the VMA is registered with userfaultfd. */
export interface vm_userfaultfd_ctx {
  /** Registration mode, or null when not registered. */
  ctx: 'wp' | 'missing' | null;
}

/** `struct vm_area_struct` — one anonymous, private, read-write VMA. */
export interface vm_area_struct {
  /** First address. */
  readonly vm_start: number;
  /** One past the last address. */
  readonly vm_end: number;
  /** Page offset (anon: vm_start >> PAGE_SHIFT). */
  readonly vm_pgoff: number;
  /** The mm. */
  readonly vm_mm: mm_struct;
  /** userfaultfd registration. */
  readonly vm_userfaultfd_ctx: vm_userfaultfd_ctx;
  /** Anonymous VMA (always true here). */
  readonly anon: true;
}

/** `struct collapse_control` (mm/khugepaged.c). */
export interface collapse_control {
  /** True for the khugepaged thread, false for MADV_COLLAPSE. */
  is_khugepaged: boolean;
  /** Per-node count of pages seen by the scan. */
  node_load: number[];
  /** Nodes allowed for the allocation (ids). */
  alloc_nmask: number[];
  /** The world (no kernel twin: the kernel's cc needs no back pointer because its state is global). */
  readonly world: World;
}

/** `struct swap_info_struct` of one swap device type 0–23 (zram-like SWP_SYNCHRONOUS_IO devices). */
export interface swap_info_struct {
  /** Swap type (0–23). */
  readonly type: number;
  /** Use count per slot (0 = free). Offset 0 is the header and never used. */
  readonly swap_map: number[];
  /** Data held per slot. */
  readonly contents: (string | null)[];
}

/** Names of the actors a schedule can place at a preemption point. */
export type ActorName =
  | 'migration_start'
  | 'migration_finish'
  | 'reclaim_swap_out'
  | 'memory_failure'
  | 'owner_fault'
  | 'madv_guard_install'
  | 'uffdio_writeprotect'
  | 'device_exclusive'
  | 'set_pte';

/** One scheduled step: at preemption point `at`, `actor` acts on PTE `slot` (of PMD `pmd`, default 0). */
export interface ScheduleStep {
  /** `scan-unlocked`, `alloc`, `upgrade`, or `swapin:<slot>`. */
  at: string;
  /** Who acts. */
  actor: ActorName;
  /** PTE index 0..511 in the PMD. */
  slot: number;
  /** For `set_pte`: the layout KIND to install. */
  kind?: string;
  /** Which PMD (default 0). */
  pmd?: number;
}

/** A list of scheduled steps. */
export type Schedule = ScheduleStep[];

/**
 * The functions a kernel variant (or a learner) supplies. The engine calls them through
 * `mm.world.ops`, wrapped in contract checks.
 */
export interface KernelOps {
  /** Scan one PMD; on SCAN_SUCCEED call collapse_huge_page and set `mmap_locked.value = false`. */
  hpage_collapse_scan_pmd(
    mm: mm_struct,
    vma: vm_area_struct,
    start_addr: number,
    mmap_locked: Ref<boolean>,
    cc: collapse_control,
  ): number;
  /** Bring the PMD's swapped-out pages back in; contract: see locks.ts. */
  __collapse_huge_page_swapin(
    mm: mm_struct,
    vma: vm_area_struct,
    haddr: number,
    pmd: pmd_t,
    referenced: number,
  ): number;
}

/** One `do_swap_page()` call made by the collapsing thread (for the report). */
export interface DoSwapPageCall {
  /** PTE index. */
  slot: number;
  /** `formatPte` of the entry handed over. */
  entry: string;
  /** Was it a non-swap entry? */
  non_swap: boolean;
}

/** Per-attempt bookkeeping (reset by `runCollapse`). */
export interface AttemptState {
  /** collapse_huge_page() calls. */
  collapseCalls: number;
  /** Huge folios allocated. */
  allocated: number;
  /** PMDs turned huge. */
  collapsed: number;
  /** Successful swap-ins in `__collapse_huge_page_swapin` (ret without error). */
  swappedIn: number;
  /** Real swap-ins (a slot read into a new folio) by the collapsing thread. */
  realSwapins: number;
  /** do_swap_page() calls by the collapsing thread. */
  doSwapPageCalls: DoSwapPageCall[];
  /** Result of the last hpage_collapse_scan_pmd scan phase (before collapse_huge_page). */
  lastScanPhase: number | null;
  /** Result of the last collapse_huge_page. */
  lastCollapse: number | null;
  /** Outcome of the last madvise_collapse call, if any. */
  madvise: MadviseOutcome | null;
  /** One record per `hpage_collapse_scan_pmd` call, in call order. */
  pmdScans: PmdScan[];
}

/** What one `hpage_collapse_scan_pmd` call did to one PMD (engine bookkeeping). */
export interface PmdScan {
  /** PMD index in the VMA. */
  pmd: number;
  /** What the scan function returned (the collapse's result when it went on to collapse). */
  result: number;
  /** The scan phase's own result (SCAN_SUCCEED when it went on to collapse). */
  scan_result: number;
  /** This call made the PMD huge. */
  collapsed: boolean;
  /** This call allocated a huge folio. */
  allocated: boolean;
  /** Pages this call read back from swap. */
  swapped_in: number;
}

/** Outcome details of a `madvise_collapse` call (engine bookkeeping). */
export interface MadviseOutcome {
  /** Ranges that ended up PMD-mapped. */
  thps: number;
  /** Ranges in [start, end). */
  ranges: number;
  /** Last failing scan_result. */
  last_fail: number;
  /** Last value of the mmap_locked out-parameter. */
  mmap_locked: boolean;
  /** Result per range, in order. */
  results: number[];
}

/** Options the world was built with (kept for replays). */
export interface WorldOptions {
  /** Kernel side. */
  kernel: KernelName;
  /** VMA userfaultfd mode. */
  uffd: 'wp' | 'missing' | null;
  /** Make the huge-page allocation fail (SCAN_ALLOC_HUGE_PAGE_FAIL). */
  fail_alloc: boolean;
  /** /proc/sys/vm/zone_reclaim_mode (node_reclaim_mode) — enables hpage_collapse_scan_abort. */
  node_reclaim_mode: number;
}

/** All state of one simulated machine. */
export interface World {
  /** Options. */
  readonly options: WorldOptions;
  /** Which kernel (shortcut for options.kernel). */
  readonly kernel: KernelName;
  /** The process's mm. */
  mm: mm_struct;
  /** Its one anonymous VMA. */
  vma: vm_area_struct;
  /** The collapse_control of the current attempt. */
  cc: collapse_control;
  /** Knobs (sysfs). */
  readonly knobs: Knobs;
  /** Swap device type 0. */
  readonly swap: swap_info_struct;
  /** `swap_info[type]`: all MAX_SWAPFILES (24) swap devices, type 0–23 (`swap` is `swap_info[0]`). */
  readonly swap_info: readonly swap_info_struct[];
  /** The shared zero page. */
  readonly zero_page: page;
  /** PFN → page. */
  readonly pages: Map<number, page>;
  /** Next free PFN. */
  nextPfn: number;
  /** Next folio id. */
  nextFolioId: number;
  /** Next PTE table id. */
  nextTableId: number;
  /** Kernel functions in use (a variant's, or a learner's). */
  ops: KernelOps;
  /** The scheduled actor steps. */
  readonly schedule: Schedule;
  /** Which schedule steps already ran (a copy). */
  readonly scheduleDone: readonly boolean[];
  /** Trace. */
  readonly trace: TraceEvent[];
  /** Counters (see trace.ts). */
  readonly counters: Record<string, number>;
  /** Bugs found (lockdep-like checks, contracts). */
  readonly bugs: Bug[];
  /** Threads by name (a copy). */
  readonly threads: ReadonlyMap<string, ThreadState>;
  /** The thread running now (read-only: the engine switches threads). */
  readonly current: ThreadState;
  /** The collapsing thread (khugepaged or madvise), whose locks the trace shows (read-only). */
  readonly collapseThread: ThreadState | null;
  /** Per-attempt bookkeeping (a copy: the engine keeps the real one). */
  readonly attempt: AttemptState;
  /** Expected content per PMD per slot (what a correct collapse must produce); null = no data. */
  readonly expected: readonly (readonly (string | null)[])[];
  /** The layouts (kinds per PMD) the world was built from. */
  readonly layouts: string[][];
  /** Preemption points reached so far (`alloc`, `swapin:448`, …), for the explorer. */
  readonly reachedPoints: Set<string>;
  /** Engine hook: run the schedule at a preemption point (installed by run.ts). */
  preemptHook: (world: World, name: string, slot?: number) => void;
}

/** Kinds of bug the engine reports. */
export type BugKind =
  | 'leaked-lock'
  | 'double-unlock'
  | 'unlock-not-held'
  | 'pte-read-unmapped'
  | 'contract'
  | 'non-swap-to-do_swap_page'
  | 'pte-mapping-leaked'
  | 'recursive-lock'
  | 'deadlock';

/** A bug found by a check: what, in words, and where (call path, outermost first). */
export interface Bug {
  kind: BugKind;
  message: string;
  path: string[];
}

/** One `pte_offset_map*()` mapping of a PTE table (the C code's RCU section + kmap). */
export interface PteMapping {
  /** The table mapped. */
  readonly table: PteTable;
  /** Thread that mapped it. */
  readonly thread: ThreadState;
  /** Still mapped? (read-only: `pte_unmap` ends it) */
  readonly live: boolean;
  /** Function that mapped it (for messages). */
  readonly by: string;
}

/**
 * Lock state of one thread — a read-only view: the lock functions (`mmap_read_lock`, `spin_lock`,
 * `pte_offset_map_lock`, `pte_unmap_unlock`, …) are the only way to change it, and the
 * collections are copies (the engine keeps the real state private; hostile round 6).
 */
export interface ThreadState {
  /** `khugepaged`, `madvise`, or an actor name. */
  readonly name: string;
  /** Read holds of the mmap_lock (more than 1 only after a bug). */
  readonly mmapRead: number;
  /** Holds the mmap_lock for write. */
  readonly mmapWrite: boolean;
  /** Live PTE-table mappings. */
  readonly mappings: readonly PteMapping[];
  /** Spinlocks held. */
  readonly spinlocks: readonly spinlock_t[];
  /** Call path (function names), outermost first. */
  readonly stack: readonly string[];
  /** Locks this thread released and has not taken again (to tell double unlock from never held). */
  readonly released: ReadonlySet<string>;
  /** Folios added to the LRU by this thread but not yet drained (per-CPU lru_add batch). */
  readonly lruPending: readonly { lru: boolean; freed: boolean }[];
  /** The current mmap_lock hold was already reported as a contract breach (avoid repeats). */
  readonly mmapLeakReported: boolean;
  /** Stack depth at which `__collapse_huge_page_swapin` runs (its own frame on top), or -1. */
  readonly swapinDepth: number;
}

/** One trace record. `locks` lists what the collapsing thread holds after the event. */
export interface TraceEvent {
  /** Position in the world's trace, from 0. */
  seq: number;
  /** Thread that emitted it: `khugepaged`, `madvise`, or an actor name. */
  thread: string;
  /** Tracepoint or engine event name (see {@link TRACE_EVENT_NAMES}). */
  name: string;
  /** Event arguments, named like the tracepoint's fields where one exists. */
  args: Record<string, unknown>;
  /** Locks held by the collapsing thread after the event, e.g. `mmap_lock:read`, `pte_map`, `ptl`. */
  locks: string[];
}
