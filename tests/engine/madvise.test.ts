/**
 * MADV_COLLAPSE (madvise_collapse) over several PMDs: which results continue, which stop, the
 * errno mapping (kernel-facts §2.3 "Madvise semantics", §7.5), and khugepaged's one-attempt-per-
 * pass behaviour over several PMDs.
 */
import { describe, it, expect } from 'vitest';
import { makeWorld, runCollapse, pte_pfn, SCAN_PAGE_LRU, SCAN_SUCCEED, type World } from 'collapse-lab/engine';

const huge = (w: World) => w.mm.pmds.map((p) => p.entry.type === 'huge');

describe('madvise_collapse over several PMDs', () => {
  it('after: SCAN_PTE_NON_PRESENT continues with the next range; the call ends -EINVAL', () => {
    const w = makeWorld({ layouts: ['page*512', 'page*511,guard', 'page*512'], kernel: 'after' });
    const r = runCollapse(w, { madvise: true });
    expect(huge(w)).toEqual([true, false, true]);
    expect(r.errno).toBe('EINVAL');
    // top-level result = the last range attempted (collapse contract); errno is the call's
    expect(r.result).toBe('SCAN_SUCCEED');
    expect(r.pmds.map((p) => p.result)).toEqual(['SCAN_SUCCEED', 'SCAN_PTE_NON_PRESENT', 'SCAN_SUCCEED']);
    expect(w.attempt.madvise!.results).toEqual([1, 8, 1]);
    expect(r.bugs).toEqual([]);
  });

  it('before: SCAN_FAIL (guard handed to do_swap_page) stops the whole call; the third range is never tried', () => {
    const w = makeWorld({ layouts: ['page*512', 'page*511,guard', 'page*512'], kernel: 'before' });
    const r = runCollapse(w, { madvise: true });
    expect(huge(w)).toEqual([true, false, false]);
    expect(r.errno).toBe('EINVAL');
    expect(r.result).toBe('SCAN_FAIL');
    expect(w.attempt.madvise!.results).toEqual([1, 0]);
  });

  it('every range huge → 0; an already-huge range counts as done (SCAN_PMD_MAPPED)', () => {
    const w = makeWorld({ layouts: ['page*512', 'page*512'], kernel: 'after' });
    expect(runCollapse(w, { madvise: true }).errno).toBe(0);
    const again = runCollapse(w, { madvise: true });
    expect(again.errno).toBe(0);
    expect(w.attempt.madvise!.results).toEqual([4, 4]);
    expect(again.allocated).toBe(false);
  });

  it('SCAN_EXCEED_NONE_PTE (uffd rule) stops the call with -EBUSY', () => {
    const w = makeWorld({ layouts: ['page*511,none', 'page*512'], uffd: 'wp' });
    const r = runCollapse(w, { madvise: true });
    expect(r.errno).toBe('EBUSY');
    expect(huge(w)).toEqual([false, false]);
  });

  it('a folio off the LRU (SCAN_PAGE_LRU) continues, and the call ends -EAGAIN', () => {
    const w = makeWorld({ layouts: ['page*512', 'page*512'] });
    const t = w.mm.pmds[0].entry.type === 'table' ? w.mm.pmds[0].entry.table : null;
    w.pages.get(pte_pfn(t!.ptes[7]))!.folio.lru = false;
    const r = runCollapse(w, { madvise: true });
    expect(w.attempt.madvise!.results).toEqual([SCAN_PAGE_LRU, SCAN_SUCCEED]);
    expect(SCAN_PAGE_LRU, 'mm-new numbering (no SCAN_PAGE_RO)').toBe(15);
    expect(r.errno).toBe('EAGAIN');
    expect(huge(w)).toEqual([false, true]);
  });

  it('the mmap lock is held again when madvise_collapse returns (the caller unlocks it once, no bugs)', () => {
    const w = makeWorld({ layouts: ['page*448,swap*64', 'page*512'] });
    const r = runCollapse(w, { madvise: true });
    expect(r.bugs).toEqual([]);
    const locks = r.trace.filter((e) => e.name.startsWith('mmap_read'));
    expect(locks.at(-1)!.name).toBe('mmap_read_unlock');
    expect(locks.at(-1)!.args.by).toBe('madvise');
  });
});

describe('khugepaged over several PMDs', () => {
  // khugepaged_do_scan() calls khugepaged_scan_mm_slot() until pages_to_scan (4096 = 8 PMDs)
  // are used; each call returns after a collapse attempt (the lock was dropped) and the next
  // resumes at the next PMD (mm/khugepaged.c, khugepaged_do_scan / khugepaged_scan_mm_slot).
  it('one wake-up scans every PMD: the scan after a collapse attempt resumes at the next PMD', () => {
    const w = makeWorld({ layouts: ['page*512', 'page*512'] });
    const r = runCollapse(w);
    expect(huge(w)).toEqual([true, true]);
    expect(r.mmap_locked).toBe(false);
    expect(r.trace.filter((e) => e.name === 'mm_khugepaged_scan_pmd').map((e) => e.args.result)).toEqual(['SCAN_SUCCEED', 'SCAN_SUCCEED']);
    const again = runCollapse(w); // the next wake-up: both are already huge
    expect(again.pmds.map((p) => p.result)).toEqual(['SCAN_PMD_MAPPED', 'SCAN_PMD_MAPPED']);
  });

  it('a wake-up scans at most pages_to_scan = 4096 pages: 8 of 9 PMDs', () => {
    const w = makeWorld({ layouts: new Array(9).fill('page*512') });
    const r = runCollapse(w);
    expect(r.pmds.map((p) => p.collapsed)).toEqual([true, true, true, true, true, true, true, true, false]);
    expect(r.pmds[8].scanned).toBe(false);
  });

  it('the first allocation failure sleeps and goes on, the second ends the wake-up', () => {
    const w = makeWorld({ layouts: ['page*512', 'page*512', 'page*512'], fail_alloc: true });
    const r = runCollapse(w);
    expect(r.pmds.map((p) => p.result)).toEqual(['SCAN_ALLOC_HUGE_PAGE_FAIL', 'SCAN_ALLOC_HUGE_PAGE_FAIL', null]);
    expect(r.trace.filter((e) => e.name === 'alloc_sleep')).toHaveLength(1);
    expect(r.counters.thp_collapse_alloc_failed).toBe(2);
  });

  it('after: a scan abort keeps the lock, so the same pass goes on to the next PMD', () => {
    const w = makeWorld({ layouts: ['page*511,guard', 'page*512'], kernel: 'after' });
    const r = runCollapse(w);
    expect(huge(w)).toEqual([false, true]);
    expect(r.trace.filter((e) => e.name === 'mm_khugepaged_scan_pmd').map((e) => e.args.result)).toEqual(['SCAN_PTE_NON_PRESENT', 'SCAN_SUCCEED']);
  });
});
