/**
 * src/engine/narrate.ts on hand-made traces and layouts: what the story leaves out, folds and keeps,
 * and the 8 × 64 PMD pictures. (That the CLI and the Playground print it unchanged is
 * tests/cli/collapse.test.ts and tests/components/playground-story.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { drawGrid, layoutPicture, narrate, pmdSnapshot, ptePicture, type NarratedEvent } from '../../src/engine/narrate.ts';
import { makeWorld, runCollapse } from '../../src/engine/run.ts';
import { parseLayout } from '../../src/engine/layout.ts';

function ev(seq: number, name: string, args: Record<string, unknown> = {}, locks: string[] = [], thread = 'khugepaged'): NarratedEvent {
  return { seq, thread, name, args, locks };
}

describe('narrate: the trace retold', () => {
  it('leaves page-table plumbing out and counts it in a last line; other events keep their number, thread and locks', () => {
    const lines = narrate([
      ev(0, 'mmap_read_lock', { by: 'khugepaged' }, ['mmap_lock:read']),
      ev(1, 'pte_map'),
      ev(2, 'ptl_lock'),
      ev(3, 'ptl_unlock'),
      ev(4, 'pte_unmap'),
      ev(5, 'preempt', { point: 'alloc' }),
    ]);
    expect(lines).toEqual([
      '  #  0 [khugepaged] mmap_read_lock by=khugepaged  {holds: mmap_lock:read}',
      '  #  5 [khugepaged] preempt point=alloc',
      '  (4 page-table map/lock events not shown; --json has the full trace)',
    ]);
    expect(narrate([ev(0, 'preempt', { point: 'alloc' })])).toHaveLength(1); // nothing hidden: no count line
  });

  it('folds a run of ordinary swap-ins into one line with slot ranges; a non-swap entry breaks the run and stands alone', () => {
    const swapin = (seq: number, slot: number) => ev(seq, 'do_swap_page', { slot, ret: 'VM_FAULT_MAJOR', non_swap: false }, ['mmap_lock:read']);
    const lines = narrate([
      swapin(10, 3), ev(11, 'swap_in', { slot: 3 }), ev(12, 'pte_map'),
      swapin(13, 4), ev(14, 'swap_in', { slot: 4 }),
      swapin(15, 5),
      swapin(16, 9), ev(17, 'swap_in', { slot: 9 }),
      ev(18, 'do_swap_page', { slot: 10, ret: 'VM_FAULT_SIGBUS', non_swap: true }, ['mmap_lock:read']),
      swapin(19, 11),
    ]);
    expect(lines).toEqual([
      '  # 10 [khugepaged] swap-in: do_swap_page on 4 swap entries (slots 3–5, 9), 3 read from the swap device  (events #10–#17)  {holds: mmap_lock:read}',
      '  # 18 [khugepaged] do_swap_page slot=10 ret=VM_FAULT_SIGBUS non_swap=true  {holds: mmap_lock:read}',
      '  # 19 [khugepaged] swap-in: do_swap_page on 1 swap entry (slot 11), 0 read from the swap device  (events #19–#19)  {holds: mmap_lock:read}',
      '  (1 page-table map/lock events not shown; --json has the full trace)',
    ]);
  });

  it('writes bigints in hex and objects as JSON in an event’s arguments', () => {
    expect(narrate([ev(7, 'alloc_folio', { pfn: 0x1000n, why: { a: [1, 2] } })])).toEqual(['  #  7 [khugepaged] alloc_folio pfn=0x1000 why={"a":[1,2]}']);
  });
});

describe('narrate: pictures of a PMD', () => {
  it('draws 512 characters as 8 rows of 64, each row starting with its first slot', () => {
    const rows = drawGrid(new Array<string>(512).fill('.')).split('\n');
    expect(rows).toHaveLength(8);
    expect(rows[0]).toBe(`    0 ${'.'.repeat(64)}`);
    expect(rows[7]).toBe(`  448 ${'.'.repeat(64)}`);
  });

  it('a layout picture marks each kind where it is and names only the kinds that occur', () => {
    const pic = layoutPicture(parseLayout('page*511,guard')).split('\n');
    expect(pic[7]).toBe(`  448 ${'.'.repeat(63)}G`);
    expect(pic.slice(8).join(' ')).toMatch(/^ {2}\. page \(.+\) {3}G guard \(.+\)$/);
    expect(layoutPicture(parseLayout('no-table'))).toMatch(/no PTE table/);
  });

  it('the PMD after an attempt: a PTE table drawn from its bits, or a huge mapping', () => {
    const failed = makeWorld({ layout: 'page*511,guard', kernel: 'after' });
    runCollapse(failed, {});
    const t = pmdSnapshot(failed);
    expect(t.huge).toBe(false);
    expect(ptePicture(t.ptes!).split('\n')[7]).toBe(`  448 ${'.'.repeat(63)}G`);
    const ok = makeWorld({ layout: 'page*512', kernel: 'after' });
    runCollapse(ok, {});
    expect(pmdSnapshot(ok)).toEqual({ huge: true, none: false, ptes: null });
    expect(pmdSnapshot(ok, 5)).toEqual({ huge: false, none: true, ptes: null }); // no such PMD
  });
});
