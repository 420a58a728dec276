/**
 * Exercise early-abort — WRONG: decodes every non-empty PTE as a swap entry before asking pte_present(), so a present page whose protection-key bits fill the swap-type field looks like a non-swap entry.
 * Chapter: 04-the-scan.
 *
 * hpage_collapse_scan_pmd() as the patch "mm/khugepaged: abort collapse scan on non-swap
 * entries" (v3, Lance Yang, 8 Oct 2025) left it: the none/zero block first, then the
 * non-present branch that stops at any non-swap entry before counting it.
 * Kernel twin (pre-patch): https://elixir.bootlin.com/linux/v6.17/source/mm/khugepaged.c
 * (function hpage_collapse_scan_pmd). Written afresh for the engine; `goto out_unmap` is
 * `break out_unmap` here, `goto out` is `break out`.
 */
import {
  SCAN_FAIL,
  SCAN_SUCCEED,
  SCAN_PMD_NULL,
  SCAN_EXCEED_NONE_PTE,
  SCAN_EXCEED_SWAP_PTE,
  SCAN_EXCEED_SHARED_PTE,
  SCAN_PTE_NON_PRESENT,
  SCAN_PTE_UFFD_WP,
  SCAN_PAGE_NULL,
  SCAN_PAGE_ANON,
  SCAN_SCAN_ABORT,
  SCAN_PAGE_LRU,
  SCAN_PAGE_LOCK,
  SCAN_PAGE_COUNT,
  SCAN_LACK_REFERENCED_PAGE,
  HPAGE_PMD_NR,
  PAGE_SIZE,
  THP_SCAN_EXCEED_NONE_PTE,
  THP_SCAN_EXCEED_SWAP_PTE,
  THP_SCAN_EXCEED_SHARED_PTE,
  find_pmd_or_thp_or_none,
  pte_offset_map_lock,
  pte_unmap_unlock,
  ptep_get,
  pte_none,
  pte_present,
  pte_pfn,
  is_zero_pfn,
  pte_to_swp_entry,
  non_swap_entry,
  pte_swp_uffd_wp,
  pte_uffd_wp,
  pte_young,
  vm_normal_page,
  is_zone_device_page,
  page_folio,
  folio_test_anon,
  folio_maybe_mapped_shared,
  folio_nid,
  hpage_collapse_scan_abort,
  folio_test_lru,
  folio_test_locked,
  is_refcount_suitable,
  folio_test_young,
  folio_test_referenced,
  mmu_notifier_test_young,
  userfaultfd_armed,
  count_vm_event,
  khugepaged_max_ptes_none,
  khugepaged_max_ptes_swap,
  khugepaged_max_ptes_shared,
  collapse_huge_page,
  trace_mm_khugepaged_scan_pmd,
  type mm_struct,
  type vm_area_struct,
  type collapse_control,
  type pmd_t,
  type spinlock_t,
  type folio,
  type page,
  type Ref,
  type scan_result,
} from 'collapse-lab/engine';

/**
 * Scan the 512 PTEs of one PMD and decide whether the range is worth collapsing into a huge page.
 * Entered with the mmap read lock held; maps and locks the PTE table itself and releases it before
 * returning. The first PTE that fails a check decides the result (`break out_unmap`). On
 * SCAN_SUCCEED it calls collapse_huge_page(), which always returns with the mmap lock released,
 * and tells the caller so through `mmap_locked`.
 */
export function hpage_collapse_scan_pmd(
  mm: mm_struct,
  vma: vm_area_struct,
  start_addr: number,
  mmap_locked: Ref<boolean>,
  cc: collapse_control,
): scan_result {
  const pmd: Ref<pmd_t | null> = { value: null };
  const ptl: Ref<spinlock_t | null> = { value: null };
  let result: scan_result = SCAN_FAIL;
  let referenced = 0;
  let none_or_zero = 0;
  let shared = 0;
  let unmapped = 0;
  let page: page | null = null;
  let folio: folio | null = null;
  let node: number;

  out: {
    result = find_pmd_or_thp_or_none(mm, start_addr, pmd);
    if (result !== SCAN_SUCCEED) break out;

    cc.node_load.fill(0);
    cc.alloc_nmask.length = 0;
    const pte = pte_offset_map_lock(mm, pmd.value!, start_addr, ptl);
    if (!pte) {
      result = SCAN_PMD_NULL;
      break out;
    }

    out_unmap: {
      let _pte = pte;
      for (let i = 0, addr = start_addr; i < HPAGE_PMD_NR; i++, addr += PAGE_SIZE, _pte = _pte.next()) {
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
        } else if (non_swap_entry(pte_to_swp_entry(pteval))) {
          result = SCAN_PTE_NON_PRESENT;
          break out_unmap;
        } else if (!pte_present(pteval)) {

          ++unmapped;
          if (!cc.is_khugepaged || unmapped <= khugepaged_max_ptes_swap(mm)) {
            // Only real swap entries get here, so the plain bit is enough (no markers left).
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
          result = SCAN_PTE_UFFD_WP;
          break out_unmap;
        }

        page = vm_normal_page(vma, addr, pteval);
        if (!page || is_zone_device_page(page)) {
          result = SCAN_PAGE_NULL;
          break out_unmap;
        }
        folio = page_folio(page);
        if (!folio_test_anon(folio)) {
          result = SCAN_PAGE_ANON;
          break out_unmap;
        }
        if (folio_maybe_mapped_shared(folio)) {
          ++shared;
          if (cc.is_khugepaged && shared > khugepaged_max_ptes_shared(mm)) {
            result = SCAN_EXCEED_SHARED_PTE;
            count_vm_event(mm, THP_SCAN_EXCEED_SHARED_PTE);
            break out_unmap;
          }
        }
        node = folio_nid(folio);
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
        if (!is_refcount_suitable(folio)) {
          result = SCAN_PAGE_COUNT;
          break out_unmap;
        }
        if (
          cc.is_khugepaged &&
          (pte_young(pteval) || folio_test_young(folio) || folio_test_referenced(folio) || mmu_notifier_test_young(vma.vm_mm, addr))
        )
          referenced++;
      }

      if (cc.is_khugepaged && (!referenced || (unmapped && referenced < HPAGE_PMD_NR / 2))) {
        result = SCAN_LACK_REFERENCED_PAGE;
      } else {
        result = SCAN_SUCCEED;
      }
    } // out_unmap:
    pte_unmap_unlock(pte, ptl.value);
    if (result === SCAN_SUCCEED) {
      result = collapse_huge_page(mm, start_addr, referenced, unmapped, cc);
      // collapse_huge_page() returns with the mmap lock released
      mmap_locked.value = false;
    }
  } // out:
  trace_mm_khugepaged_scan_pmd(mm, folio, referenced, none_or_zero, result, unmapped);
  return result;
}
