/**
 * Exercise swapin-guard — WRONG: cleans up and then returns straight away instead of leaving through `out:`, so the mm_collapse_huge_page_swapin tracepoint never reports the guard's exit.
 * Chapter: 06-the-window ("The swap-in guard and its contract", "The leak in the hunk as posted").
 *
 * __collapse_huge_page_swapin() with the second half of the patch: a non-swap entry found while
 * walking the live PTEs stops swap-in with SCAN_PTE_NON_PRESENT — and, unlike the hunk as posted
 * in v3, honours the function's contract on the way out: the PTE table is unmapped and the mmap
 * read lock released, like on every other failure path.
 * Kernel twin (pre-patch): https://elixir.bootlin.com/linux/v6.17/source/mm/khugepaged.c
 * (function __collapse_huge_page_swapin). `goto out` is `break out` here.
 */
import {
  SCAN_FAIL,
  SCAN_SUCCEED,
  SCAN_PMD_NULL,
  SCAN_PAGE_LOCK,
  SCAN_PTE_NON_PRESENT,
  HPAGE_PMD_NR,
  PAGE_SIZE,
  FAULT_FLAG_ALLOW_RETRY,
  VM_FAULT_RETRY,
  VM_FAULT_ERROR,
  PTE_NONE,
  pte_offset_map_ro_nolock,
  ptep_get_lockless,
  pte_unmap,
  is_swap_pte,
  pte_to_swp_entry,
  non_swap_entry,
  do_swap_page,
  linear_page_index,
  mmap_read_unlock,
  lru_add_drain,
  trace_mm_collapse_huge_page_swapin,
  type mm_struct,
  type vm_area_struct,
  type pmd_t,
  type pte_ptr,
  type spinlock_t,
  type vm_fault,
  type Ref,
  type scan_result,
} from 'collapse-lab/engine';

/**
 * Swap back in the pages of the range that are out on swap, so the range can be collapsed
 * (only called when the scan found swap PTEs and thought the collapse worth it).
 *
 * Contract (the kernel's comment above the function, in our words): entered with the mmap lock
 * held for read and no PTE table mapped, no spinlock held; returns with no PTE table mapped and no
 * spinlock held; on any result other than SCAN_SUCCEED the mmap lock has been released.
 */
export function __collapse_huge_page_swapin(
  mm: mm_struct,
  vma: vm_area_struct,
  haddr: number,
  pmd: pmd_t,
  referenced: number,
): scan_result {
  let swapped_in = 0;
  let ret = 0;
  const end = haddr + HPAGE_PMD_NR * PAGE_SIZE;
  let result: scan_result = SCAN_FAIL;
  let pte: pte_ptr | null = null;
  const ptl: Ref<spinlock_t | null> = { value: null };

  out: {
    for (let address = haddr; address < end; address += PAGE_SIZE) {
      const vmf: vm_fault = {
        vma,
        address,
        pgoff: linear_page_index(vma, address),
        flags: FAULT_FLAG_ALLOW_RETRY,
        pmd,
        orig_pte: PTE_NONE, // read below
        pte: null,
        ptl: null,
      };

      if (!pte) {
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

      // The patch, done right: the entry may have changed since the scan (the mmap lock was
      // dropped for the allocation). Anything that is not a real swap entry cannot be swapped
      // in — stop, and leave the way every failure leaves: nothing mapped, mmap lock released.
      if (non_swap_entry(pte_to_swp_entry(vmf.orig_pte))) {
        pte_unmap(pte);
        mmap_read_unlock(mm);
        return SCAN_PTE_NON_PRESENT;
      }

      vmf.pte = pte;
      vmf.ptl = ptl.value;
      ret = do_swap_page(vmf);
      // do_swap_page() has unmapped the PTE table; map it again for the next slot.
      pte = null;

      // On VM_FAULT_RETRY do_swap_page() has already dropped the mmap lock; there is no retry
      // here (the entry would stay and fail later anyway), so give up — most likely the folio
      // lock was contended.
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
    }

    if (pte) pte_unmap(pte);

    // Drop the extra references the per-CPU LRU batches hold on the swapped-in folios.
    if (swapped_in) lru_add_drain(mm);

    result = SCAN_SUCCEED;
  } // out:
  trace_mm_collapse_huge_page_swapin(mm, swapped_in, referenced, result);
  return result;
}
