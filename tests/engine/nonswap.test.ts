/**
 * Before/after the patch for every non-swap kind (kernel-facts §1.2, §1.3, §4, §7):
 * what the scan returns, whether a huge page was allocated, whether do_swap_page saw a
 * non-swap entry, and how max_ptes_swap counts them.
 */
import { describe, it, expect } from 'vitest';
import { makeWorld, runCollapse, NON_SWAP_LAYOUT_KINDS, pte_to_swp_entry, swp_offset_pfn, type CollapseReport, type World } from 'collapse-lab/engine';

function run(opts: Parameters<typeof makeWorld>[0], madvise = false): { world: World; r: CollapseReport } {
  const world = makeWorld(opts);
  return { world, r: runCollapse(world, { madvise }) };
}

const kinds = (r: CollapseReport) => r.bugs.map((b) => b.kind);

/** Before the patch, per non-swap kind at the last slot (khugepaged, 511 young pages). */
const BEFORE: Record<string, { result: string; scan: string; allocated: boolean; collapsed: boolean; reaches_do_swap_page: boolean }> = {
  migration: { result: 'SCAN_SUCCEED', scan: 'SCAN_SUCCEED', allocated: true, collapsed: true, reaches_do_swap_page: true },
  'migration-w': { result: 'SCAN_SUCCEED', scan: 'SCAN_SUCCEED', allocated: true, collapsed: true, reaches_do_swap_page: true },
  'migration+uffd': { result: 'SCAN_PTE_UFFD_WP', scan: 'SCAN_PTE_UFFD_WP', allocated: false, collapsed: false, reaches_do_swap_page: false },
  'device-private': { result: 'SCAN_SUCCEED', scan: 'SCAN_SUCCEED', allocated: true, collapsed: true, reaches_do_swap_page: true },
  'device-exclusive': { result: 'SCAN_SUCCEED', scan: 'SCAN_SUCCEED', allocated: true, collapsed: true, reaches_do_swap_page: true },
  hwpoison: { result: 'SCAN_FAIL', scan: 'SCAN_SUCCEED', allocated: true, collapsed: false, reaches_do_swap_page: true },
  guard: { result: 'SCAN_FAIL', scan: 'SCAN_SUCCEED', allocated: true, collapsed: false, reaches_do_swap_page: true },
  poison: { result: 'SCAN_FAIL', scan: 'SCAN_SUCCEED', allocated: true, collapsed: false, reaches_do_swap_page: true },
  'uffd-marker': { result: 'SCAN_PTE_UFFD_WP', scan: 'SCAN_PTE_UFFD_WP', allocated: false, collapsed: false, reaches_do_swap_page: false },
};

describe('every non-swap kind, before and after the patch (khugepaged)', () => {
  it('the table covers every non-swap layout kind', () => {
    expect(Object.keys(BEFORE).sort()).toEqual([...NON_SWAP_LAYOUT_KINDS].sort());
  });

  for (const kind of Object.keys(BEFORE)) {
    const want = BEFORE[kind];
    it(`${kind}: before → ${want.result}${want.reaches_do_swap_page ? ' after do_swap_page saw it' : ' in the scan'}`, () => {
      const { world, r } = run({ layout: `page*511,${kind}`, kernel: 'before' });
      expect(r.result).toBe(want.result);
      expect(r.scan_result).toBe(want.scan);
      expect(r.allocated).toBe(want.allocated);
      expect(r.collapsed).toBe(want.collapsed);
      expect(r.do_swap_page_calls.some((c) => c.non_swap && c.slot === 511)).toBe(want.reaches_do_swap_page);
      expect(kinds(r).includes('non-swap-to-do_swap_page')).toBe(want.reaches_do_swap_page);
      if (want.allocated && !want.collapsed) expect(r.counters.huge_alloc_then_freed).toBe(1);
      if (want.collapsed) expect(r.contents_ok).toBe(true);
      // no lock is ever leaked before the patch: do_swap_page errors unlock on the way out
      expect(kinds(r).filter((k) => k !== 'non-swap-to-do_swap_page')).toEqual([]);
      expect(world.mm.mmap_lock.readers.size).toBe(0);
    });

    for (const kernel of ['after', 'v3-as-posted'] as const) {
      it(`${kind}: ${kernel} → SCAN_PTE_NON_PRESENT in the scan, nothing allocated, mmap lock kept`, () => {
        const { r } = run({ layout: `page*511,${kind}`, kernel });
        expect(r.result).toBe('SCAN_PTE_NON_PRESENT');
        expect(r.scan_result).toBe('SCAN_PTE_NON_PRESENT');
        expect(r.allocated).toBe(false);
        expect(r.do_swap_page_calls).toEqual([]);
        expect(r.mmap_locked).toBe(true);
        expect(r.bugs).toEqual([]);
        expect(r.trace.filter((e) => e.name === 'mmap_read_unlock')).toHaveLength(1);
      });
    }
  }

  it('result codes that change: uffd-wp marker and migration+uffd go from SCAN_PTE_UFFD_WP to SCAN_PTE_NON_PRESENT', () => {
    for (const kind of ['uffd-marker', 'migration+uffd']) {
      expect(run({ layout: `page*511,${kind}`, kernel: 'before' }).r.result).toBe('SCAN_PTE_UFFD_WP');
      expect(run({ layout: `page*511,${kind}`, kernel: 'after' }).r.result).toBe('SCAN_PTE_NON_PRESENT');
    }
  });

  it('a real swap entry with the uffd-wp bit stays SCAN_PTE_UFFD_WP on both sides (pte_swp_uffd_wp)', () => {
    for (const kernel of ['before', 'after'] as const) {
      expect(run({ layout: 'page*511,swap+uffd', kernel }).r.result).toBe('SCAN_PTE_UFFD_WP');
    }
  });

  it('the first failing PTE in index order decides: guard before uffd-marker gives NON_PRESENT after, UFFD_WP before', () => {
    expect(run({ layout: 'page*510,guard,uffd-marker', kernel: 'after' }).r.result).toBe('SCAN_PTE_NON_PRESENT');
    expect(run({ layout: 'page*510,guard,uffd-marker', kernel: 'before' }).r.result).toBe('SCAN_PTE_UFFD_WP');
  });
});

describe('max_ptes_swap accounting (§7.1, §7.2)', () => {
  it('before: 65 migration entries exceed max_ptes_swap (64) — counted as swap; after: aborted at the first, never counted', () => {
    const before = run({ layout: 'page*447,migration*65', kernel: 'before' }).r;
    expect(before.result).toBe('SCAN_EXCEED_SWAP_PTE');
    expect(before.counters.thp_scan_exceed_swap_pte).toBe(1);
    const after = run({ layout: 'page*447,migration*65', kernel: 'after' }).r;
    expect(after.result).toBe('SCAN_PTE_NON_PRESENT');
    expect(after.counters.thp_scan_exceed_swap_pte).toBe(0);
  });

  it('the counter is incremented before the comparison: the 65th swap PTE fails, 64 pass', () => {
    for (const kernel of ['before', 'after'] as const) {
      const at = run({ layout: 'page*448,swap*64', kernel }).r;
      expect(at.result).toBe('SCAN_SUCCEED');
      const over = run({ layout: 'page*447,swap*65', kernel }).r;
      expect(over.result).toBe('SCAN_EXCEED_SWAP_PTE');
      const tr = over.trace.find((e) => e.name === 'mm_khugepaged_scan_pmd')!;
      expect(tr.args.unmapped).toBe(65);
    }
  });

  it('max_ptes_swap=0: one migration entry is EXCEED_SWAP before, NON_PRESENT after', () => {
    expect(run({ layout: 'page*511,migration', kernel: 'before', knobs: { max_ptes_swap: 0 } }).r.result).toBe('SCAN_EXCEED_SWAP_PTE');
    expect(run({ layout: 'page*511,migration', kernel: 'after', knobs: { max_ptes_swap: 0 } }).r.result).toBe('SCAN_PTE_NON_PRESENT');
  });

  it('after: a real swap PTE followed by a non-swap entry — unmapped counts only the swap PTE', () => {
    const r = run({ layout: 'page*510,swap,guard', kernel: 'after' }).r;
    const tr = r.trace.find((e) => e.name === 'mm_khugepaged_scan_pmd')!;
    expect(tr.args.unmapped).toBe(1);
    expect(r.result).toBe('SCAN_PTE_NON_PRESENT');
    const b = run({ layout: 'page*510,swap,guard', kernel: 'before' }).r;
    expect(b.trace.find((e) => e.name === 'mm_khugepaged_scan_pmd')!.args.unmapped).toBe(2);
  });

  it('before: non-swap entries count against the referenced rule (unmapped > 0 needs 256 young pages)', () => {
    const r = run({ layout: 'old*300,page*211,guard', kernel: 'before' }).r;
    expect(r.result).toBe('SCAN_LACK_REFERENCED_PAGE');
    // after: the guard aborts first, whatever the referenced count
    expect(run({ layout: 'old*300,page*211,guard', kernel: 'after' }).r.result).toBe('SCAN_PTE_NON_PRESENT');
    // with no unmapped entry at all, 211 young pages are enough
    expect(run({ layout: 'old*300,page*212', kernel: 'after' }).r.result).toBe('SCAN_SUCCEED');
  });
});

describe('do_swap_page on non-swap entries (before the patch)', () => {
  it('migration: the waiter lets the migration finish; the collapsed page holds the migrated data', () => {
    const { world, r } = run({ layout: 'page*511,migration', kernel: 'before' });
    expect(r.collapsed).toBe(true);
    expect(r.contents_ok).toBe(true);
    expect(world.mm.pmds[0].entry.type === 'huge' && world.mm.pmds[0].entry.folio.pages[511].content).toBe('P511');
    expect(r.trace.some((e) => e.name === 'actor' && e.args.actor === 'migration_finish')).toBe(true);
  });

  it('guard → VM_FAULT_SIGSEGV, poison and hwpoison → VM_FAULT_HWPOISON: SCAN_FAIL after allocating', () => {
    const rets: Record<string, string> = { guard: 'VM_FAULT_SIGSEGV', poison: 'VM_FAULT_HWPOISON', hwpoison: 'VM_FAULT_HWPOISON' };
    for (const [kind, ret] of Object.entries(rets)) {
      const r = run({ layout: `page*511,${kind}`, kernel: 'before' }).r;
      const ev = r.trace.find((e) => e.name === 'do_swap_page')!;
      expect(ev.args.ret, kind).toBe(ret);
      expect(r.result).toBe('SCAN_FAIL');
      const sw = r.trace.find((e) => e.name === 'mm_collapse_huge_page_swapin')!;
      expect(sw.args.ret).toBe('SCAN_FAIL');
    }
  });

  it('uffd-wp marker reaching do_swap_page (window race): cleared if the VMA is not uffd-wp registered', () => {
    const { world, r } = run({ layout: 'page*448,swap*64', kernel: 'before', window: '10=uffd-marker' });
    expect(r.bugs.map((b) => b.kind)).toEqual(['non-swap-to-do_swap_page']);
    expect(r.collapsed).toBe(true);
    expect(world.mm.pmds[0].entry.type === 'huge' && world.mm.pmds[0].entry.folio.pages[10].content).toBe('0');
  });

  it('uffd-wp marker with a uffd-wp registered VMA: missing-page fault maps the zero page, then the uffd rule stops isolate', () => {
    const { r } = run({ layout: 'page*448,swap*64', kernel: 'before', uffd: 'wp', window: '10=uffd-marker' });
    expect(r.bugs.map((b) => b.kind)).toEqual(['non-swap-to-do_swap_page']);
    expect(r.result).toBe('SCAN_EXCEED_NONE_PTE');
    expect(r.trace.some((e) => e.name === 'mm_collapse_huge_page_isolate' && e.args.result === 'SCAN_EXCEED_NONE_PTE')).toBe(true);
  });

  it('device-exclusive whose folio is locked: VM_FAULT_RETRY with the mmap lock dropped → SCAN_PAGE_LOCK, no leak', () => {
    const world = makeWorld({ layout: 'page*511,device-exclusive', kernel: 'before' });
    const table = world.mm.pmds[0].entry.type === 'table' ? world.mm.pmds[0].entry.table : null;
    const pfn = swp_offset_pfn(pte_to_swp_entry(table!.ptes[511]));
    const page = world.pages.get(pfn)!;
    page.folio.locked = true;
    const r = runCollapse(world);
    expect(r.result).toBe('SCAN_PAGE_LOCK');
    expect(r.bugs.map((b) => b.kind)).toEqual(['non-swap-to-do_swap_page']);
    expect(r.mmap_locked).toBe(false);
    expect(world.mm.mmap_lock.readers.size).toBe(0);
  });
});

describe('uffd and knob rules', () => {
  it('uffd-armed VMA: a none/zero PTE fails with SCAN_EXCEED_NONE_PTE even for MADV_COLLAPSE', () => {
    for (const kernel of ['before', 'after'] as const) {
      const { r } = run({ layout: 'page*511,zero', kernel, uffd: 'missing' }, true);
      expect(r.result).toBe('SCAN_EXCEED_NONE_PTE');
      expect(r.errno).toBe('EBUSY');
    }
  });

  it('page+uffd (present, uffd-wp protected) → SCAN_PTE_UFFD_WP on both sides', () => {
    for (const kernel of ['before', 'after'] as const) expect(run({ layout: 'page*511,page+uffd', kernel }).r.result).toBe('SCAN_PTE_UFFD_WP');
  });

  // mm-new (Oct 2025) has no writable requirement any more (Dev Jain, "mm: enable khugepaged
  // anonymous collapse on non-writable regions", kernel-facts §2.3): a PMD with no writable PTE
  // collapses, and neither tracepoint carries a `writable` field.
  it('a PMD of write-protected shared pages collapses (no SCAN_PAGE_RO in the baseline), and no tracepoint has `writable`', () => {
    for (const kernel of ['before', 'after'] as const) {
      const r = run({ layout: 'shared*256,zero*256', kernel }).r;
      expect(r.result).toBe('SCAN_SUCCEED');
      const tps = r.trace.filter((e) => e.name === 'mm_khugepaged_scan_pmd' || e.name === 'mm_collapse_huge_page_isolate');
      expect(tps.map((e) => e.name)).toEqual(['mm_collapse_huge_page_isolate', 'mm_khugepaged_scan_pmd']);
      for (const e of tps) expect(Object.keys(e.args), e.name).not.toContain('writable');
    }
  });

  it('old pages only: khugepaged needs at least one referenced page (SCAN_LACK_REFERENCED_PAGE), MADV_COLLAPSE does not', () => {
    expect(run({ layout: 'old*512', kernel: 'after' }).r.result).toBe('SCAN_LACK_REFERENCED_PAGE');
    expect(run({ layout: 'old*512', kernel: 'after' }, true).r.result).toBe('SCAN_SUCCEED');
  });

  it('allocation failure → SCAN_ALLOC_HUGE_PAGE_FAIL, thp_collapse_alloc_failed, MADV_COLLAPSE -ENOMEM', () => {
    const k = run({ layout: 'page*512', fail_alloc: true }).r;
    expect(k.result).toBe('SCAN_ALLOC_HUGE_PAGE_FAIL');
    expect(k.counters.thp_collapse_alloc_failed).toBe(1);
    expect(run({ layout: 'page*512', fail_alloc: true }, true).r.errno).toBe('ENOMEM');
  });
});
