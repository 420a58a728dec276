/**
 * Lockdep-like checks and function contracts, exercised the way learners will: by plugging
 * their own `hpage_collapse_scan_pmd` / `__collapse_huge_page_swapin` into a world (ops) written
 * with the exported kernel helpers.
 */
import { describe, it, expect } from 'vitest';
import {
  makeWorld,
  runCollapse,
  getThread,
  runAs,
  mmap_read_lock,
  mmap_read_unlock,
  mmap_write_lock,
  pte_offset_map_lock,
  pte_offset_map_ro_nolock,
  pte_unmap,
  pte_unmap_unlock,
  ptep_get,
  ptep_get_lockless,
  find_pmd_or_thp_or_none,
  collapse_huge_page,
  do_swap_page,
  lru_add_drain,
  linear_page_index,
  is_swap_pte,
  non_swap_entry,
  pte_to_swp_entry,
  pte_none,
  pte_present,
  pte_pfn,
  is_zero_pfn,
  pte_uffd_wp,
  pte_swp_uffd_wp,
  pte_young,
  vm_normal_page,
  page_folio,
  folio_test_anon,
  folio_maybe_mapped_shared,
  folio_nid,
  folio_test_lru,
  folio_test_locked,
  folio_test_young,
  folio_test_referenced,
  is_refcount_suitable,
  is_zone_device_page,
  hpage_collapse_scan_abort,
  mmu_notifier_test_young,
  userfaultfd_armed,
  khugepaged_max_ptes_none,
  khugepaged_max_ptes_swap,
  khugepaged_max_ptes_shared,
  count_vm_event,
  trace_mm_khugepaged_scan_pmd,
  trace_mm_collapse_huge_page_swapin,
  THP_SCAN_EXCEED_NONE_PTE,
  THP_SCAN_EXCEED_SWAP_PTE,
  THP_SCAN_EXCEED_SHARED_PTE,
  FAULT_FLAG_ALLOW_RETRY,
  VM_FAULT_RETRY,
  VM_FAULT_ERROR,
  HPAGE_PMD_NR,
  PAGE_SIZE,
  SCAN_SUCCEED,
  SCAN_FAIL,
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
  type KernelOps,
  type Ref,
  type pmd_t,
  type spinlock_t,
  type pte_ptr,
  type folio,
  type vm_fault,
  type CollapseReport,
} from 'collapse-lab/engine';

type Swapin = KernelOps['__collapse_huge_page_swapin'];
type Scan = KernelOps['hpage_collapse_scan_pmd'];

/** A learner-style swap-in (the "after" kernel) built only from exported helpers; `mistake` breaks one thing. */
function makeSwapin(mistake: 'none' | 'no-unlock' | 'no-unmap' | 'double-unmap' | 'no-drain' | 'double-unlock' | 'keeps-lock-on-error', guard = true, read: (p: pte_ptr) => ReturnType<typeof ptep_get> = ptep_get_lockless): Swapin {
  return (mm, vma, haddr, pmd, referenced) => {
    let swapped_in = 0;
    let pte: pte_ptr | null = null;
    const ptl: Ref<spinlock_t | null> = { value: null };
    let result = SCAN_FAIL;
    out: {
      for (let address = haddr; address < haddr + HPAGE_PMD_NR * PAGE_SIZE; address += PAGE_SIZE) {
        const vmf: vm_fault = { vma, address, pgoff: linear_page_index(vma, address), flags: FAULT_FLAG_ALLOW_RETRY, pmd, orig_pte: null as never, pte: null, ptl: null };
        if (!pte) {
          pte = pte_offset_map_ro_nolock(mm, pmd, address, ptl);
          if (!pte) {
            mmap_read_unlock(mm);
            result = SCAN_PMD_NULL;
            break out;
          }
        } else pte = pte.next();
        vmf.orig_pte = read(pte);
        if (!is_swap_pte(vmf.orig_pte)) continue;
        if (guard && non_swap_entry(pte_to_swp_entry(vmf.orig_pte))) {
          if (mistake !== 'no-unmap') pte_unmap(pte);
          if (mistake === 'double-unmap') pte_unmap(pte);
          if (mistake !== 'no-unlock') mmap_read_unlock(mm);
          if (mistake === 'double-unlock') mmap_read_unlock(mm);
          result = SCAN_PTE_NON_PRESENT;
          break out;
        }
        vmf.pte = pte;
        vmf.ptl = ptl.value;
        const ret = do_swap_page(vmf);
        pte = null;
        if (ret & VM_FAULT_RETRY) {
          result = 8 + 9; // SCAN_PAGE_LOCK
          break out;
        }
        if (ret & VM_FAULT_ERROR) {
          if (mistake !== 'keeps-lock-on-error') mmap_read_unlock(mm);
          result = SCAN_FAIL;
          break out;
        }
        swapped_in++;
      }
      if (pte) pte_unmap(pte);
      if (swapped_in && mistake !== 'no-drain') lru_add_drain(mm);
      result = SCAN_SUCCEED;
    }
    trace_mm_collapse_huge_page_swapin(mm, swapped_in, referenced, result);
    return result;
  };
}

/** A learner-style scan (the "after" kernel) built only from exported helpers. */
function makeScan(mistake: 'none' | 'leak-ptl-on-abort' | 'read-after-unlock' | 'forget-mmap-locked' | 'bogus-mmap-locked'): Scan {
  return (mm, vma, start_addr, mmap_locked, cc) => {
    const pmd: Ref<pmd_t | null> = { value: null };
    const ptl: Ref<spinlock_t | null> = { value: null };
    let result = SCAN_FAIL;
    let referenced = 0, none_or_zero = 0, shared = 0, unmapped = 0;
    let folio: folio | null = null;
    out: {
      result = find_pmd_or_thp_or_none(mm, start_addr, pmd);
      if (result !== SCAN_SUCCEED) break out;
      const pte = pte_offset_map_lock(mm, pmd.value, start_addr, ptl);
      if (!pte) {
        result = SCAN_PMD_NULL;
        break out;
      }
      out_unmap: {
        let addr = start_addr;
        for (let _pte = pte; _pte.index < HPAGE_PMD_NR; _pte = _pte.next(), addr += PAGE_SIZE) {
          const pteval = ptep_get(_pte);
          if (pte_none(pteval) || is_zero_pfn(pte_pfn(pteval))) {
            ++none_or_zero;
            if (!userfaultfd_armed(vma) && (!cc.is_khugepaged || none_or_zero <= khugepaged_max_ptes_none(mm))) continue;
            result = SCAN_EXCEED_NONE_PTE;
            count_vm_event(mm, THP_SCAN_EXCEED_NONE_PTE);
            break out_unmap;
          } else if (!pte_present(pteval)) {
            if (non_swap_entry(pte_to_swp_entry(pteval))) {
              result = SCAN_PTE_NON_PRESENT;
              if (mistake === 'leak-ptl-on-abort') break out;
              break out_unmap;
            }
            ++unmapped;
            if (!cc.is_khugepaged || unmapped <= khugepaged_max_ptes_swap(mm)) {
              if (pte_swp_uffd_wp(pteval)) {
                result = SCAN_PTE_UFFD_WP;
                break out_unmap;
              }
              continue;
            }
            result = SCAN_EXCEED_SWAP_PTE;
            count_vm_event(mm, THP_SCAN_EXCEED_SWAP_PTE);
            break out_unmap;
          }
          if (pte_uffd_wp(pteval)) {
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
          if (folio_maybe_mapped_shared(folio)) {
            ++shared;
            if (cc.is_khugepaged && shared > khugepaged_max_ptes_shared(mm)) {
              result = SCAN_EXCEED_SHARED_PTE;
              count_vm_event(mm, THP_SCAN_EXCEED_SHARED_PTE);
              break out_unmap;
            }
          }
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
          if (!is_refcount_suitable(folio)) {
            result = SCAN_PAGE_COUNT;
            break out_unmap;
          }
          if (cc.is_khugepaged && (pte_young(pteval) || folio_test_young(folio) || folio_test_referenced(folio) || mmu_notifier_test_young(mm, addr))) referenced++;
        }
        if (cc.is_khugepaged && (!referenced || (unmapped && referenced < HPAGE_PMD_NR / 2))) result = SCAN_LACK_REFERENCED_PAGE;
        else result = SCAN_SUCCEED;
      }
      pte_unmap_unlock(pte, ptl);
      if (mistake === 'read-after-unlock') ptep_get(pte);
      if (mistake === 'bogus-mmap-locked') mmap_locked.value = false;
      if (result === SCAN_SUCCEED) {
        result = collapse_huge_page(mm, start_addr, referenced, unmapped, cc);
        if (mistake !== 'forget-mmap-locked') mmap_locked.value = false;
      }
    }
    trace_mm_khugepaged_scan_pmd(mm, folio, referenced, none_or_zero, result, unmapped);
    return result;
  };
}

const LAYOUTS = ['page*512', 'page*448,swap*64', 'page*447,swap*65', 'page*511,guard', 'none*511,page', 'none*512', 'old*512', 'shared*300,page*212', 'page*511,swap+uffd', 'page*511,page+uffd', 'page*511,migration+uffd', 'zero*100,swap*10,page*402'];

const strip = (r: CollapseReport) => ({ ...r, trace: r.trace.map((e) => `${e.thread} ${e.name} ${JSON.stringify(e.args)} ${e.locks.join(',')}`) });

describe('the exported helpers are enough to write the kernel functions', () => {
  for (const layout of LAYOUTS) {
    for (const madvise of [false, true]) {
      it(`a learner-style "after" scan + swap-in equals the engine's on ${layout}${madvise ? ' (MADV_COLLAPSE)' : ''}`, () => {
        const eng = runCollapse(makeWorld({ layout, kernel: 'after' }), { madvise });
        const mine = runCollapse(makeWorld({ layout, kernel: 'after', ops: { hpage_collapse_scan_pmd: makeScan('none'), __collapse_huge_page_swapin: makeSwapin('none') } }), { madvise });
        expect(strip(mine)).toEqual(strip(eng));
      });
    }
  }
  it('also through a race window', () => {
    const o = { layout: 'page*448,swap*64', kernel: 'after' as const, window: '450=migration,3=guard' };
    const eng = runCollapse(makeWorld(o));
    const mine = runCollapse(makeWorld({ ...o, ops: { hpage_collapse_scan_pmd: makeScan('none'), __collapse_huge_page_swapin: makeSwapin('none') } }));
    expect(strip(mine)).toEqual(strip(eng));
  });
});

describe('preemption points inside a learner swap-in', () => {
  it('swapin:<slot> fires before the slot is read, whether the learner reads with ptep_get_lockless or ptep_get', () => {
    for (const read of [ptep_get_lockless, ptep_get]) {
      const w = makeWorld({ layout: 'page*448,swap*64', kernel: 'after', schedule: [{ at: 'swapin:10', actor: 'migration_start', slot: 10 }], ops: { __collapse_huge_page_swapin: makeSwapin('none', true, read) } });
      const r = runCollapse(w);
      expect(r.result, read.name).toBe('SCAN_PTE_NON_PRESENT');
      expect(r.trace.some((e) => e.name === 'preempt' && e.args.point === 'swapin:10')).toBe(true);
      expect(r.bugs).toEqual([]);
    }
  });
});

describe('contract checks catch broken swap-ins', () => {
  const race = { layout: 'page*448,swap*64', kernel: 'after' as const, window: '450=migration' };
  const withSwapin = (m: Parameters<typeof makeSwapin>[0]) => runCollapse(makeWorld({ ...race, ops: { __collapse_huge_page_swapin: makeSwapin(m) } }));

  it('forgetting mmap_read_unlock on the non-swap exit → contract + leaked-lock', () => {
    const r = withSwapin('no-unlock');
    expect(r.bugs.map((b) => b.kind)).toEqual(['contract', 'leaked-lock']);
    expect(r.bugs[0].message).toBe('__collapse_huge_page_swapin returned SCAN_PTE_NON_PRESENT with mmap_lock still held for read (its contract: released on failure)');
  });

  it('forgetting pte_unmap → contract + pte-mapping-leaked', () => {
    const r = withSwapin('no-unmap');
    expect(r.bugs.map((b) => b.kind)).toEqual(['contract', 'pte-mapping-leaked']);
    expect(r.bugs[0].message).toContain('with a PTE table still mapped');
  });

  it('unmapping twice → double-unlock', () => {
    const r = withSwapin('double-unmap');
    expect(r.bugs.map((b) => b.kind)).toEqual(['double-unlock']);
    expect(r.bugs[0].path.at(-1)).toBe('__collapse_huge_page_swapin');
  });

  it('unlocking the mmap lock twice → double-unlock', () => {
    const r = withSwapin('double-unlock');
    expect(r.bugs.map((b) => b.kind)).toEqual(['double-unlock']);
    expect(r.bugs[0].message).toContain('mmap_read_unlock');
  });

  it('keeping the lock on a VM_FAULT_ERROR exit → contract (checked on every failure path, not just the new one)', () => {
    const r = runCollapse(makeWorld({ layout: 'page*448,swap*64', kernel: 'before', window: '450=guard', ops: { __collapse_huge_page_swapin: makeSwapin('keeps-lock-on-error', false) } }));
    expect(r.result).toBe('SCAN_FAIL');
    expect(r.bugs.map((b) => b.kind)).toEqual(['non-swap-to-do_swap_page', 'contract', 'leaked-lock']);
    expect(r.bugs[1].message).toBe('__collapse_huge_page_swapin returned SCAN_FAIL with mmap_lock still held for read (its contract: released on failure)');
  });

  it('forgetting lru_add_drain leaves the LRU batch pin: isolate sees an extra reference (SCAN_PAGE_COUNT)', () => {
    const r = runCollapse(makeWorld({ layout: 'page*448,swap*64', kernel: 'after', ops: { __collapse_huge_page_swapin: makeSwapin('no-drain') } }));
    expect(r.result).toBe('SCAN_PAGE_COUNT');
    expect(r.trace.find((e) => e.name === 'mm_collapse_huge_page_isolate')!.args.result).toBe('SCAN_PAGE_COUNT');
  });

  it('a swap-in returning something that is not a scan_result is reported', () => {
    const r = runCollapse(makeWorld({ layout: 'page*448,swap*64', ops: { __collapse_huge_page_swapin: (() => undefined) as unknown as Swapin } }));
    expect(r.bugs[0].kind).toBe('contract');
    expect(r.bugs[0].message).toContain('not a scan_result');
  });
});

describe('contract checks catch broken scans', () => {
  it('leaving the PTL held on an abort path → contract + leaked-lock + pte-mapping-leaked', () => {
    const r = runCollapse(makeWorld({ layout: 'page*511,guard', ops: { hpage_collapse_scan_pmd: makeScan('leak-ptl-on-abort') } }));
    const k = r.bugs.map((b) => b.kind);
    expect(k).toContain('contract');
    expect(k).toContain('leaked-lock');
    expect(k).toContain('pte-mapping-leaked');
    expect(r.bugs.some((b) => b.kind === 'contract' && b.message.includes('PTL still held'))).toBe(true);
  });

  it('reading a PTE after pte_unmap_unlock → pte-read-unmapped', () => {
    const r = runCollapse(makeWorld({ layout: 'page*511,guard', ops: { hpage_collapse_scan_pmd: makeScan('read-after-unlock') } }));
    expect(r.bugs.map((b) => b.kind)).toEqual(['pte-read-unmapped']);
    expect(r.bugs[0].message).toContain('already unmapped');
  });

  it('calling collapse_huge_page but leaving *mmap_locked true → contract (and khugepaged unlocks a lock it no longer holds)', () => {
    const r = runCollapse(makeWorld({ layout: 'page*512', ops: { hpage_collapse_scan_pmd: makeScan('forget-mmap-locked') } }));
    const k = r.bugs.map((b) => b.kind);
    expect(k[0]).toBe('contract');
    expect(r.bugs[0].message).toContain('left *mmap_locked = true');
    expect(k).toContain('double-unlock');
  });

  it('setting *mmap_locked false without calling collapse_huge_page → contract', () => {
    const r = runCollapse(makeWorld({ layout: 'page*511,guard', ops: { hpage_collapse_scan_pmd: makeScan('bogus-mmap-locked') } }));
    expect(r.bugs[0].message).toContain('without calling collapse_huge_page');
  });
});

describe('lock primitives', () => {
  it('mmap_read_unlock without holding the lock → unlock-not-held; twice → double-unlock', () => {
    const w = makeWorld({ layout: 'page*512' });
    const t = getThread(w, 'tester');
    runAs(w, t, () => mmap_read_unlock(w.mm));
    runAs(w, t, () => {
      mmap_read_lock(w.mm);
      mmap_read_unlock(w.mm);
      mmap_read_unlock(w.mm);
    });
    expect(w.bugs.map((b) => b.kind)).toEqual(['unlock-not-held', 'double-unlock']);
  });

  it('taking the mmap lock for read twice → recursive-lock; write while holding read → deadlock (throws KernelHang)', () => {
    const w = makeWorld({ layout: 'page*512' });
    const t = getThread(w, 'tester');
    runAs(w, t, () => {
      mmap_read_lock(w.mm);
      mmap_read_lock(w.mm);
      expect(() => mmap_write_lock(w.mm)).toThrow(/mmap_write_lock/);
    });
    expect(w.bugs.map((b) => b.kind)).toEqual(['recursive-lock', 'deadlock']);
  });

  it('ptep_get through another thread\'s mapping → pte-read-unmapped', () => {
    const w = makeWorld({ layout: 'page*512' });
    const a = getThread(w, 'a');
    const b = getThread(w, 'b');
    const ptl: Ref<spinlock_t | null> = { value: null };
    const pte = runAs(w, a, () => pte_offset_map_ro_nolock(w.mm, w.mm.pmds[0], w.vma.vm_start, ptl))!;
    runAs(w, b, () => ptep_get(pte.add(3)));
    expect(w.bugs.map((x) => x.kind)).toEqual(['pte-read-unmapped']);
    expect(w.bugs[0].message).toContain('mapped by a, not by b');
    runAs(w, a, () => pte_unmap_unlock(pte, null));
    expect(w.bugs.at(-1)!.kind).toBe('unlock-not-held');
  });

  it('lru_add_drain without an mm says what to pass', () => {
    expect(() => (lru_add_drain as unknown as () => void)()).toThrow(/pass the mm/);
  });
});
