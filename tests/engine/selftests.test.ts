/**
 * The scenarios of tools/testing/selftests/mm/khugepaged.c (collapse_full,
 * collapse_single_pte_entry, collapse_max_ptes_none, collapse_swapin_single_pte,
 * collapse_max_ptes_swap, collapse_fork, collapse_max_ptes_shared) in the khugepaged context
 * (limits enforced) and the madvise context (MADV_COLLAPSE, limits ignored), plus
 * guard-regions.c's collapse case. Each runs on both sides of the patch: none of these layouts
 * holds a non-swap entry, so the patch must not change them.
 */
import { describe, it, expect } from 'vitest';
import { classifyPte, makeWorld, runCollapse, collapsedContents, slotContent, ZERO_CONTENT, HPAGE_PMD_NR, type CollapseReport, type World } from 'collapse-lab/engine';

type Ctx = { name: string; madvise: boolean };
const CONTEXTS: Ctx[] = [
  { name: 'khugepaged', madvise: false },
  { name: 'madvise', madvise: true },
];
const KERNELS = ['before', 'after'] as const;

function run(layout: string, kernel: string, madvise: boolean, knobs?: Record<string, number>): { world: World; r: CollapseReport } {
  const world = makeWorld({ layout, kernel: kernel as 'before', knobs });
  const r = runCollapse(world, { madvise });
  return { world, r };
}

function expectCollapsed(world: World, r: CollapseReport, kinds: string[]) {
  expect(r.bugs, JSON.stringify(r.bugs)).toEqual([]);
  expect(r.result).toBe('SCAN_SUCCEED');
  expect(r.collapsed).toBe(true);
  expect(world.mm.pmds[0].entry.type).toBe('huge');
  const contents = collapsedContents(world, 0)!;
  for (let i = 0; i < HPAGE_PMD_NR; i++) {
    const want = kinds[i] === 'none' || kinds[i] === 'zero' ? ZERO_CONTENT : slotContent(0, i);
    if (contents[i] !== want) throw new Error(`slot ${i}: collapsed content ${contents[i]}, expected ${want}`);
  }
  if (r.errno !== undefined) expect(r.errno).toBe(0);
}

function kindsOf(world: World) {
  return world.layouts[0].slice();
}

for (const kernel of KERNELS) {
  for (const ctx of CONTEXTS) {
    describe(`selftests/mm/khugepaged.c — ${ctx.name} context, kernel ${kernel}`, () => {
      it('collapse_full: a fully populated PMD collapses and keeps every page', () => {
        const { world, r } = run('page*512', kernel, ctx.madvise);
        expectCollapsed(world, r, kindsOf(world));
        expect(r.allocated).toBe(true);
        expect(r.counters.thp_collapse_alloc).toBe(1);
      });

      it('collapse_single_pte_entry: one page and 511 empty PTEs collapse (max_ptes_none = 511)', () => {
        const { world, r } = run('page,none*511', kernel, ctx.madvise);
        const kinds = kindsOf(world);
        expectCollapsed(world, r, kinds);
      });

      it('collapse_max_ptes_none: one empty PTE over the limit fails only for khugepaged', () => {
        const max = HPAGE_PMD_NR / 2;
        const over = run(`page*${HPAGE_PMD_NR - max - 1},none*${max + 1}`, kernel, ctx.madvise, { max_ptes_none: max });
        if (ctx.madvise) {
          expectCollapsed(over.world, over.r, kindsOf(over.world));
        } else {
          expect(over.r.result).toBe('SCAN_EXCEED_NONE_PTE');
          expect(over.r.collapsed).toBe(false);
          expect(over.r.allocated).toBe(false);
          expect(over.r.counters.thp_scan_exceed_none_pte).toBe(1);
        }
        const at = run(`page*${HPAGE_PMD_NR - max},none*${max}`, kernel, ctx.madvise, { max_ptes_none: max });
        expectCollapsed(at.world, at.r, kindsOf(at.world));
      });

      it('collapse_swapin_single_pte: one swapped-out page is swapped in and collapsed', () => {
        const { world, r } = run('swap,page*511', kernel, ctx.madvise);
        expectCollapsed(world, r, kindsOf(world));
        expect(r.swapped_in).toBe(1);
        expect(r.counters.swapins).toBe(1);
        expect(r.counters.wasted_swapins).toBe(0);
        expect(world.swap.swap_map[1]).toBe(0); // the slot was freed
      });

      it('collapse_max_ptes_swap: max_ptes_swap + 1 swap PTEs fail only for khugepaged; max_ptes_swap collapse', () => {
        const max = 64;
        const over = run(`swap*${max + 1},page*${HPAGE_PMD_NR - max - 1}`, kernel, ctx.madvise);
        if (ctx.madvise) {
          expectCollapsed(over.world, over.r, kindsOf(over.world));
          expect(over.r.swapped_in).toBe(max + 1);
        } else {
          expect(over.r.result).toBe('SCAN_EXCEED_SWAP_PTE');
          expect(over.r.swapped_in).toBe(0);
          expect(over.r.counters.thp_scan_exceed_swap_pte).toBe(1);
        }
        const at = run(`swap*${max},page*${HPAGE_PMD_NR - max}`, kernel, ctx.madvise);
        expectCollapsed(at.world, at.r, kindsOf(at.world));
        expect(at.r.swapped_in).toBe(max);
      });

      it('collapse_fork: a PTE table whose single page is shared with the parent collapses', () => {
        const { world, r } = run('shared,none*511', kernel, ctx.madvise);
        expectCollapsed(world, r, kindsOf(world));
      });

      it('collapse_max_ptes_shared: max_ptes_shared + 1 shared pages fail only for khugepaged', () => {
        const max = 256;
        const over = run(`page*${HPAGE_PMD_NR - max - 1},shared*${max + 1}`, kernel, ctx.madvise);
        if (ctx.madvise) {
          expectCollapsed(over.world, over.r, kindsOf(over.world));
        } else {
          expect(over.r.result).toBe('SCAN_EXCEED_SHARED_PTE');
          expect(over.r.counters.thp_scan_exceed_share_pte).toBe(1);
          expect(over.r.collapsed).toBe(false);
        }
        const at = run(`page*${HPAGE_PMD_NR - max},shared*${max}`, kernel, ctx.madvise);
        expectCollapsed(at.world, at.r, kindsOf(at.world));
      });
    });
  }

  describe(`selftests/mm/guard-regions.c collapse — kernel ${kernel}`, () => {
    it('MADV_COLLAPSE over guard markers on every other page fails and the guards survive', () => {
      const world = makeWorld({ layout: Array.from({ length: 256 }, () => 'page,guard').join(','), kernel });
      const r = runCollapse(world, { madvise: true });
      expect(r.collapsed).toBe(false);
      expect(r.errno).toBe('EINVAL');
      expect(world.mm.pmds[0].entry.type).toBe('table');
      const table = world.mm.pmds[0].entry.type === 'table' ? world.mm.pmds[0].entry.table : null;
      for (let i = 1; i < HPAGE_PMD_NR; i += 2) {
        expect(classifyPte(table!.ptes[i]), `slot ${i} is still a guard marker`).toBe('marker-guard');
      }
      if (kernel === 'before') {
        // Before the patch the guard marker reaches do_swap_page (VM_FAULT_SIGSEGV → SCAN_FAIL).
        expect(r.result).toBe('SCAN_FAIL');
        expect(r.allocated).toBe(true);
        expect(r.bugs.map((b) => b.kind)).toContain('non-swap-to-do_swap_page');
      } else {
        expect(r.result).toBe('SCAN_PTE_NON_PRESENT');
        expect(r.allocated).toBe(false);
        expect(r.bugs).toEqual([]);
      }
    });
  });
}
