/**
 * Each actor on its own: what it does to a PTE, the folio and the expected contents, and that
 * round trips keep the data (swap out → fault in, migration start → finish).
 */
import { describe, it, expect } from 'vitest';
import { makeWorld, runStep, classifyPte, pte_pfn, ACTOR_NAMES, ACTOR_DESCRIPTIONS, windowToSchedule, type World, type ScheduleStep } from 'collapse-lab/engine';

function world(layout = 'page*4,swap*4,none*4,zero*500', uffd?: 'wp') {
  return makeWorld({ layout, uffd });
}
const table = (w: World) => (w.mm.pmds[0].entry.type === 'table' ? w.mm.pmds[0].entry.table : null)!;
const kindAt = (w: World, slot: number) => classifyPte(table(w).ptes[slot]);
const step = (w: World, s: Omit<ScheduleStep, 'at'>) => runStep(w, { at: 'alloc', ...s });
const contentAt = (w: World, slot: number) => w.pages.get(pte_pfn(table(w).ptes[slot]))?.content;

describe('actors', () => {
  it('every actor is described', () => {
    expect(Object.keys(ACTOR_DESCRIPTIONS).sort()).toEqual([...ACTOR_NAMES].sort());
  });

  it('reclaim_swap_out then owner_fault: present → swap → present, same data, slot freed', () => {
    const w = world();
    step(w, { actor: 'reclaim_swap_out', slot: 1 });
    expect(kindAt(w, 1)).toBe('swap');
    expect(w.swap.contents).toContain('P1');
    step(w, { actor: 'owner_fault', slot: 1 });
    expect(kindAt(w, 1)).toBe('present');
    expect(contentAt(w, 1)).toBe('P1');
    expect(w.swap.contents).not.toContain('P1');
    const f = w.pages.get(pte_pfn(table(w).ptes[1]))!.folio;
    expect([f._refcount, f._mapcount, f.lru]).toEqual([1, 1, true]); // the actor's LRU batch was drained
  });

  it('migration_start then migration_finish: a write migration entry, then a new folio with the same data', () => {
    const w = world();
    const oldPfn = pte_pfn(table(w).ptes[2]);
    step(w, { actor: 'migration_start', slot: 2 });
    expect(kindAt(w, 2)).toBe('migration-write');
    expect(w.pages.get(oldPfn)!.folio.locked).toBe(true);
    step(w, { actor: 'migration_finish', slot: 2 });
    expect(kindAt(w, 2)).toBe('present');
    expect(pte_pfn(table(w).ptes[2])).not.toBe(oldPfn);
    expect(contentAt(w, 2)).toBe('P2');
    expect(w.pages.has(oldPfn)).toBe(false);
  });

  it('memory_failure: present → hwpoison, data lost, expected content null', () => {
    const w = world();
    step(w, { actor: 'memory_failure', slot: 0 });
    expect(kindAt(w, 0)).toBe('hwpoison');
    expect(w.expected[0][0]).toBeNull();
  });

  it('madv_guard_install: a swap entry becomes a guard marker and its swap slot is freed', () => {
    const w = world();
    step(w, { actor: 'madv_guard_install', slot: 5 });
    expect(kindAt(w, 5)).toBe('marker-guard');
    expect(w.swap.contents).not.toContain('P5');
  });

  it('device_exclusive: present → device-exclusive entry, folio still mapped', () => {
    const w = world();
    const pfn = pte_pfn(table(w).ptes[3]);
    step(w, { actor: 'device_exclusive', slot: 3 });
    expect(kindAt(w, 3)).toBe('device-exclusive');
    expect(w.pages.get(pfn)!.folio._mapcount).toBe(1);
  });

  it('uffdio_writeprotect: needs a uffd-wp registration; then present → uffd-wp, none → uffd-wp marker, swap → uffd-wp bit', () => {
    const w0 = world();
    step(w0, { actor: 'uffdio_writeprotect', slot: 0 });
    expect(kindAt(w0, 0)).toBe('present');
    const w = world(undefined, 'wp');
    step(w, { actor: 'uffdio_writeprotect', slot: 0 });
    step(w, { actor: 'uffdio_writeprotect', slot: 8 });
    step(w, { actor: 'uffdio_writeprotect', slot: 4 });
    expect([kindAt(w, 0), kindAt(w, 8), kindAt(w, 4)]).toEqual(['present-uffd-wp', 'marker-uffd-wp', 'swap-uffd-wp']);
  });

  it('owner_fault on an empty PTE maps a new zero-filled page', () => {
    const w = world();
    step(w, { actor: 'owner_fault', slot: 9 });
    expect(kindAt(w, 9)).toBe('present');
    expect(contentAt(w, 9)).toBe('0');
  });

  it('set_pte installs any layout kind, releasing what was there', () => {
    const w = world();
    const before = w.pages.size;
    step(w, { actor: 'set_pte', slot: 0, kind: 'guard' });
    expect(kindAt(w, 0)).toBe('marker-guard');
    expect(w.pages.size).toBe(before - 1);
    step(w, { actor: 'set_pte', slot: 0, kind: 'device-private' });
    expect(kindAt(w, 0)).toBe('device-private-write');
    expect(w.expected[0][0]).toBe('P0');
  });

  it('an actor with nothing to do says so and leaves the PTE alone', () => {
    const w = world();
    step(w, { actor: 'migration_start', slot: 10 });
    const ev = w.trace.at(-1)!;
    expect(ev.args.before).toBe('none');
    expect(ev.args.after).toBe('none');
    expect(String(ev.args.note)).toContain('nothing to migrate');
  });

  it('windowToSchedule turns "--window" notation into set_pte steps at alloc', () => {
    expect(windowToSchedule('10=migration,5=page')).toEqual([
      { at: 'alloc', actor: 'set_pte', slot: 10, kind: 'migration' },
      { at: 'alloc', actor: 'set_pte', slot: 5, kind: 'page' },
    ]);
  });
});
