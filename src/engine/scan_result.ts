/**
 * scan_result.ts — `enum scan_result` of mm/khugepaged.c (kernel order, values 0..30), the
 * trace strings of include/trace/events/huge_memory.h, `vm_fault_t` bits, errno values and
 * the khugepaged vm events.
 *
 * The enum is exported as plain numeric constants (erasable TypeScript has no `enum`), with
 * `scan_result = number`.
 *
 * Baseline: akpm's mm-new of early October 2025, the tree the v3 patch applied to. There the
 * enum has **no `SCAN_PAGE_RO`**: Dev Jain's "mm: drop all references of writable and
 * SCAN_PAGE_RO" (lore 20250903054635.19949-2-dev.jain@arm.com, in mm-new by October 2025;
 * kernel-facts §2.3) removed it, so every value after SCAN_PTE_MAPPED_HUGEPAGE (10) is one lower
 * than in v6.17 (SCAN_LACK_REFERENCED_PAGE = 11 … SCAN_PAGE_FILLED = 30).
 *
 * @see https://elixir.bootlin.com/linux/v6.17/source/mm/khugepaged.c
 * @see https://elixir.bootlin.com/linux/v6.17/source/include/trace/events/huge_memory.h
 * @module
 */

/** A khugepaged scan/collapse result: one of the `SCAN_*` constants (0..30). */
export type scan_result = number;

/** `SCAN_FAIL` = 0 (trace string "failed"). */
export const SCAN_FAIL = 0;
/** `SCAN_SUCCEED` = 1 (trace string "succeeded"). */
export const SCAN_SUCCEED = 1;
/** `SCAN_PMD_NULL` = 2 (trace string "pmd_null"). */
export const SCAN_PMD_NULL = 2;
/** `SCAN_PMD_NONE` = 3 (trace string "pmd_none"). */
export const SCAN_PMD_NONE = 3;
/** `SCAN_PMD_MAPPED` = 4 (trace string "page_pmd_mapped"). */
export const SCAN_PMD_MAPPED = 4;
/** `SCAN_EXCEED_NONE_PTE` = 5 (trace string "exceed_none_pte"). */
export const SCAN_EXCEED_NONE_PTE = 5;
/** `SCAN_EXCEED_SWAP_PTE` = 6 (trace string "exceed_swap_pte"). */
export const SCAN_EXCEED_SWAP_PTE = 6;
/** `SCAN_EXCEED_SHARED_PTE` = 7 (trace string "exceed_shared_pte"). */
export const SCAN_EXCEED_SHARED_PTE = 7;
/** `SCAN_PTE_NON_PRESENT` = 8 (trace string "pte_non_present"). */
export const SCAN_PTE_NON_PRESENT = 8;
/** `SCAN_PTE_UFFD_WP` = 9 (trace string "pte_uffd_wp"). */
export const SCAN_PTE_UFFD_WP = 9;
/** `SCAN_PTE_MAPPED_HUGEPAGE` = 10 (trace string "pte_mapped_hugepage"). */
export const SCAN_PTE_MAPPED_HUGEPAGE = 10;
/** `SCAN_LACK_REFERENCED_PAGE` = 11 (trace string "lack_referenced_page"). */
export const SCAN_LACK_REFERENCED_PAGE = 11;
/** `SCAN_PAGE_NULL` = 12 (trace string "page_null"). */
export const SCAN_PAGE_NULL = 12;
/** `SCAN_SCAN_ABORT` = 13 (trace string "scan_aborted"). */
export const SCAN_SCAN_ABORT = 13;
/** `SCAN_PAGE_COUNT` = 14 (trace string "not_suitable_page_count"). */
export const SCAN_PAGE_COUNT = 14;
/** `SCAN_PAGE_LRU` = 15 (trace string "page_not_in_lru"). */
export const SCAN_PAGE_LRU = 15;
/** `SCAN_PAGE_LOCK` = 16 (trace string "page_locked"). */
export const SCAN_PAGE_LOCK = 16;
/** `SCAN_PAGE_ANON` = 17 (trace string "page_not_anon"). */
export const SCAN_PAGE_ANON = 17;
/** `SCAN_PAGE_COMPOUND` = 18 (trace string "page_compound"). */
export const SCAN_PAGE_COMPOUND = 18;
/** `SCAN_ANY_PROCESS` = 19 (trace string "no_process_for_page"). */
export const SCAN_ANY_PROCESS = 19;
/** `SCAN_VMA_NULL` = 20 (trace string "vma_null"). */
export const SCAN_VMA_NULL = 20;
/** `SCAN_VMA_CHECK` = 21 (trace string "vma_check_failed"). */
export const SCAN_VMA_CHECK = 21;
/** `SCAN_ADDRESS_RANGE` = 22 (trace string "not_suitable_address_range"). */
export const SCAN_ADDRESS_RANGE = 22;
/** `SCAN_DEL_PAGE_LRU` = 23 (trace string "could_not_delete_page_from_lru"). */
export const SCAN_DEL_PAGE_LRU = 23;
/** `SCAN_ALLOC_HUGE_PAGE_FAIL` = 24 (trace string "alloc_huge_page_failed"). */
export const SCAN_ALLOC_HUGE_PAGE_FAIL = 24;
/** `SCAN_CGROUP_CHARGE_FAIL` = 25 (trace string "ccgroup_charge_failed"). */
export const SCAN_CGROUP_CHARGE_FAIL = 25;
/** `SCAN_TRUNCATED` = 26 (trace string "truncated"). */
export const SCAN_TRUNCATED = 26;
/** `SCAN_PAGE_HAS_PRIVATE` = 27 (trace string "page_has_private"). */
export const SCAN_PAGE_HAS_PRIVATE = 27;
/** `SCAN_STORE_FAILED` = 28 (trace string "store_failed"). */
export const SCAN_STORE_FAILED = 28;
/** `SCAN_COPY_MC` = 29 (trace string "copy_poisoned_page"). */
export const SCAN_COPY_MC = 29;
/** `SCAN_PAGE_FILLED` = 30 (trace string "page_filled"). */
export const SCAN_PAGE_FILLED = 30;

const SCAN_NAMES: readonly string[] = Object.freeze([
  'SCAN_FAIL',
  'SCAN_SUCCEED',
  'SCAN_PMD_NULL',
  'SCAN_PMD_NONE',
  'SCAN_PMD_MAPPED',
  'SCAN_EXCEED_NONE_PTE',
  'SCAN_EXCEED_SWAP_PTE',
  'SCAN_EXCEED_SHARED_PTE',
  'SCAN_PTE_NON_PRESENT',
  'SCAN_PTE_UFFD_WP',
  'SCAN_PTE_MAPPED_HUGEPAGE',
  'SCAN_LACK_REFERENCED_PAGE',
  'SCAN_PAGE_NULL',
  'SCAN_SCAN_ABORT',
  'SCAN_PAGE_COUNT',
  'SCAN_PAGE_LRU',
  'SCAN_PAGE_LOCK',
  'SCAN_PAGE_ANON',
  'SCAN_PAGE_COMPOUND',
  'SCAN_ANY_PROCESS',
  'SCAN_VMA_NULL',
  'SCAN_VMA_CHECK',
  'SCAN_ADDRESS_RANGE',
  'SCAN_DEL_PAGE_LRU',
  'SCAN_ALLOC_HUGE_PAGE_FAIL',
  'SCAN_CGROUP_CHARGE_FAIL',
  'SCAN_TRUNCATED',
  'SCAN_PAGE_HAS_PRIVATE',
  'SCAN_STORE_FAILED',
  'SCAN_COPY_MC',
  'SCAN_PAGE_FILLED',
]);

/*
 * Trace strings (the SCAN_STATUS table of include/trace/events/huge_memory.h). Checked against a
 * copy of that header from late 2025, which — like the mm-new baseline — no longer lists
 * SCAN_PAGE_RO ("no_writable_page"). Note the kernel's own spelling "ccgroup_charge_failed".
 */
const SCAN_TRACE: readonly string[] = Object.freeze([
  'failed',
  'succeeded',
  'pmd_null',
  'pmd_none',
  'page_pmd_mapped',
  'exceed_none_pte',
  'exceed_swap_pte',
  'exceed_shared_pte',
  'pte_non_present',
  'pte_uffd_wp',
  'pte_mapped_hugepage',
  'lack_referenced_page',
  'page_null',
  'scan_aborted',
  'not_suitable_page_count',
  'page_not_in_lru',
  'page_locked',
  'page_not_anon',
  'page_compound',
  'no_process_for_page',
  'vma_null',
  'vma_check_failed',
  'not_suitable_address_range',
  'could_not_delete_page_from_lru',
  'alloc_huge_page_failed',
  'ccgroup_charge_failed',
  'truncated',
  'page_has_private',
  'store_failed',
  'copy_poisoned_page',
  'page_filled',
]);

/** Number of scan_result values (31: SCAN_FAIL … SCAN_PAGE_FILLED). */
export const SCAN_RESULT_COUNT = 31;

/**
 * `scan_result_name(r)`: the constant's name, e.g. `scan_result_name(8)` → `"SCAN_PTE_NON_PRESENT"`.
 * Unknown values give `"scan_result(<n>)"`. No kernel twin.
 */
export function scan_result_name(r: scan_result): string {
  return SCAN_NAMES[r] ?? `scan_result(${r})`;
}

/**
 * `scan_result_trace(r)`: the string the tracepoints print for `r` (the kernel's SCAN_STATUS
 * table in include/trace/events/huge_memory.h), e.g. 8 → `"pte_non_present"`.
 * @see https://elixir.bootlin.com/linux/v6.17/source/include/trace/events/huge_memory.h
 */
export function scan_result_trace(r: scan_result): string {
  return SCAN_TRACE[r] ?? `scan_result(${r})`;
}

/** Parse a scan_result name (`"SCAN_PTE_NON_PRESENT"`) or trace string (`"pte_non_present"`); -1 if unknown. */
export function scanResultFromName(name: string): scan_result {
  const i = SCAN_NAMES.indexOf(name);
  return i >= 0 ? i : SCAN_TRACE.indexOf(name);
}

/** All scan_result names in numeric order. */
export const SCAN_RESULT_NAMES: readonly string[] = SCAN_NAMES;

// ---------------------------------------------------------------------------------------------
// vm_fault_t (include/linux/mm_types.h, enum vm_fault_reason)
// ---------------------------------------------------------------------------------------------

/** A page-fault result: OR of `VM_FAULT_*` bits (0 = handled). @see https://elixir.bootlin.com/linux/v6.17/A/ident/vm_fault_reason */
export type vm_fault_t = number;
/** `VM_FAULT_OOM` 0x1: out of memory. */
export const VM_FAULT_OOM = 0x1;
/** `VM_FAULT_SIGBUS` 0x2: bad access, SIGBUS. */
export const VM_FAULT_SIGBUS = 0x2;
/** `VM_FAULT_MAJOR` 0x4: the fault did I/O (e.g. a swap-in). */
export const VM_FAULT_MAJOR = 0x4;
/** `VM_FAULT_HWPOISON` 0x10: hit a hardware-poisoned page. */
export const VM_FAULT_HWPOISON = 0x10;
/** `VM_FAULT_HWPOISON_LARGE` 0x20: hit a poisoned large page. */
export const VM_FAULT_HWPOISON_LARGE = 0x20;
/** `VM_FAULT_SIGSEGV` 0x40: segmentation fault (e.g. a guard marker). */
export const VM_FAULT_SIGSEGV = 0x40;
/** `VM_FAULT_NOPAGE` 0x100: the handler installed the PTE itself; no page returned. */
export const VM_FAULT_NOPAGE = 0x100;
/** `VM_FAULT_LOCKED` 0x200: returned page is locked. */
export const VM_FAULT_LOCKED = 0x200;
/** `VM_FAULT_RETRY` 0x400: the handler dropped the mmap lock (or would block); retry the fault. */
export const VM_FAULT_RETRY = 0x400;
/** `VM_FAULT_FALLBACK` 0x800: huge-page fault fell back to small pages. */
export const VM_FAULT_FALLBACK = 0x800;
/** `VM_FAULT_DONE_COW` 0x1000: COW already done. */
export const VM_FAULT_DONE_COW = 0x1000;
/** `VM_FAULT_NEEDDSYNC` 0x2000: DAX sync needed. */
export const VM_FAULT_NEEDDSYNC = 0x2000;
/** `VM_FAULT_COMPLETED` 0x4000: handled and the mmap lock already released. */
export const VM_FAULT_COMPLETED = 0x4000;
/** `VM_FAULT_ERROR` = OOM | SIGBUS | SIGSEGV | HWPOISON | HWPOISON_LARGE | FALLBACK (0x873). */
export const VM_FAULT_ERROR =
  VM_FAULT_OOM | VM_FAULT_SIGBUS | VM_FAULT_SIGSEGV | VM_FAULT_HWPOISON | VM_FAULT_HWPOISON_LARGE | VM_FAULT_FALLBACK;

const VM_FAULT_NAMES: readonly (readonly [number, string])[] = Object.freeze([
  [VM_FAULT_OOM, 'OOM'], [VM_FAULT_SIGBUS, 'SIGBUS'], [VM_FAULT_MAJOR, 'MAJOR'],
  [VM_FAULT_HWPOISON, 'HWPOISON'], [VM_FAULT_HWPOISON_LARGE, 'HWPOISON_LARGE'],
  [VM_FAULT_SIGSEGV, 'SIGSEGV'], [VM_FAULT_NOPAGE, 'NOPAGE'], [VM_FAULT_LOCKED, 'LOCKED'],
  [VM_FAULT_RETRY, 'RETRY'], [VM_FAULT_FALLBACK, 'FALLBACK'], [VM_FAULT_DONE_COW, 'DONE_COW'],
  [VM_FAULT_NEEDDSYNC, 'NEEDDSYNC'], [VM_FAULT_COMPLETED, 'COMPLETED'],
] as const);

/** Names of the bits set in a vm_fault_t, e.g. `0x402` → `"VM_FAULT_SIGBUS|VM_FAULT_RETRY"`; 0 → `"0"`. */
export function vmFaultName(ret: vm_fault_t): string {
  if (ret === 0) return '0';
  const parts = VM_FAULT_NAMES.filter(([bit]) => (ret & bit) !== 0).map(([, n]) => 'VM_FAULT_' + n);
  return parts.length ? parts.join('|') : '0x' + ret.toString(16);
}

// ---------------------------------------------------------------------------------------------
// errno (include/uapi/asm-generic/errno-base.h)
// ---------------------------------------------------------------------------------------------

/** `EAGAIN` 11: try again (MADV_COLLAPSE: transient failure). */
export const EAGAIN = 11;
/** `ENOMEM` 12: out of memory (MADV_COLLAPSE: huge page allocation failed). */
export const ENOMEM = 12;
/** `EBUSY` 16: resource busy. */
export const EBUSY = 16;
/** `EINVAL` 22: invalid argument (MADV_COLLAPSE: the range cannot be collapsed as is). */
export const EINVAL = 22;

// The vm events THP_SCAN_EXCEED_{NONE,SWAP,SHARED}_PTE and `vm_event_item` are exported by
// trace.ts (next to count_vm_event), so they are not repeated here.
