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
    expect(r.result).toBe('SCAN_PTE_NON_PRESENT');
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
  it('stops after the first collapse attempt of a pass (the lock was dropped)', () => {
    const w = makeWorld({ layouts: ['page*512', 'page*512'] });
    const r = runCollapse(w);
    expect(huge(w)).toEqual([true, false]);
    expect(r.mmap_locked).toBe(false);
    runCollapse(w); // next pass: PMD 0 is already huge (SCAN_PMD_MAPPED), PMD 1 collapses
    expect(huge(w)).toEqual([true, true]);
  });

  it('after: a scan abort keeps the lock, so the same pass goes on to the next PMD', () => {
    const w = makeWorld({ layouts: ['page*511,guard', 'page*512'], kernel: 'after' });
    const r = runCollapse(w);
    expect(huge(w)).toEqual([false, true]);
    expect(r.trace.filter((e) => e.name === 'mm_khugepaged_scan_pmd').map((e) => e.args.result)).toEqual(['SCAN_PTE_NON_PRESENT', 'SCAN_SUCCEED']);
  });
});
