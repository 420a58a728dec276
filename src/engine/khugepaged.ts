/**
 * khugepaged.ts — the collapse path of mm/khugepaged.c, written afresh in kernel order with
 * kernel names, in three kernels:
 *
 * - `before`: mm-new of early October 2025, just before the course patch (kernel-facts §2.3–2.5).
 * - `after`: the v3 patch's semantics with the swap-in exit done right (unmap the PTE, drop the
 *   mmap lock, return SCAN_PTE_NON_PRESENT).
 * - `v3-as-posted`: the scan of `after`, and the swap-in hunk exactly as posted on 8 Oct 2025
 *   (`goto out` with the PTE still mapped and the mmap lock still held) — the contract checks
 *   report the leak.
 *
 * `goto` becomes a labelled block: `out: { … break out; … }` reads like `goto out;`.
 *
 * The two functions a variant (or a learner) supplies — `hpage_collapse_scan_pmd` and
 * `__collapse_huge_page_swapin` — are called through `mm.world.ops`, wrapped in the contract
 * checks of locks.ts. The exported functions with those names dispatch the same way, so learner
 * code calls the kernel the way the kernel does.
 *
 * @see https://elixir.bootlin.com/linux/v6.17/source/mm/khugepaged.c
 * @module
 */
import type { World, mm_struct, vm_area_struct, collapse_control, pmd_t, folio, Ref, KernelOps, KernelName, spinlock_t } from './types.ts';
import {
  pte_none,
  pte_present,
  pte_pfn,
  pte_uffd_wp,
  pte_young,
  is_zero_pfn,
} from './pte.ts';
import { is_swap_pte, pte_to_swp_entry, non_swap_entry, pte_swp_uffd_wp, pte_swp_uffd_wp_any } from './swapops.ts';
import {
  SCAN_FAIL,
  SCAN_SUCCEED,
  SCAN_PMD_NULL,
  SCAN_PMD_MAPPED,
  SCAN_EXCEED_NONE_PTE,
  SCAN_EXCEED_SWAP_PTE,
  SCAN_EXCEED_SHARED_PTE,
  SCAN_PTE_NON_PRESENT,
  SCAN_PTE_UFFD_WP,
  SCAN_LACK_REFERENCED_PAGE,
  SCAN_PAGE_NULL,
  SCAN_SCAN_ABORT,
  SCAN_PAGE_COUNT,
  SCAN_PAGE_LRU,
  SCAN_PAGE_LOCK,
  SCAN_PAGE_ANON,
  SCAN_PAGE_COMPOUND,
  SCAN_VMA_NULL,
  SCAN_ADDRESS_RANGE,
  SCAN_DEL_PAGE_LRU,
  SCAN_ALLOC_HUGE_PAGE_FAIL,
  SCAN_CGROUP_CHARGE_FAIL,
  SCAN_COPY_MC,
  SCAN_PAGE_FILLED,
  VM_FAULT_RETRY,
  VM_FAULT_ERROR,
  EINVAL,
  EBUSY,
  EAGAIN,
  ENOMEM,
  scan_result_name,
  scan_result_trace,
  SCAN_RESULT_COUNT,
} from './scan_result.ts';
import {
  HPAGE_PMD_NR,
  HPAGE_PMD_SIZE,
  PAGE_SIZE,
  ZERO_CONTENT,
  PTE_NONE,
  allocFolio,
  find_pmd_or_thp_or_none,
  folio_maybe_mapped_shared,
  folio_nid,
  folio_test_anon,
  folio_test_large,
  folio_test_locked,
  folio_test_lru,
  folio_test_referenced,
  folio_test_young,
  folio_trylock,
  folio_unlock,
  freeFolio,
  hpage_collapse_scan_abort,
  is_refcount_suitable,
  is_zone_device_page,
  khugepaged_max_ptes_none,
  khugepaged_max_ptes_shared,
  khugepaged_max_ptes_swap,
  linear_page_index,
  mmu_notifier_test_young,
  page_folio,
  userfaultfd_armed,
  vm_normal_page,
  pmdTable,
} from './mm.ts';
import {
  type pte_ptr,
  KernelHang,
  checkScanEntry,
  checkScanExit,
  checkSwapinEntry,
  checkSwapinExit,
  mmap_read_lock,
  mmap_read_unlock,
  mmap_write_lock,
  mmap_write_unlock,
  pte_offset_map_lock,
  pte_offset_map_ro_nolock,
  pte_unmap,
  pte_unmap_unlock,
  ptep_get,
  ptep_get_lockless,
  reportBug,
  spin_lock,
  spin_unlock,
} from './locks.ts';
import { FAULT_FLAG_ALLOW_RETRY, do_swap_page, lru_add_drain, type vm_fault } from './memory.ts';
import { preempt_point } from './actors.ts';
import { bumpCounter, opsOf } from './evidence.ts';
import { attemptOf, coreOfKnown, currentOf, withFrame } from './lockstate.ts';
import { count_vm_event, traceEvent, THP_SCAN_EXCEED_NONE_PTE, THP_SCAN_EXCEED_SWAP_PTE, THP_SCAN_EXCEED_SHARED_PTE, THP_COLLAPSE_ALLOC, THP_COLLAPSE_ALLOC_FAILED } from './trace.ts';

// ---------------------------------------------------------------------------------------------
// Tracepoints (include/trace/events/huge_memory.h)
// ---------------------------------------------------------------------------------------------

/**
 * `trace_mm_khugepaged_scan_pmd(mm, folio, referenced, none_or_zero, result, unmapped)` —
 * one event per scanned PMD (mm-new Oct 2025 dropped the `writable` field with the
 * SCAN_PAGE_RO rule). `folio` is the last folio looked at, or null.
 */
export function trace_mm_khugepaged_scan_pmd(
  mm: mm_struct,
  folio: folio | null,
  referenced: number,
  none_or_zero: number,
  result: number,
  unmapped: number,
): void {
  traceEvent(mm.world, 'mm_khugepaged_scan_pmd', {
    pfn: folio ? folio.pfn : -1,
    referenced,
    none_or_zero,
    status: scan_result_trace(result),
    result: scan_result_name(result),
    unmapped,
  });
}

/** `trace_mm_collapse_huge_page_swapin(mm, swapped_in, referenced, result)`. */
export function trace_mm_collapse_huge_page_swapin(mm: mm_struct, swapped_in: number, referenced: number, result: number): void {
  traceEvent(mm.world, 'mm_collapse_huge_page_swapin', { swapped_in, referenced, ret: scan_result_name(result) });
}

/** `trace_mm_collapse_huge_page(mm, isolated, status)`. */
export function trace_mm_collapse_huge_page(mm: mm_struct, isolated: boolean, result: number): void {
  traceEvent(mm.world, 'mm_collapse_huge_page', { isolated, status: scan_result_trace(result), result: scan_result_name(result) });
}

/**
 * `trace_mm_collapse_huge_page_isolate(folio, none_or_zero, referenced, status)` — mm-new Oct
 * 2025 dropped the `writable` field here too, with the SCAN_PAGE_RO rule (kernel-facts §2.3).
 * The engine's twin takes `mm` first to find its world.
 */
export function trace_mm_collapse_huge_page_isolate(
  mm: mm_struct,
  folio: folio | null,
  none_or_zero: number,
  referenced: number,
  result: number,
): void {
  traceEvent(mm.world, 'mm_collapse_huge_page_isolate', {
    pfn: folio ? folio.pfn : -1,
    none_or_zero,
    referenced,
    status: scan_result_trace(result),
    result: scan_result_name(result),
  });
}

// ---------------------------------------------------------------------------------------------
// Dispatch through the world's ops, wrapped in contract checks
// ---------------------------------------------------------------------------------------------

function checkedResult(world: World, fn: string, r: unknown): number {
  if (typeof r !== 'number' || !Number.isInteger(r) || r < 0 || r >= SCAN_RESULT_COUNT) {
    reportBug(world, 'contract', `${fn} returned ${String(r)}, which is not a scan_result (a number 0..30 such as SCAN_SUCCEED)`);
    return SCAN_FAIL;
  }
  return r;
}

/**
 * `hpage_collapse_scan_pmd(mm, vma, start_addr, &mmap_locked, cc)` — scan the PMD at
 * `start_addr`; if it is worth collapsing, call {@link collapse_huge_page} (which returns with
 * the mmap lock released) and set `mmap_locked.value = false`. Called with the mmap lock held
 * for read. Dispatches to the world's kernel (or learner) implementation through the contract
 * checks.
 */
export function hpage_collapse_scan_pmd(
  mm: mm_struct,
  vma: vm_area_struct,
  start_addr: number,
  mmap_locked: Ref<boolean>,
  cc: collapse_control,
): number {
  const world = mm.world;
  let impl = opsOf(world).hpage_collapse_scan_pmd;
  if (impl === hpage_collapse_scan_pmd) impl = KERNELS[world.kernel].hpage_collapse_scan_pmd;
  return withFrame(world, 'hpage_collapse_scan_pmd', () => {
    const snap = checkScanEntry(world);
    const a = attemptOf(world);
    const calls0 = a.collapseCalls;
    const collapsed0 = a.collapsed;
    const allocated0 = a.allocated;
    const swapins0 = a.realSwapins;
    const r = checkedResult(world, 'hpage_collapse_scan_pmd', impl(mm, vma, start_addr, mmap_locked, cc));
    const called = a.collapseCalls > calls0;
    if (!called) a.lastScanPhase = r;
    a.pmdScans.push({
      pmd: Math.floor((start_addr - vma.vm_start) / HPAGE_PMD_SIZE),
      result: r,
      scan_result: called ? SCAN_SUCCEED : r,
      collapsed: a.collapsed > collapsed0,
      allocated: a.allocated > allocated0,
      swapped_in: a.realSwapins - swapins0,
    });
    checkScanExit(world, snap, r, mmap_locked.value, called);
    return r;
  });
}

/**
 * `__collapse_huge_page_swapin(mm, vma, haddr, pmd, referenced)` — bring the PMD's swapped-out
 * pages back in before collapsing. Contract (kernel comment above the function): called and
 * returns with no PTE mapped and no spinlock held; if the result is not SCAN_SUCCEED the mmap
 * lock has been released. Dispatches to the world's kernel (or learner) implementation through
 * the contract checks.
 */
export function __collapse_huge_page_swapin(mm: mm_struct, vma: vm_area_struct, haddr: number, pmd: pmd_t, referenced: number): number {
  const world = mm.world;
  let impl = opsOf(world).__collapse_huge_page_swapin;
  if (impl === __collapse_huge_page_swapin) impl = KERNELS[world.kernel].__collapse_huge_page_swapin;
  return withFrame(world, '__collapse_huge_page_swapin', () => {
    const t = coreOfKnown(currentOf(world));
    const prevDepth = t.swapinDepth;
    const snap = checkSwapinEntry(world);
    t.swapinDepth = t.stack.length;
    let r: number;
    try {
      r = checkedResult(world, '__collapse_huge_page_swapin', impl(mm, vma, haddr, pmd, referenced));
    } finally {
      t.swapinDepth = prevDepth;
    }
    checkSwapinExit(world, snap, r);
    return r;
  });
}

// ---------------------------------------------------------------------------------------------
// hpage_collapse_scan_pmd — before the patch
// ---------------------------------------------------------------------------------------------

/**
 * The scan as it was before the patch (kernel-facts §2.3): the `is_swap_pte()` branch comes
 * first and counts EVERY non-present entry — swap or not — against `max_ptes_swap`
 * (`unmapped` is incremented before the comparison), rejecting any uffd-wp swap bit or uffd-wp
 * marker (`pte_swp_uffd_wp_any`); then none/zero (with the uffd rule); then the present-page
 * checks in order. Non-swap entries pass and reach `__collapse_huge_page_swapin()`.
 */
export function hpage_collapse_scan_pmd_before(
  mm: mm_struct,
  vma: vm_area_struct,
  start_addr: number,
  mmap_locked: Ref<boolean>,
  cc: collapse_control,
): number {
  const pmd: Ref<pmd_t | null> = { value: null };
  const ptl: Ref<spinlock_t | null> = { value: null };
  let pte: pte_ptr | null = null;
  let _pte: pte_ptr;
  let result = SCAN_FAIL;
  let referenced = 0;
  let none_or_zero = 0;
  let shared = 0;
  let unmapped = 0;
  let folio: folio | null = null;
  let addr: number;

  out: {
    result = find_pmd_or_thp_or_none(mm, start_addr, pmd);
    if (result !== SCAN_SUCCEED) break out;

    cc.node_load.fill(0);
    cc.alloc_nmask.length = 0;
    pte = pte_offset_map_lock(mm, pmd.value, start_addr, ptl);
    if (!pte) {
      result = SCAN_PMD_NULL;
      break out;
    }

    out_unmap: {
      for (addr = start_addr, _pte = pte; _pte.index < HPAGE_PMD_NR; _pte = _pte.next(), addr += PAGE_SIZE) {
        const pteval = ptep_get(_pte);
        if (is_swap_pte(pteval)) {
          ++unmapped;
          if (!cc.is_khugepaged || unmapped <= khugepaged_max_ptes_swap(mm)) {
            // Always be strict with uffd-wp enabled swap entries (bit or marker).
            if (pte_swp_uffd_wp_any(pteval)) {
              result = SCAN_PTE_UFFD_WP;
              break out_unmap;
            }
            continue;
          } else {
            result = SCAN_EXCEED_SWAP_PTE;
            count_vm_event(mm, THP_SCAN_EXCEED_SWAP_PTE);
            break out_unmap;
          }
        }
        if (pte_none(pteval) || is_zero_pfn(pte_pfn(pteval))) {
          ++none_or_zero;
          if (!userfaultfd_armed(vma) && (!cc.is_khugepaged || none_or_zero <= khugepaged_max_ptes_none(mm))) {
            continue;
          } else {
            result = SCAN_EXCEED_NONE_PTE;
            count_vm_event(mm, THP_SCAN_EXCEED_NONE_PTE);
            break out_unmap;
          }
        }
        if (pte_uffd_wp(pteval)) {
          // Don't collapse a uffd-wp protected page: the per-PTE protection would be lost.
          result = SCAN_PTE_UFFD_WP;
          break out_unmap;
        }
        const page = vm_normal_page(vma, addr, pteval);
        if (!page || is_zone_device_page(page)) {
          result = SCAN_PAGE_NULL;
          break out_unmap;
        }
        folio = page_folio(page);
        if (!folio_test_anon(folio)) {
          result = SCAN_PAGE_ANON;
          break out_unmap;
        }
        // We treat a single page as shared if any part of the folio is shared with another process.
        if (folio_maybe_mapped_shared(folio)) {
          ++shared;
          if (cc.is_khugepaged && shared > khugepaged_max_ptes_shared(mm)) {
            result = SCAN_EXCEED_SHARED_PTE;
            count_vm_event(mm, THP_SCAN_EXCEED_SHARED_PTE);
            break out_unmap;
          }
        }
        // Record which node the original page is from, to allocate the huge page near it.
        const node = folio_nid(folio);
        if (hpage_collapse_scan_abort(node, cc)) {
          result = SCAN_SCAN_ABORT;
          break out_unmap;
        }
        cc.node_load[node]++;
        if (!folio_test_lru(folio)) {
          result = SCAN_PAGE_LRU;
          break out_unmap;
        }
        if (folio_test_locked(folio)) {
          result = SCAN_PAGE_LOCK;
          break out_unmap;
        }
        // Extra pins (GUP, LRU batches, swap cache) make the refcount unsuitable.
        if (!is_refcount_suitable(folio)) {
          result = SCAN_PAGE_COUNT;
          break out_unmap;
        }
        // Page idle tracking, the PTE's accessed bit, PG_referenced or a secondary MMU.
        if (cc.is_khugepaged && (pte_young(pteval) || folio_test_young(folio) || folio_test_referenced(folio) || mmu_notifier_test_young(vma.vm_mm, addr))) {
          referenced++;
        }
      }
      if (cc.is_khugepaged && (!referenced || (unmapped && referenced < HPAGE_PMD_NR / 2))) {
        // khugepaged only: nothing referenced, or swap-ins not justified by enough young pages.
        result = SCAN_LACK_REFERENCED_PAGE;
      } else {
        result = SCAN_SUCCEED;
      }
    }
    pte_unmap_unlock(pte, ptl);
    if (result === SCAN_SUCCEED) {
      result = collapse_huge_page(mm, start_addr, referenced, unmapped, cc);
      // collapse_huge_page returns with the mmap_lock released
      mmap_locked.value = false;
    }
  }
  trace_mm_khugepaged_scan_pmd(mm, folio, referenced, none_or_zero, result, unmapped);
  return result;
}

// ---------------------------------------------------------------------------------------------
// hpage_collapse_scan_pmd — after the patch (v3)
// ---------------------------------------------------------------------------------------------

/**
 * The scan with the v3 patch (kernel-facts §1.2(a)): none/zero first (with the uffd rule);
 * then any other non-present PTE: a non-swap entry (`non_swap_entry(pte_to_swp_entry())`)
 * aborts at once with SCAN_PTE_NON_PRESENT — not counted against `max_ptes_swap`; a real swap
 * entry counts (`unmapped++` before the comparison) and only its swap-PTE uffd-wp bit matters
 * (`pte_swp_uffd_wp`, no longer `_any`); then the present-page checks in order.
 */
export function hpage_collapse_scan_pmd_after(
  mm: mm_struct,
  vma: vm_area_struct,
  start_addr: number,
  mmap_locked: Ref<boolean>,
  cc: collapse_control,
): number {
  const pmd: Ref<pmd_t | null> = { value: null };
  const ptl: Ref<spinlock_t | null> = { value: null };
  let pte: pte_ptr | null = null;
  let _pte: pte_ptr;
  let result = SCAN_FAIL;
  let referenced = 0;
  let none_or_zero = 0;
  let shared = 0;
  let unmapped = 0;
  let folio: folio | null = null;
  let addr: number;

  out: {
    result = find_pmd_or_thp_or_none(mm, start_addr, pmd);
    if (result !== SCAN_SUCCEED) break out;

    cc.node_load.fill(0);
    cc.alloc_nmask.length = 0;
    pte = pte_offset_map_lock(mm, pmd.value, start_addr, ptl);
    if (!pte) {
      result = SCAN_PMD_NULL;
      break out;
    }

    out_unmap: {
      for (addr = start_addr, _pte = pte; _pte.index < HPAGE_PMD_NR; _pte = _pte.next(), addr += PAGE_SIZE) {
        const pteval = ptep_get(_pte);
        if (pte_none(pteval) || is_zero_pfn(pte_pfn(pteval))) {
          ++none_or_zero;
          if (!userfaultfd_armed(vma) && (!cc.is_khugepaged || none_or_zero <= khugepaged_max_ptes_none(mm))) {
            continue;
          } else {
            result = SCAN_EXCEED_NONE_PTE;
            count_vm_event(mm, THP_SCAN_EXCEED_NONE_PTE);
            break out_unmap;
          }
        } else if (!pte_present(pteval)) {
          if (non_swap_entry(pte_to_swp_entry(pteval))) {
            result = SCAN_PTE_NON_PRESENT;
            break out_unmap;
          }
          ++unmapped;
          if (!cc.is_khugepaged || unmapped <= khugepaged_max_ptes_swap(mm)) {
            if (pte_swp_uffd_wp(pteval)) {
              result = SCAN_PTE_UFFD_WP;
              break out_unmap;
            }
            continue;
          } else {
            result = SCAN_EXCEED_SWAP_PTE;
            count_vm_event(mm, THP_SCAN_EXCEED_SWAP_PTE);
            break out_unmap;
          }
        }
        if (pte_uffd_wp(pteval)) {
          // Don't collapse a uffd-wp protected page: the per-PTE protection would be lost.
          result = SCAN_PTE_UFFD_WP;
          break out_unmap;
        }
        const page = vm_normal_page(vma, addr, pteval);
        if (!page || is_zone_device_page(page)) {
          result = SCAN_PAGE_NULL;
          break out_unmap;
        }
        folio = page_folio(page);
        if (!folio_test_anon(folio)) {
          result = SCAN_PAGE_ANON;
          break out_unmap;
        }
        // We treat a single page as shared if any part of the folio is shared with another process.
        if (folio_maybe_mapped_shared(folio)) {
          ++shared;
          if (cc.is_khugepaged && shared > khugepaged_max_ptes_shared(mm)) {
            result = SCAN_EXCEED_SHARED_PTE;
            count_vm_event(mm, THP_SCAN_EXCEED_SHARED_PTE);
            break out_unmap;
          }
        }
        // Record which node the original page is from, to allocate the huge page near it.
        const node = folio_nid(folio);
        if (hpage_collapse_scan_abort(node, cc)) {
          result = SCAN_SCAN_ABORT;
          break out_unmap;
        }
        cc.node_load[node]++;
        if (!folio_test_lru(folio)) {
          result = SCAN_PAGE_LRU;
          break out_unmap;
        }
        if (folio_test_locked(folio)) {
          result = SCAN_PAGE_LOCK;
          break out_unmap;
        }
        // Extra pins (GUP, LRU batches, swap cache) make the refcount unsuitable.
        if (!is_refcount_suitable(folio)) {
          result = SCAN_PAGE_COUNT;
          break out_unmap;
        }
        // Page idle tracking, the PTE's accessed bit, PG_referenced or a secondary MMU.
        if (cc.is_khugepaged && (pte_young(pteval) || folio_test_young(folio) || folio_test_referenced(folio) || mmu_notifier_test_young(vma.vm_mm, addr))) {
          referenced++;
        }
      }
      if (cc.is_khugepaged && (!referenced || (unmapped && referenced < HPAGE_PMD_NR / 2))) {
        // khugepaged only: nothing referenced, or swap-ins not justified by enough young pages.
        result = SCAN_LACK_REFERENCED_PAGE;
      } else {
        result = SCAN_SUCCEED;
      }
    }
    pte_unmap_unlock(pte, ptl);
    if (result === SCAN_SUCCEED) {
      result = collapse_huge_page(mm, start_addr, referenced, unmapped, cc);
      mmap_locked.value = false;
    }
  }
  trace_mm_khugepaged_scan_pmd(mm, folio, referenced, none_or_zero, result, unmapped);
  return result;
}

// ---------------------------------------------------------------------------------------------
// __collapse_huge_page_swapin — three versions
// ---------------------------------------------------------------------------------------------

type SwapinVariant = 'before' | 'after' | 'v3-as-posted';

function swapinImpl(variant: SwapinVariant, mm: mm_struct, vma: vm_area_struct, haddr: number, pmd: pmd_t, referenced: number): number {
  let swapped_in = 0;
  let ret = 0;
  let pte: pte_ptr | null = null;
  const ptl: Ref<spinlock_t | null> = { value: null };
  let result: number;
  let address: number;
  const end = haddr + HPAGE_PMD_NR * PAGE_SIZE;

  out: {
    for (address = haddr; address < end; address += PAGE_SIZE) {
      const vmf: vm_fault = {
        vma,
        address,
        pgoff: linear_page_index(vma, address),
        flags: FAULT_FLAG_ALLOW_RETRY,
        pmd,
        orig_pte: PTE_NONE,
        pte: null,
        ptl: null,
      };
      if (!pte) {
        // Here the ptl is only used to check pte_same() in do_swap_page(): no lock taken.
        pte = pte_offset_map_ro_nolock(mm, pmd, address, ptl);
        if (!pte) {
          mmap_read_unlock(mm);
          result = SCAN_PMD_NULL;
          break out;
        }
      } else {
        pte = pte.next();
      }

      vmf.orig_pte = ptep_get_lockless(pte);
      if (!is_swap_pte(vmf.orig_pte)) continue;

      if (variant !== 'before' && non_swap_entry(pte_to_swp_entry(vmf.orig_pte))) {
        if (variant === 'after') {
          // Honour the contract: no PTE mapped, mmap_lock released on failure.
          pte_unmap(pte);
          mmap_read_unlock(mm);
        }
        // v3 as posted: straight to out, PTE still mapped, mmap_lock still held.
        result = SCAN_PTE_NON_PRESENT;
        break out;
      }

      vmf.pte = pte;
      vmf.ptl = ptl.value;
      ret = do_swap_page(vmf);
      // do_swap_page() unmapped the PTE (after perhaps re-checking the entry).
      pte = null;

      // VM_FAULT_RETRY comes back with the mmap_lock released; not retried here.
      if (ret & VM_FAULT_RETRY) {
        result = SCAN_PAGE_LOCK;
        break out;
      }
      if (ret & VM_FAULT_ERROR) {
        mmap_read_unlock(mm);
        result = SCAN_FAIL;
        break out;
      }
      swapped_in++;
      attemptOf(mm.world).swappedIn++;
    }

    if (pte) pte_unmap(pte);

    // Drain the LRU batch to remove the extra pin on the swapped-in folios.
    if (swapped_in) lru_add_drain(mm);

    result = SCAN_SUCCEED;
  }
  trace_mm_collapse_huge_page_swapin(mm, swapped_in, referenced, result);
  return result;
}

/**
 * `__collapse_huge_page_swapin` before the patch (kernel-facts §2.5): walk all 512 live PTEs
 * with `ptep_get_lockless`, skip what is not `is_swap_pte()`, and hand everything else —
 * including every non-swap entry — to `do_swap_page()`. VM_FAULT_RETRY → SCAN_PAGE_LOCK (lock
 * already dropped); VM_FAULT_ERROR → unlock, SCAN_FAIL.
 */
export function __collapse_huge_page_swapin_before(mm: mm_struct, vma: vm_area_struct, haddr: number, pmd: pmd_t, referenced: number): number {
  return swapinImpl('before', mm, vma, haddr, pmd, referenced);
}

/**
 * `__collapse_huge_page_swapin` with the v3 guard done right: a non-swap entry (re-read now,
 * after the mmap lock was dropped and re-taken) → `pte_unmap(pte)`, `mmap_read_unlock(mm)`,
 * SCAN_PTE_NON_PRESENT.
 */
export function __collapse_huge_page_swapin_after(mm: mm_struct, vma: vm_area_struct, haddr: number, pmd: pmd_t, referenced: number): number {
  return swapinImpl('after', mm, vma, haddr, pmd, referenced);
}

/**
 * `__collapse_huge_page_swapin` with the v3 hunk exactly as posted (8 Oct 2025): a non-swap
 * entry → `result = SCAN_PTE_NON_PRESENT; goto out;` — leaving the PTE table mapped and the
 * mmap lock held, against the function's contract. The engine reports both leaks.
 */
export function __collapse_huge_page_swapin_v3_as_posted(mm: mm_struct, vma: vm_area_struct, haddr: number, pmd: pmd_t, referenced: number): number {
  return swapinImpl('v3-as-posted', mm, vma, haddr, pmd, referenced);
}

/** The kernel functions of each side of the patch. */
export const KERNELS: Readonly<Record<KernelName, Readonly<KernelOps>>> = Object.freeze({
  before: Object.freeze({
    hpage_collapse_scan_pmd: hpage_collapse_scan_pmd_before,
    __collapse_huge_page_swapin: __collapse_huge_page_swapin_before,
  }),
  after: Object.freeze({
    hpage_collapse_scan_pmd: hpage_collapse_scan_pmd_after,
    __collapse_huge_page_swapin: __collapse_huge_page_swapin_after,
  }),
  'v3-as-posted': Object.freeze({
    hpage_collapse_scan_pmd: hpage_collapse_scan_pmd_after,
    __collapse_huge_page_swapin: __collapse_huge_page_swapin_v3_as_posted,
  }),
});

// ---------------------------------------------------------------------------------------------
// collapse_huge_page and helpers
// ---------------------------------------------------------------------------------------------

/**
 * `alloc_charge_folio(&folio, mm, cc)` — allocate (and memcg-charge) the huge folio.
 * Fails with SCAN_ALLOC_HUGE_PAGE_FAIL when the world was built with `fail_alloc`.
 */
export function alloc_charge_folio(foliop: Ref<folio | null>, mm: mm_struct, _cc: collapse_control): number {
  const world = mm.world;
  if (world.options.fail_alloc) {
    foliop.value = null;
    count_vm_event(mm, THP_COLLAPSE_ALLOC_FAILED);
    traceEvent(world, 'alloc_folio', { order: 9, ok: false });
    return SCAN_ALLOC_HUGE_PAGE_FAIL;
  }
  const f = allocFolio(world, HPAGE_PMD_NR, null);
  f.locked = true;
  foliop.value = f;
  count_vm_event(mm, THP_COLLAPSE_ALLOC);
  attemptOf(world).allocated++;
  traceEvent(world, 'alloc_folio', { order: 9, ok: true, pfn: f.pfn });
  return SCAN_SUCCEED;
}

/**
 * `hugepage_vma_revalidate(mm, address, expect_anon, &vma, cc)` — after re-taking the mmap
 * lock, find the VMA again and check it still suits a PMD-sized THP at `address`.
 */
export function hugepage_vma_revalidate(
  mm: mm_struct,
  address: number,
  expect_anon: boolean,
  vmap: Ref<vm_area_struct | null>,
  _cc: collapse_control,
): number {
  const vma = mm.world.vma;
  if (address < vma.vm_start || address >= vma.vm_end) {
    vmap.value = null;
    return SCAN_VMA_NULL;
  }
  vmap.value = vma;
  if (address % HPAGE_PMD_SIZE !== 0 || address + HPAGE_PMD_SIZE > vma.vm_end) return SCAN_ADDRESS_RANGE;
  if (expect_anon && !vma.anon) return SCAN_PAGE_ANON;
  return SCAN_SUCCEED;
}

/** `check_pmd_still_valid(mm, address, pmd)` — the PMD we scanned is still the one there. */
export function check_pmd_still_valid(mm: mm_struct, address: number, pmd: pmd_t): number {
  const npmd: Ref<pmd_t | null> = { value: null };
  const result = find_pmd_or_thp_or_none(mm, address, npmd);
  if (result !== SCAN_SUCCEED) return result;
  if (npmd.value !== pmd) return SCAN_FAIL;
  return SCAN_SUCCEED;
}

/**
 * `__collapse_huge_page_isolate(vma, address, pte, cc, compound_pagelist)` — under the mmap
 * write lock with the PMD cleared, re-check every PTE: none/zero against `max_ptes_none` (uffd
 * rule); ANY non-present PTE → SCAN_PTE_NON_PRESENT (the last line of defence); uffd-wp →
 * SCAN_PTE_UFFD_WP; then page, shared limit, folio lock, refcount, LRU isolation. On failure the
 * folios isolated so far are put back.
 */
export function __collapse_huge_page_isolate(vma: vm_area_struct, address: number, pte: pte_ptr, cc: collapse_control, isolated: folio[]): number {
  const mm = vma.vm_mm;
  let none_or_zero = 0;
  let shared = 0;
  let referenced = 0;
  let result = SCAN_FAIL;
  let folio: folio | null = null;
  let _pte: pte_ptr;
  return withFrame(mm.world, '__collapse_huge_page_isolate', () => {
    out: {
      for (_pte = pte; _pte.index < HPAGE_PMD_NR; _pte = _pte.next(), address += PAGE_SIZE) {
        const pteval = ptep_get(_pte);
        if (pte_none(pteval) || is_zero_pfn(pte_pfn(pteval))) {
          ++none_or_zero;
          if (!userfaultfd_armed(vma) && (!cc.is_khugepaged || none_or_zero <= khugepaged_max_ptes_none(mm))) {
            continue;
          } else {
            result = SCAN_EXCEED_NONE_PTE;
            count_vm_event(mm, THP_SCAN_EXCEED_NONE_PTE);
            break out;
          }
        } else if (!pte_present(pteval)) {
          result = SCAN_PTE_NON_PRESENT;
          break out;
        } else if (pte_uffd_wp(pteval)) {
          result = SCAN_PTE_UFFD_WP;
          break out;
        }
        const page = vm_normal_page(vma, address, pteval);
        if (!page || is_zone_device_page(page)) {
          result = SCAN_PAGE_NULL;
          break out;
        }
        folio = page_folio(page);
        if (folio_maybe_mapped_shared(folio)) {
          ++shared;
          if (cc.is_khugepaged && shared > khugepaged_max_ptes_shared(mm)) {
            result = SCAN_EXCEED_SHARED_PTE;
            count_vm_event(mm, THP_SCAN_EXCEED_SHARED_PTE);
            break out;
          }
        }
        if (folio_test_large(folio)) {
          result = SCAN_PAGE_COMPOUND;
          break out;
        }
        // PG_lock serialises against concurrent rmap walkers and swap-cache users.
        if (!folio_trylock(folio)) {
          result = SCAN_PAGE_LOCK;
          break out;
        }
        // Any GUP or other external pin?
        if (!is_refcount_suitable(folio)) {
          folio_unlock(folio);
          result = SCAN_PAGE_COUNT;
          break out;
        }
        // folio_isolate_lru(): take it off the LRU (and a reference).
        if (!folio.lru) {
          folio_unlock(folio);
          result = SCAN_DEL_PAGE_LRU;
          break out;
        }
        folio.lru = false;
        folio._refcount++;
        isolated.push(folio);
        if (cc.is_khugepaged && (pte_young(pteval) || folio_test_young(folio) || folio_test_referenced(folio) || mmu_notifier_test_young(vma.vm_mm, address))) {
          referenced++;
        }
      }
      if (cc.is_khugepaged && !referenced) {
        result = SCAN_LACK_REFERENCED_PAGE;
      } else {
        result = SCAN_SUCCEED;
        trace_mm_collapse_huge_page_isolate(mm, folio, none_or_zero, referenced, result);
        return result;
      }
    }
    // release_pte_pages(): unlock and put back what we isolated.
    for (const f of isolated) {
      f.locked = false;
      f.lru = true;
      f._refcount--;
    }
    isolated.length = 0;
    trace_mm_collapse_huge_page_isolate(mm, folio, none_or_zero, referenced, result);
    return result;
  });
}

/**
 * `__collapse_huge_page_copy(...)` — copy the 512 pages into the huge folio (none/zero become
 * zero-filled). A source page whose memory is poisoned (`page+poisoned`, or already hwpoisoned)
 * makes `copy_mc_user_highpage()` take a machine check → SCAN_COPY_MC, and
 * `__collapse_huge_page_copy_failed()` puts the isolated folios back (unlocked, on the LRU);
 * the caller re-installs the PTE table and frees the huge folio. On success
 * `__collapse_huge_page_copy_succeeded()` releases the sources: clear the PTEs, drop the
 * mappings, free private folios. Engine-internal signature.
 * @see https://elixir.bootlin.com/linux/v6.17/source/mm/khugepaged.c (__collapse_huge_page_copy)
 */
function __collapse_huge_page_copy(mm: mm_struct, pte: pte_ptr, huge: folio, isolated: folio[], ptl: spinlock_t): number {
  const world = mm.world;
  const table = pte.table;
  for (let i = 0; i < HPAGE_PMD_NR; i++) {
    const pteval = table.ptes[i];
    if (pte_none(pteval) || is_zero_pfn(pte_pfn(pteval))) {
      huge.pages[i].content = ZERO_CONTENT;
      continue;
    }
    const src = world.pages.get(pte_pfn(pteval));
    if (!src || src.mce || src.folio.hwpoison || src.content === null) {
      // __collapse_huge_page_copy_failed(): release_pte_pages() — unlock, back on the LRU,
      // drop the isolation reference. (The kernel also queues memory_failure for the page;
      // the simulation leaves the poisoned page mapped, as it is until then.)
      for (const f of isolated) {
        f.locked = false;
        f.lru = true;
        f._refcount--;
      }
      isolated.length = 0;
      traceEvent(world, 'copy_mc', { slot: i, pfn: pte_pfn(pteval) });
      return SCAN_COPY_MC;
    }
    huge.pages[i].content = src.content;
  }
  // __collapse_huge_page_copy_succeeded(): (the sim takes the PTL once for the whole loop)
  spin_lock(ptl);
  for (let i = 0; i < HPAGE_PMD_NR; i++) {
    const pteval = table.ptes[i];
    table.ptes[i] = PTE_NONE;
    if (pte_none(pteval) || is_zero_pfn(pte_pfn(pteval))) continue;
    const src = world.pages.get(pte_pfn(pteval));
    if (!src) continue;
    const f = src.folio;
    // release_pte_folio(): unlock, back on the LRU, drop the isolation reference
    f.locked = false;
    f.lru = true;
    f._refcount--;
    // folio_remove_rmap_pte() + free_folio_and_swap_cache()
    f._mapcount--;
    f._refcount--;
    if (f._refcount <= 0) {
      f._refcount = 0;
      freeFolio(world, f);
    }
  }
  spin_unlock(ptl);
  isolated.length = 0;
  return SCAN_SUCCEED;
}

/**
 * `collapse_huge_page(mm, address, referenced, unmapped, cc)` — the lock dance (kernel-facts
 * §2.4). Entered with the mmap read lock held; ALWAYS returns with it released:
 * drop it for the allocation (preemption point `alloc`), re-take it for read and revalidate;
 * if the scan saw swap PTEs (`unmapped > 0`) call `__collapse_huge_page_swapin` — whose
 * contract says it released the lock on failure, so failure goes straight to `out_nolock`
 * (this trust is why the v3-as-posted hunk leaks); then drop the read lock (point `upgrade`),
 * take it for write, revalidate, clear the PMD, isolate the 512 PTEs, copy, install the huge PMD.
 */
export function collapse_huge_page(mm: mm_struct, address: number, referenced: number, unmapped: number, cc: collapse_control): number {
  const world = mm.world;
  return withFrame(world, 'collapse_huge_page', () => {
    const a = attemptOf(world);
    a.collapseCalls++;
    a.lastScanPhase = SCAN_SUCCEED;
    const pmd: Ref<pmd_t | null> = { value: null };
    const vma: Ref<vm_area_struct | null> = { value: null };
    const folio: Ref<folio | null> = { value: null };
    const pte_ptl: Ref<spinlock_t | null> = { value: null };
    const isolated: folio[] = [];
    let result = SCAN_FAIL;

    preempt_point(mm, 'scan-unlocked');
    // Before allocating the huge page, release the mmap_lock read lock: the allocation can
    // take a long time (direct reclaim, compaction).
    mmap_read_unlock(mm);
    preempt_point(mm, 'alloc');

    out_nolock: {
      result = alloc_charge_folio(folio, mm, cc);
      if (result !== SCAN_SUCCEED) break out_nolock;

      mmap_read_lock(mm);
      result = hugepage_vma_revalidate(mm, address, true, vma, cc);
      if (result !== SCAN_SUCCEED) {
        mmap_read_unlock(mm);
        break out_nolock;
      }
      result = find_pmd_or_thp_or_none(mm, address, pmd);
      if (result !== SCAN_SUCCEED) {
        mmap_read_unlock(mm);
        break out_nolock;
      }

      if (unmapped) {
        // __collapse_huge_page_swapin will return with the mmap_lock released on failure.
        result = __collapse_huge_page_swapin(mm, vma.value!, address, pmd.value!, referenced);
        if (result !== SCAN_SUCCEED) break out_nolock;
      }

      mmap_read_unlock(mm);
      preempt_point(mm, 'upgrade');
      // Prevent all access to the page tables with the exception of GUP-fast and rmap walks.
      mmap_write_lock(mm);

      out_up_write: {
        result = hugepage_vma_revalidate(mm, address, true, vma, cc);
        if (result !== SCAN_SUCCEED) break out_up_write;
        result = check_pmd_still_valid(mm, address, pmd.value!);
        if (result !== SCAN_SUCCEED) break out_up_write;

        const p = pmd.value!;
        // pmdp_collapse_flush(): clear the PMD (under the PMD lock) and flush the TLB; GUP-fast
        // and rmap walks now see no PTE table here.
        spin_lock(mm.pmd_ptl);
        const table = pmdTable(p)!;
        p.entry = { type: 'none' };
        spin_unlock(mm.pmd_ptl);

        const detached: pmd_t = { index: p.index, addr: p.addr, entry: { type: 'table', table }, mm };
        const pte = pte_offset_map_lock(mm, detached, address, pte_ptl);
        if (pte) {
          result = __collapse_huge_page_isolate(vma.value!, address, pte, cc, isolated);
          spin_unlock(pte_ptl.value!);
        } else {
          result = SCAN_PMD_NULL;
        }

        if (result !== SCAN_SUCCEED) {
          if (pte) pte_unmap(pte);
          // pmd_populate(): put the old page table back.
          spin_lock(mm.pmd_ptl);
          p.entry = { type: 'table', table };
          spin_unlock(mm.pmd_ptl);
          break out_up_write;
        }

        result = __collapse_huge_page_copy(mm, pte!, folio.value!, isolated, pte_ptl.value!);
        pte_unmap(pte!);
        if (result !== SCAN_SUCCEED) {
          spin_lock(mm.pmd_ptl);
          p.entry = { type: 'table', table };
          spin_unlock(mm.pmd_ptl);
          break out_up_write;
        }

        // Install the huge PMD.
        const huge = folio.value!;
        huge.locked = false;
        huge._mapcount = 1;
        huge._refcount = 1;
        huge.lru = true;
        spin_lock(mm.pmd_ptl);
        p.entry = { type: 'huge', folio: huge };
        spin_unlock(mm.pmd_ptl);
        traceEvent(world, 'install_pmd', { pmd: p.index, pfn: huge.pfn });
        folio.value = null;
        a.collapsed++;
        result = SCAN_SUCCEED;
      }
      mmap_write_unlock(mm);
    }
    // out_nolock:
    if (folio.value) {
      const f = folio.value;
      freeFolio(world, f);
      bumpCounter(world, 'huge_alloc_then_freed');
      traceEvent(world, 'free_folio', { order: 9, pfn: f.pfn, why: 'collapse failed' });
    }
    a.lastCollapse = result;
    trace_mm_collapse_huge_page(mm, result === SCAN_SUCCEED, result);
    return result;
  });
}

// ---------------------------------------------------------------------------------------------
// khugepaged and MADV_COLLAPSE drivers
// ---------------------------------------------------------------------------------------------

/** `khugepaged_pages_to_scan` default: HPAGE_PMD_NR × 8 = 4096 pages (8 PMDs) per wake-up (kernel-facts §2.1). */
export const KHUGEPAGED_PAGES_TO_SCAN = HPAGE_PMD_NR * 8;

/**
 * One wake-up of khugepaged over this mm: `khugepaged_do_scan()` calling
 * `khugepaged_scan_mm_slot()` until `pages_to_scan` (4096 pages = 8 PMDs) are used up.
 * Each call takes the mmap read lock, scans PMDs in address order from where the last call
 * stopped, and returns as soon as a scan dropped the lock (a collapse attempt was made); the
 * next call resumes at the next PMD — so every PMD gets scanned. After a first
 * SCAN_ALLOC_HUGE_PAGE_FAIL khugepaged sleeps (`khugepaged_alloc_sleep`) and goes on; after a
 * second it gives up the wake-up. Modelled: one pass over the VMA (the kernel may start a
 * second pass through its mm list in the same wake-up; `runCollapse` again is that pass).
 * Returns the last scan's result and its `mmap_locked` value. No kernel twin of this shape.
 * @see https://elixir.bootlin.com/linux/v6.17/source/mm/khugepaged.c (khugepaged_do_scan, khugepaged_scan_mm_slot)
 */
export function khugepagedScanMm(mm: mm_struct): { result: number; mmap_locked: boolean } {
  const world = mm.world;
  const cc = world.cc;
  cc.is_khugepaged = true;
  const vma = world.vma;
  let result = SCAN_FAIL;
  const mmap_locked: Ref<boolean> = { value: false };
  let address = vma.vm_start;
  let progress = 0;
  let wait = true;
  while (address < vma.vm_end && progress < KHUGEPAGED_PAGES_TO_SCAN) {
    // khugepaged_scan_mm_slot():
    mmap_read_lock(mm);
    mmap_locked.value = true;
    while (address < vma.vm_end) {
      mmap_locked.value = true;
      result = hpage_collapse_scan_pmd(mm, vma, address, mmap_locked, cc);
      address += HPAGE_PMD_SIZE;
      progress += HPAGE_PMD_NR;
      // We released the mmap_lock (a collapse attempt): return to khugepaged_do_scan().
      if (!mmap_locked.value) break;
      if (progress >= KHUGEPAGED_PAGES_TO_SCAN) break;
    }
    if (mmap_locked.value) mmap_read_unlock(mm);
    // khugepaged_do_scan(): an allocation failure sleeps once, then ends the wake-up.
    if (result === SCAN_ALLOC_HUGE_PAGE_FAIL) {
      if (!wait) break;
      wait = false;
      traceEvent(world, 'alloc_sleep', { msecs: 60000 });
    }
  }
  return { result, mmap_locked: mmap_locked.value };
}

/**
 * `madvise_collapse_errno(r)` — the errno MADV_COLLAPSE returns for its last failure:
 * ALLOC_HUGE_PAGE_FAIL → -ENOMEM; CGROUP_CHARGE_FAIL, EXCEED_NONE_PTE → -EBUSY; PAGE_COUNT,
 * PAGE_LOCK, PAGE_LRU, DEL_PAGE_LRU, PAGE_FILLED → -EAGAIN; anything else → -EINVAL.
 */
export function madvise_collapse_errno(r: number): number {
  switch (r) {
    case SCAN_ALLOC_HUGE_PAGE_FAIL:
      return -ENOMEM;
    case SCAN_CGROUP_CHARGE_FAIL:
    case SCAN_EXCEED_NONE_PTE:
      return -EBUSY;
    case SCAN_PAGE_COUNT:
    case SCAN_PAGE_LOCK:
    case SCAN_PAGE_LRU:
    case SCAN_DEL_PAGE_LRU:
    case SCAN_PAGE_FILLED:
      return -EAGAIN;
    default:
      return -EINVAL;
  }
}

/**
 * `madvise_collapse(vma, &prev, start, end)` — MADV_COLLAPSE: synchronously collapse every
 * 2 MiB range of [start, end) (`cc->is_khugepaged = false`: the knobs and the "referenced"
 * rule are ignored; the uffd rule still applies). Called and returns with the mmap read lock
 * held (re-taken if a collapse dropped it). SCAN_SUCCEED / SCAN_PMD_MAPPED count as done;
 * PMD_NULL, PTE_NON_PRESENT, PTE_UFFD_WP, LACK_REFERENCED_PAGE, PAGE_NULL, PAGE_COUNT,
 * PAGE_LOCK, PAGE_COMPOUND, PAGE_LRU, DEL_PAGE_LRU continue with the next range; anything else
 * stops the call. Returns 0 if every range ended up huge, else -errno of the last failure.
 */
export function madvise_collapse(vma: vm_area_struct, prev: Ref<vm_area_struct | null>, start: number, end: number): number {
  const mm = vma.vm_mm;
  const world = mm.world;
  return withFrame(world, 'madvise_collapse', () => {
    const cc = world.cc;
    cc.is_khugepaged = false;
    let thps = 0;
    let last_fail = SCAN_FAIL;
    const mmap_locked: Ref<boolean> = { value: true };
    const results: number[] = [];
    const hstart = Math.ceil(start / HPAGE_PMD_SIZE) * HPAGE_PMD_SIZE;
    let hend = Math.floor(end / HPAGE_PMD_SIZE) * HPAGE_PMD_SIZE;
    const ranges = (hend - hstart) / HPAGE_PMD_SIZE;
    lru_add_drain(mm); // lru_add_drain_all()

    out_nolock: {
      out_maybelock: {
        for (let addr = hstart; addr < hend; addr += HPAGE_PMD_SIZE) {
          let result = SCAN_FAIL;
          if (!mmap_locked.value) {
            mmap_read_lock(mm);
            mmap_locked.value = true;
            const v: Ref<vm_area_struct | null> = { value: null };
            result = hugepage_vma_revalidate(mm, addr, false, v, cc);
            if (result !== SCAN_SUCCEED) {
              last_fail = result;
              results.push(result);
              break out_nolock;
            }
            hend = Math.min(hend, Math.floor(v.value!.vm_end / HPAGE_PMD_SIZE) * HPAGE_PMD_SIZE);
          }
          cc.node_load.fill(0);
          cc.alloc_nmask.length = 0;
          result = hpage_collapse_scan_pmd(mm, vma, addr, mmap_locked, cc);
          if (!mmap_locked.value) prev.value = null; // tell the caller we dropped mmap_lock
          results.push(result);
          switch (result) {
            case SCAN_SUCCEED:
            case SCAN_PMD_MAPPED:
              ++thps;
              break;
            // Whitelisted results where continuing is fine:
            case SCAN_PMD_NULL:
            case SCAN_PTE_NON_PRESENT:
            case SCAN_PTE_UFFD_WP:
            case SCAN_LACK_REFERENCED_PAGE:
            case SCAN_PAGE_NULL:
            case SCAN_PAGE_COUNT:
            case SCAN_PAGE_LOCK:
            case SCAN_PAGE_COMPOUND:
            case SCAN_PAGE_LRU:
            case SCAN_DEL_PAGE_LRU:
              last_fail = result;
              break;
            default:
              last_fail = result;
              // Other error: exit.
              break out_maybelock;
          }
        }
      }
      // out_maybelock: the caller expects us to hold mmap_lock on return.
      if (!mmap_locked.value) mmap_read_lock(mm);
    }
    const ret = thps === ranges ? 0 : madvise_collapse_errno(last_fail);
    attemptOf(world).madvise = { thps, ranges, last_fail, mmap_locked: mmap_locked.value, results };
    return ret;
  });
}

/** Re-export for convenience: is a throw a simulated hang? */
export function isKernelHang(e: unknown): e is KernelHang {
  return e instanceof KernelHang;
}
