/**
 * The cases of engine round 2 (issue 11), each against the kernel's answer. Sources:
 * kernel-facts (KF) sections, the kernel functions named, their elixir lines
 * (https://elixir.bootlin.com/linux/v6.17/source/mm/khugepaged.c unless said otherwise), and
 * the selftests (tools/testing/selftests/mm/khugepaged.c). Where the baseline differs from
 * v6.17 (no SCAN_PAGE_RO) the mm-new tree of early October 2025 is meant (KF §2.3).
 */
import { describe, it, expect } from 'vitest';
import {
  makeWorld,
  runCollapse,
  parseLayout,
  LayoutError,
  pte_present,
  is_swap_pte,
  pte_to_swp_entry,
  swp_type,
  non_swap_entry,
  classifyPte,
  formatPte,
  pte_flags_pkey,
  pte_val,
  MAX_SWAPFILES,
  SWP_PTE_MARKER,
  KERNELS,
  pte_pfn,
  type CollapseReport,
  type World,
  type MakeWorldOptions,
  type pte_t,
} from 'collapse-lab/engine';

function run(opts: MakeWorldOptions, madvise = false): { w: World; r: CollapseReport } {
  const w = makeWorld(opts);
  return { w, r: runCollapse(w, { madvise }) };
}
const ptesOf = (w: World, pmd = 0): pte_t[] => {
  const e = w.mm.pmds[pmd].entry;
  if (e.type !== 'table') throw new Error(`PMD ${pmd} has no table`);
  return e.table.ptes;
};
const huge = (w: World) => w.mm.pmds.map((p) => p.entry.type === 'huge');

describe('no-table: the PMD has no PTE table (pmd_none)', () => {
  // find_pmd_or_thp_or_none(): pmd_none(pmde) → SCAN_PMD_NONE (KF §2.3 prologue step 1).
  it('khugepaged: SCAN_PMD_NONE, nothing allocated, the mmap lock never dropped', () => {
    const { r } = run({ layout: 'no-table' });
    expect(r.result).toBe('SCAN_PMD_NONE');
    expect(r.allocated).toBe(false);
    expect(r.trace.filter((e) => e.name === 'mm_khugepaged_scan_pmd').map((e) => e.args.status)).toEqual(['pmd_none']);
    expect(r.bugs).toEqual([]);
  });

  // Selftest collapse_empty: MADV_COLLAPSE of a range never touched must fail. madvise_collapse()
  // of the baseline does not list SCAN_PMD_NONE among the results that continue ("continue to
  // collapse on SCAN_PMD_NONE" only came in Nov 2025, KF §1.4), and madvise_collapse_errno() maps
  // it to -EINVAL. (Uncertain: on a real machine an untouched range may lack the PUD too, which
  // gives SCAN_PMD_NULL instead — also -EINVAL.)
  it('MADV_COLLAPSE: -EINVAL (selftest collapse_empty)', () => {
    const { r } = run({ layout: 'no-table' }, true);
    expect(r.result).toBe('SCAN_PMD_NONE');
    expect(r.errno).toBe('EINVAL');
    expect(r.collapsed).toBe(false);
  });

  it('MADV_COLLAPSE stops at an empty PMD (SCAN_PMD_NONE is not a "continue" result); khugepaged goes on', () => {
    const m = run({ layouts: ['no-table', 'page*512'] }, true);
    expect(m.r.pmds.map((p) => p.result)).toEqual(['SCAN_PMD_NONE', null]);
    expect(huge(m.w)).toEqual([false, false]);
    const k = run({ layouts: ['no-table', 'page*512'] });
    expect(k.r.pmds.map((p) => p.result)).toEqual(['SCAN_PMD_NONE', 'SCAN_SUCCEED']);
    expect(huge(k.w)).toEqual([false, true]);
  });

  it('is only a whole layout, never one item among others', () => {
    expect(() => parseLayout('no-table,page*511')).toThrow(/only be the whole layout/);
    expect(() => parseLayout('no-table*512')).toThrow(/only be the whole layout/);
  });
});

describe('several PMDs: the patch changes what a MADV_COLLAPSE caller sees', () => {
  // madvise_collapse(): SCAN_FAIL is not in the continue list → "goto out_maybelock" ends the
  // call; SCAN_PTE_NON_PRESENT is → the next range is tried. Both end in -EINVAL (KF §2.3, §7.5).
  const layouts = ['page*512', 'page*511,guard', 'page*512'];
  it('before: the guard marker reaches do_swap_page, SCAN_FAIL stops the call, PMD 2 is never collapsed', () => {
    const { w, r } = run({ layouts, kernel: 'before' }, true);
    expect(r.pmds.map((p) => [p.result, p.collapsed])).toEqual([['SCAN_SUCCEED', true], ['SCAN_FAIL', false], [null, false]]);
    expect(r.pmds[1].allocated, 'a huge page was allocated for PMD 1 and then freed').toBe(true);
    expect(r.pmds[2].scanned).toBe(false);
    expect(huge(w)).toEqual([true, false, false]);
    expect(r.result, 'top-level result = the last range attempted').toBe('SCAN_FAIL');
    expect(r.errno).toBe('EINVAL');
  });
  it('after: SCAN_PTE_NON_PRESENT moves on, PMD 2 still collapses, the call still returns -EINVAL', () => {
    const { w, r } = run({ layouts, kernel: 'after' }, true);
    expect(r.pmds.map((p) => [p.result, p.collapsed])).toEqual([['SCAN_SUCCEED', true], ['SCAN_PTE_NON_PRESENT', false], ['SCAN_SUCCEED', true]]);
    expect(r.pmds[1].allocated, 'the abort comes before any allocation').toBe(false);
    expect(huge(w)).toEqual([true, false, true]);
    expect(r.result).toBe('SCAN_SUCCEED');
    expect(r.errno).toBe('EINVAL');
  });
  it('khugepaged scans all three on both sides (it does not stop on a failure)', () => {
    for (const kernel of ['before', 'after'] as const) {
      const { w, r } = run({ layouts, kernel });
      expect(r.pmds.every((p) => p.scanned), kernel).toBe(true);
      expect(huge(w), kernel).toEqual([true, false, true]);
    }
  });
});

describe('present pages the scan refuses', () => {
  // Scan checks J (folio_test_locked → SCAN_PAGE_LOCK) and K (!is_refcount_suitable →
  // SCAN_PAGE_COUNT), KF §2.3; madvise_collapse_errno(): PAGE_COUNT, PAGE_LOCK → -EAGAIN, and
  // both are in the continue list.
  const cases = [
    { kind: 'page+pinned', result: 'SCAN_PAGE_COUNT', status: 'not_suitable_page_count' },
    { kind: 'page+locked', result: 'SCAN_PAGE_LOCK', status: 'page_locked' },
  ];
  for (const c of cases) {
    it(`${c.kind}: ${c.result} in the scan, before any allocation, on both sides`, () => {
      for (const kernel of ['before', 'after'] as const) {
        const { r } = run({ layout: `page*300,${c.kind},page*211`, kernel });
        expect(r.result, kernel).toBe(c.result);
        expect(r.allocated, kernel).toBe(false);
        expect(r.trace.find((e) => e.name === 'mm_khugepaged_scan_pmd')!.args.status).toBe(c.status);
      }
    });
    it(`${c.kind}: MADV_COLLAPSE moves on to the next range and returns -EAGAIN`, () => {
      const { w, r } = run({ layouts: [`page*511,${c.kind}`, 'page*512'] }, true);
      expect(r.pmds.map((p) => p.result)).toEqual([c.result, 'SCAN_SUCCEED']);
      expect(huge(w)).toEqual([false, true]);
      expect(r.errno).toBe('EAGAIN');
    });
  }
  it('page+pinned is a GUP pin: refcount one above the mapcount', () => {
    const w = makeWorld({ layout: 'page*511,page+pinned' });
    const f = w.pages.get(pte_pfn(ptesOf(w)[511]))!.folio;
    expect([f._refcount, f._mapcount]).toEqual([2, 1]);
  });
});

describe('page+poisoned: the copy takes a machine check', () => {
  // __collapse_huge_page_copy(): copy_mc_user_highpage() > 0 → SCAN_COPY_MC;
  // __collapse_huge_page_copy_failed() re-installs the PTE table (pmd_populate) and
  // release_pte_pages() puts the isolated folios back; collapse_huge_page()'s out_nolock frees
  // the unused huge folio. (mm/khugepaged.c, v6.8+ where SCAN_COPY_MC exists; KF §2.4 step 12.)
  it('SCAN_COPY_MC after allocating; the PTE table is back unchanged, the huge page freed, the pages back on the LRU', () => {
    const w = makeWorld({ layout: 'page*200,page+poisoned,page*311' });
    const before = ptesOf(w).slice();
    const r = runCollapse(w);
    expect(r.result).toBe('SCAN_COPY_MC');
    expect(r.scan_result, 'the scan cannot see poisoned memory').toBe('SCAN_SUCCEED');
    expect(r.allocated).toBe(true);
    expect(r.collapsed).toBe(false);
    expect(w.mm.pmds[0].entry.type).toBe('table');
    expect(ptesOf(w).every((p, i) => p.lo === before[i].lo && p.hi === before[i].hi)).toBe(true);
    expect(r.counters.huge_alloc_then_freed).toBe(1);
    expect(r.trace.some((e) => e.name === 'copy_mc' && e.args.slot === 200)).toBe(true);
    expect(r.trace.find((e) => e.name === 'mm_collapse_huge_page')!.args.status).toBe('copy_poisoned_page');
    for (const i of [0, 200, 511]) {
      const f = w.pages.get(pte_pfn(ptesOf(w)[i]))!.folio;
      expect({ slot: i, locked: f.locked, lru: f.lru, ref: f._refcount }).toEqual({ slot: i, locked: false, lru: true, ref: 1 });
    }
    expect(r.bugs).toEqual([]);
  });
  it('MADV_COLLAPSE: SCAN_COPY_MC is not a "continue" result: the call stops with -EINVAL', () => {
    const { w, r } = run({ layouts: ['page*511,page+poisoned', 'page*512'] }, true);
    expect(r.pmds.map((p) => p.result)).toEqual(['SCAN_COPY_MC', null]);
    expect(huge(w)).toEqual([false, false]);
    expect(r.errno).toBe('EINVAL');
  });
});

describe('--alloc-fail: the huge-page allocation fails', () => {
  // alloc_charge_folio() → SCAN_ALLOC_HUGE_PAGE_FAIL, THP_COLLAPSE_ALLOC_FAILED;
  // madvise_collapse_errno() → -ENOMEM, and the result is not in the continue list (KF §2.3, §2.4).
  it('khugepaged: SCAN_ALLOC_HUGE_PAGE_FAIL with the lock dropped; MADV_COLLAPSE: -ENOMEM and the call stops', () => {
    const k = run({ layout: 'page*512', fail_alloc: true }).r;
    expect(k.result).toBe('SCAN_ALLOC_HUGE_PAGE_FAIL');
    expect(k.mmap_locked).toBe(false);
    expect(k.counters.thp_collapse_alloc_failed).toBe(1);
    const m = run({ layouts: ['page*512', 'page*512'], fail_alloc: true }, true).r;
    expect(m.errno).toBe('ENOMEM');
    expect(m.pmds.map((p) => p.result)).toEqual(['SCAN_ALLOC_HUGE_PAGE_FAIL', null]);
  });
});

describe('swap@N: real swap entries on swap devices 0–23', () => {
  // MAX_SWAPFILES = 24: types 0–23 are swap devices; non_swap_entry() is type >= 24 (KF §3.2, §3.3).
  for (const n of [1, 7, 23]) {
    it(`swap@${n}: the PTEs carry swap type ${n}, count against max_ptes_swap, and swap in on both sides`, () => {
      for (const kernel of ['before', 'after'] as const) {
        const { w, r } = run({ layout: `page*448,swap@${n}*64`, kernel });
        expect(r.result, kernel).toBe('SCAN_SUCCEED');
        expect(r.swapped_in, kernel).toBe(64);
        expect(r.contents_ok, kernel).toBe(true);
        expect(r.do_swap_page_calls.every((c) => !c.non_swap), kernel).toBe(true);
        expect(w.swap_info[n].swap_map.every((c) => c === 0), 'every slot of the device was freed').toBe(true);
      }
      const w = makeWorld({ layout: `page*448,swap@${n}*64` });
      expect(swp_type(pte_to_swp_entry(ptesOf(w)[500]))).toBe(n);
      expect(non_swap_entry(pte_to_swp_entry(ptesOf(w)[500]))).toBe(false);
    });
  }
  it('mixed devices: 65 swap entries over devices 0, 5 and 23 exceed max_ptes_swap=64 (counted together)', () => {
    // hpage_collapse_scan_pmd(): ++unmapped then compare, whatever the device (KF §2.3 A, §7.1).
    for (const kernel of ['before', 'after'] as const) {
      expect(run({ layout: 'page*447,swap*20,swap@5*20,swap@23*25', kernel }).r.result, kernel).toBe('SCAN_EXCEED_SWAP_PTE');
      expect(run({ layout: 'page*448,swap*20,swap@5*20,swap@23*24', kernel }).r.result, kernel).toBe('SCAN_SUCCEED');
    }
  });
  it('swap@23+uffd carries the swap-PTE uffd-wp bit: SCAN_PTE_UFFD_WP on both sides', () => {
    for (const kernel of ['before', 'after'] as const) {
      expect(run({ layout: 'page*511,swap@23+uffd', kernel }).r.result, kernel).toBe('SCAN_PTE_UFFD_WP');
    }
  });
  it('swap@24 does not exist: the message says MAX_SWAPFILES is 24', () => {
    expect(() => parseLayout('page*511,swap@24')).toThrow(LayoutError);
    expect(() => parseLayout('page*511,swap@24')).toThrow(/MAX_SWAPFILES is 24/);
    expect(() => parseLayout('page*511,swap@x')).toThrow(/whole number from 0 to 23/);
    expect(parseLayout('page*511,swap@0')[511], 'swap@0 is spelled swap').toBe('swap');
    expect(MAX_SWAPFILES).toBe(24);
  });
});

describe('page+pkey: a present PTE whose high bits look like a swap type', () => {
  // x86-64: protection key in bits 59–62, NX in 63 (arch/x86/include/asm/pgtable_types.h); a
  // swap-format PTE keeps its type in the same bits. Only a NON-present PTE is a swap PTE
  // (is_swap_pte = !none && !present, KF §3.3) — decoding a present one is a mistake the
  // kernel's own code never makes, and the engine lets a learner make it.
  it('is present and not a swap PTE; misread as one it says type 31 (SWP_PTE_MARKER)', () => {
    const w = makeWorld({ layout: 'page*511,page+pkey' });
    const pte = ptesOf(w)[511];
    expect(pte_present(pte)).toBe(true);
    expect(is_swap_pte(pte)).toBe(false);
    expect(classifyPte(pte)).toBe('present');
    expect(pte_flags_pkey(pte_val(pte))).toBe(15);
    expect(swp_type(pte_to_swp_entry(pte)), 'the decoder does not refuse a present PTE').toBe(SWP_PTE_MARKER);
    expect(non_swap_entry(pte_to_swp_entry(pte))).toBe(true);
    expect(formatPte(pte)).toMatch(/PKEY=15/);
    expect(formatPte(pte)).toMatch(/read 31, SWP_PTE_MARKER, if misread as a swap PTE — it is present/);
  });
  it('the kernel collapses it like any page, on both sides', () => {
    for (const kernel of ['before', 'after'] as const) {
      const { r } = run({ layout: 'page*256,page+pkey*256', kernel });
      expect(r.result, kernel).toBe('SCAN_SUCCEED');
      expect(r.contents_ok, kernel).toBe(true);
    }
  });
  it('a scan that decodes before testing pte_present() aborts on it — the report shows the mistake', () => {
    const after = KERNELS.after.hpage_collapse_scan_pmd;
    const { r } = run({
      layout: 'page*511,page+pkey',
      ops: {
        // a deliberately wrong scan: the non-swap test on every non-none PTE
        hpage_collapse_scan_pmd(mm, vma, start, locked, cc) {
          const e = mm.pmds[0].entry;
          if (e.type === 'table' && e.table.ptes.some((p) => p.lo !== 0 && non_swap_entry(pte_to_swp_entry(p)))) return 8;
          return after(mm, vma, start, locked, cc);
        },
      },
    });
    expect(r.result).toBe('SCAN_PTE_NON_PRESENT');
    expect(r.collapsed).toBe(false);
  });
});

describe('v3 as posted over several PMDs', () => {
  // [DERIVED] kernel-facts §1.2: the v3 swap-in hunk returns with the mmap read lock still held;
  // collapse_huge_page() trusts the contract and the caller sets mmap_locked = false. khugepaged
  // then resumes at the next PMD (khugepaged_do_scan → khugepaged_scan_mm_slot), takes the read
  // lock again, and its collapse waits forever in mmap_write_lock() behind its own read hold.
  it('khugepaged takes the leaked read lock again at the next PMD and hangs in mmap_write_lock', () => {
    const { r } = run({ layouts: ['page*448,swap*64', 'page*512'], kernel: 'v3-as-posted', window: '460=guard' });
    expect(r.hung).toBe(true);
    expect(r.result).toBe('DEADLOCK');
    expect(r.pmds[0].result).toBe('SCAN_PTE_NON_PRESENT');
    const kinds = r.bugs.map((b) => b.kind);
    expect(kinds).toContain('recursive-lock');
    expect(kinds).toContain('deadlock');
  });
  it('the fixed guard (after) leaves cleanly and the next PMD collapses', () => {
    const { w, r } = run({ layouts: ['page*448,swap*64', 'page*512'], kernel: 'after', window: '460=guard' });
    expect(r.hung).toBe(false);
    expect(r.bugs).toEqual([]);
    expect(huge(w)).toEqual([false, true]);
  });
});
