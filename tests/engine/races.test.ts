/**
 * The window (kernel-facts §1.2(b), §7.6–7.10): PTEs that change while khugepaged has dropped
 * the mmap lock, the swap-in guard that must re-read them, the v3-as-posted leak, isolate as the
 * last line of defence, and determinism of schedules.
 */
import { describe, it, expect } from 'vitest';
import {
  classifyPte,
  makeWorld,
  runCollapse,
  runStep,
  getThread,
  runAs,
  spin_lock,
  mmap_write_lock,
  mmap_write_unlock,
  collapsedContents,
  slotContent,
  ZERO_CONTENT,
  HPAGE_PMD_NR,
  type CollapseReport,
  type Schedule,
} from 'collapse-lab/engine';

const LAYOUT = 'page*448,swap*64'; // slots 448..511 are swap entries
const run = (opts: Parameters<typeof makeWorld>[0], madvise = false): CollapseReport => runCollapse(makeWorld(opts), { madvise });
const bugKinds = (r: CollapseReport) => r.bugs.map((b) => b.kind);

describe('a swap PTE that changes in the allocation window', () => {
  for (const kind of ['migration', 'guard'] as const) {
    it(`swap → ${kind} at 'alloc': before, do_swap_page receives it (bug recorded)`, () => {
      const r = run({ layout: LAYOUT, kernel: 'before', window: `450=${kind}` });
      expect(bugKinds(r)).toEqual(['non-swap-to-do_swap_page']);
      const call = r.do_swap_page_calls.find((c) => c.slot === 450)!;
      expect(call.non_swap).toBe(true);
      expect(r.bugs[0].path).toEqual(['khugepaged', 'hpage_collapse_scan_pmd', 'collapse_huge_page', '__collapse_huge_page_swapin', 'do_swap_page']);
      if (kind === 'guard') {
        expect(r.result).toBe('SCAN_FAIL');
        expect(r.counters.wasted_swapins).toBe(2); // slots 448 and 449 were swapped in for nothing
      } else {
        expect(r.result).toBe('SCAN_SUCCEED'); // the migration finished while we waited
        expect(r.contents_ok).toBe(true);
      }
    });

    it(`swap → ${kind} at 'alloc': after, the swap-in guard stops it (SCAN_PTE_NON_PRESENT, lock released, no bug)`, () => {
      const r = run({ layout: LAYOUT, kernel: 'after', window: `450=${kind}` });
      expect(r.result).toBe('SCAN_PTE_NON_PRESENT');
      expect(r.bugs).toEqual([]);
      expect(r.do_swap_page_calls.every((c) => !c.non_swap)).toBe(true);
      expect(r.do_swap_page_calls.map((c) => c.slot)).toEqual([448, 449]);
      expect(r.allocated).toBe(true);
      expect(r.counters.huge_alloc_then_freed).toBe(1);
      expect(r.counters.wasted_swapins).toBe(2);
      expect(r.mmap_locked).toBe(false);
      const sw = r.trace.find((e) => e.name === 'mm_collapse_huge_page_swapin')!;
      expect(sw.locks).toEqual([]); // nothing held when swap-in returned
    });
  }

  it('v3-as-posted reports the leaked mmap lock and PTE mapping, while the caller sees mmap_locked = false', () => {
    const world = makeWorld({ layout: LAYOUT, kernel: 'v3-as-posted', window: '450=migration' });
    const r = runCollapse(world);
    expect(r.result).toBe('SCAN_PTE_NON_PRESENT');
    expect(r.mmap_locked).toBe(false);
    const msgs = r.bugs.map((b) => `${b.kind}: ${b.message}`);
    expect(msgs).toContain(
      'contract: __collapse_huge_page_swapin returned SCAN_PTE_NON_PRESENT with mmap_lock still held for read (its contract: released on failure)',
    );
    expect(bugKinds(r)).toContain('leaked-lock');
    expect(bugKinds(r)).toContain('pte-mapping-leaked');
    expect(r.bugs.find((b) => b.kind === 'contract')!.path.at(-1)).toBe('__collapse_huge_page_swapin');
    expect(bugKinds(r)).not.toContain('non-swap-to-do_swap_page');
  });

  it('v3-as-posted with MADV_COLLAPSE over two PMDs: the leaked read lock makes the next collapse hang', () => {
    const world = makeWorld({ layouts: [LAYOUT, 'page*512'], kernel: 'v3-as-posted', window: '450=guard' });
    const r = runCollapse(world, { madvise: true });
    expect(r.hung).toBe(true);
    expect(r.result).toBe('DEADLOCK');
    expect(bugKinds(r)).toContain('recursive-lock');
    expect(bugKinds(r)).toContain('deadlock');
    expect(world.mm.pmds[1].entry.type).toBe('table');
  });

  it('after, the same two-PMD MADV_COLLAPSE continues past SCAN_PTE_NON_PRESENT and collapses the second PMD', () => {
    const world = makeWorld({ layouts: [LAYOUT, 'page*512'], kernel: 'after', window: '450=guard' });
    const r = runCollapse(world, { madvise: true });
    expect(r.bugs).toEqual([]);
    expect(world.mm.pmds[0].entry.type).toBe('table');
    expect(world.mm.pmds[1].entry.type).toBe('huge');
    expect(r.errno).toBe('EINVAL');
    expect(world.attempt.madvise!.results.map((x) => x)).toHaveLength(2);
  });
});

describe('isolate is the last line of defence (§7.8, §7.9)', () => {
  for (const kernel of ['before', 'after', 'v3-as-posted'] as const) {
    it(`${kernel}: a PTE that changes when the scan saw no swap PTE is caught by isolate, not by swap-in`, () => {
      const r = run({ layout: 'page*512', kernel, window: '5=migration' });
      expect(r.result).toBe('SCAN_PTE_NON_PRESENT');
      expect(r.do_swap_page_calls).toEqual([]);
      expect(r.trace.some((e) => e.name === 'mm_collapse_huge_page_swapin')).toBe(false);
      const iso = r.trace.find((e) => e.name === 'mm_collapse_huge_page_isolate')!;
      expect(iso.args.result).toBe('SCAN_PTE_NON_PRESENT');
      expect(r.bugs).toEqual([]);
      expect(r.collapsed).toBe(false);
    });
  }

  it('reclaim swaps a page out between the read and the write lock (upgrade): isolate refuses', () => {
    const schedule: Schedule = [{ at: 'upgrade', actor: 'reclaim_swap_out', slot: 3 }];
    const r = run({ layout: 'page*512', kernel: 'after', schedule });
    expect(r.result).toBe('SCAN_PTE_NON_PRESENT');
    expect(r.trace.find((e) => e.name === 'actor')!.args).toMatchObject({ actor: 'reclaim_swap_out', before: 'present', after: 'swap' });
  });
});

describe('uffd-wp in the window (§1.3): swap-in has no uffd-wp check; isolate catches it', () => {
  it('UFFDIO_WRITEPROTECT on a swap PTE at alloc: do_swap_page carries the bit into the present PTE, isolate returns SCAN_PTE_UFFD_WP', () => {
    for (const kernel of ['before', 'after'] as const) {
      const world = makeWorld({ layout: LAYOUT, kernel, uffd: 'wp', schedule: [{ at: 'alloc', actor: 'uffdio_writeprotect', slot: 460 }] });
      const r = runCollapse(world);
      expect(r.bugs, kernel).toEqual([]);
      expect(r.do_swap_page_calls.find((c) => c.slot === 460)!.non_swap).toBe(false);
      expect(r.trace.find((e) => e.name === 'mm_collapse_huge_page_isolate')!.args.result).toBe('SCAN_PTE_UFFD_WP');
      expect(r.result).toBe('SCAN_PTE_UFFD_WP');
      const t = world.mm.pmds[0].entry.type === 'table' ? world.mm.pmds[0].entry.table : null;
      expect(classifyPte(t!.ptes[460])).toBe('present-uffd-wp');
    }
  });
});

describe('swap-in walks the live PTEs (swapin:<slot> points)', () => {
  it('a present page that becomes a migration entry just before swap-in reads it: before → do_swap_page, after → stopped', () => {
    const schedule: Schedule = [{ at: 'swapin:10', actor: 'migration_start', slot: 10 }];
    const b = run({ layout: LAYOUT, kernel: 'before', schedule });
    expect(b.do_swap_page_calls[0]).toMatchObject({ slot: 10, non_swap: true });
    const a = run({ layout: LAYOUT, kernel: 'after', schedule });
    expect(a.result).toBe('SCAN_PTE_NON_PRESENT');
    expect(a.do_swap_page_calls).toEqual([]);
    expect(a.bugs).toEqual([]);
  });

  it('the owner faults a swapped page back in before swap-in reaches it: nothing to do there, collapse succeeds', () => {
    const schedule: Schedule = [{ at: 'alloc', actor: 'owner_fault', slot: 500 }];
    const world = makeWorld({ layout: LAYOUT, kernel: 'after', schedule });
    const r = runCollapse(world);
    expect(r.result).toBe('SCAN_SUCCEED');
    expect(r.swapped_in).toBe(63);
    expect(r.contents_ok).toBe(true);
    expect(collapsedContents(world)![500]).toBe('P500');
  });
});

describe('contents survive swap-in and collapse', () => {
  it('every page, swapped or not, lands at its index in the huge page; none and zero read as zero', () => {
    const world = makeWorld({ layout: 'none*10,zero*10,swap*60,page*300,shared*100,old*32', kernel: 'after' });
    const r = runCollapse(world, { madvise: true });
    expect(r.result).toBe('SCAN_SUCCEED');
    const c = collapsedContents(world)!;
    for (let i = 0; i < HPAGE_PMD_NR; i++) expect(c[i], `slot ${i}`).toBe(i < 20 ? ZERO_CONTENT : slotContent(0, i));
    expect(world.swap.swap_map.every((n) => n === 0)).toBe(true);
    // the private old pages were freed; the shared ones are still mapped by the child
    const shared = [...world.pages.values()].filter((p) => p.content?.startsWith('P') && p.folio.nr_pages === 1);
    expect(shared).toHaveLength(100);
  });
});

describe('actors and locks', () => {
  it('an actor that needs the mmap lock is blocked while khugepaged holds it for write', () => {
    const world = makeWorld({ layout: 'page*512' });
    const k = getThread(world, 'khugepaged');
    runAs(world, k, () => mmap_write_lock(world.mm));
    runStep(world, { at: 'upgrade', actor: 'madv_guard_install', slot: 7 });
    const ev = world.trace.at(-1)!;
    expect(ev.name).toBe('blocked');
    expect(String(ev.args.reason)).toContain('khugepaged holds it for write');
    runStep(world, { at: 'upgrade', actor: 'migration_start', slot: 7 }); // rmap-based: not blocked
    expect(world.trace.at(-1)!.name).toBe('actor');
    runAs(world, k, () => mmap_write_unlock(world.mm));
  });

  it('an actor is blocked while the PTL is held', () => {
    const world = makeWorld({ layout: 'page*512' });
    const table = world.mm.pmds[0].entry.type === 'table' ? world.mm.pmds[0].entry.table : null;
    // Someone else takes the PTL (through spin_lock: lock state is not writable from outside).
    runAs(world, getThread(world, 'someone'), () => spin_lock(table!.ptl));
    expect(table!.ptl.owner?.name).toBe('someone');
    runStep(world, { at: 'alloc', actor: 'migration_start', slot: 1 });
    expect(world.trace.at(-1)!.name).toBe('blocked');
  });
});

describe('determinism', () => {
  const cases: Parameters<typeof makeWorld>[0][] = [
    { layout: LAYOUT, kernel: 'before', window: '450=migration,3=guard' },
    { layout: LAYOUT, kernel: 'v3-as-posted', window: '450=migration' },
    { layout: LAYOUT, kernel: 'after', schedule: [{ at: 'swapin:460', actor: 'owner_fault', slot: 460 }, { at: 'upgrade', actor: 'memory_failure', slot: 2 }] },
  ];
  for (const c of cases) {
    it(`same options ⇒ identical trace and report (${c.kernel}, ${c.window ?? 'schedule'})`, () => {
      const a = run(c);
      const b = run(c);
      expect(JSON.stringify(b)).toBe(JSON.stringify(a));
      expect(a.trace.length).toBeGreaterThan(5);
    });
  }
});
