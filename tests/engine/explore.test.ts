/**
 * The bounded explorer finds Wei Yang's window on the kernel before the patch, the v3 leak on
 * the hunk as posted, and nothing on the patched kernel.
 */
import { describe, it, expect } from 'vitest';

// Explorations run hundreds of attempts; on a shared 2-core machine give them room (speed is
// measured by `npm run bench`, not asserted here).
const SLOW = 120_000;
import { explore, formatFinding, interestingSlots, pointOrder, parseLayout } from 'collapse-lab/engine';

const base = { layout: 'page*448,swap*64' };

describe('explore()', () => {
  it('picks the slots that matter: first swap slots, first present pages, first empty slot', () => {
    expect(interestingSlots(parseLayout('none,page*447,swap*64'))).toEqual([0, 1, 2, 448, 449]);
    // swap entries on any swap device (0–23) are swap slots worth racing on
    expect(interestingSlots(parseLayout('none,page*447,swap@23*64'))).toEqual([0, 1, 2, 448, 449]);
    expect(pointOrder('alloc')).toBeLessThan(pointOrder('swapin:0'));
    expect(pointOrder('swapin:511')).toBeLessThan(pointOrder('upgrade'));
  }, SLOW);

  it('before: depth 1 finds a non-swap entry reaching do_swap_page through the window', () => {
    const f = explore({ base: { ...base, kernel: 'before' }, depth: 1 });
    expect(f.length).toBeGreaterThan(0);
    expect(f.every((x) => x.schedule.length === 1)).toBe(true);
    const swapSlot = f.find((x) => x.schedule[0].actor === 'set_pte' && x.schedule[0].slot === 448 && x.schedule[0].at === 'alloc');
    expect(swapSlot, f.map(formatFinding).join('\n')).toBeDefined();
    expect(swapSlot!.invariants).toEqual(['bug:non-swap-to-do_swap_page']);
    expect(formatFinding(swapSlot!)).toContain('set_pte(migration)@alloc slot 448');
  }, SLOW);

  it('before: a layout that needs no race is reported with an empty schedule', () => {
    const f = explore({ base: { layout: 'page*511,guard', kernel: 'before' }, depth: 1, actors: ['migration_start'] });
    expect(f[0].schedule).toEqual([]);
    expect(f[0].invariants).toContain('bug:non-swap-to-do_swap_page');
  }, SLOW);

  it('after: nothing at depth 1 or 2', () => {
    expect(explore({ base: { ...base, kernel: 'after' }, depth: 1 }).map(formatFinding)).toEqual([]);
    expect(explore({ base: { ...base, kernel: 'after' }, depth: 2, slots: [1, 448] }).map(formatFinding)).toEqual([]);
  }, SLOW);

  it('v3-as-posted: finds the leaked mmap lock and PTE mapping', () => {
    const f = explore({ base: { ...base, kernel: 'v3-as-posted' }, depth: 1, slots: [448] });
    expect(f.length).toBeGreaterThan(0);
    expect(f[0].invariants).toEqual(expect.arrayContaining(['bug:contract', 'bug:leaked-lock', 'bug:pte-mapping-leaked']));
  }, SLOW);

  it('before, depth 2: the owner faults a swapped page in and migration then starts on it (a two-step race)', () => {
    const f = explore({ base: { ...base, kernel: 'before' }, depth: 2, slots: [448], actors: ['owner_fault', 'migration_start'] });
    const pair = f.find((x) => x.schedule.length === 2 && x.schedule[0].actor === 'owner_fault' && x.schedule[1].actor === 'migration_start');
    expect(pair, f.map(formatFinding).join('\n')).toBeDefined();
    expect(pair!.invariants).toContain('bug:non-swap-to-do_swap_page');
    // neither step alone is a finding
    expect(f.some((x) => x.schedule.length === 1 && x.schedule[0].actor === 'owner_fault')).toBe(false);
  }, SLOW);

  it('is deterministic', () => {
    const a = explore({ base: { ...base, kernel: 'before' }, depth: 1, slots: [0, 448] });
    const b = explore({ base: { ...base, kernel: 'before' }, depth: 1, slots: [0, 448] });
    expect(b).toEqual(a);
  }, SLOW);
});
