/**
 * Learner code cannot fake the simulated kernel's lock state (hostile round 6): whatever a kernel
 * function does to the objects it is handed — the mmap_lock's readers and writer, a spinlock's
 * owner, its thread's holds, mappings and call path, the world's current/collapsing thread, the
 * attempt's bookkeeping, the schedule's progress — by property writes, Map/Array methods,
 * defineProperty, Object.assign, replaced objects or prototype tricks, the report shows the same
 * bugs, trace, result and bookkeeping as the same code without the tampering. The lock functions
 * accept only the engine's own threads, locks and mappings, and `runAs` cannot switch threads
 * while an attempt runs.
 */
import { describe, it, expect } from 'vitest';
import * as engine from 'collapse-lab/engine';
import {
  makeWorld,
  runCollapse,
  runAs,
  newThread,
  getThread,
  KERNELS,
  SCAN_PTE_NON_PRESENT,
  find_pmd_or_thp_or_none,
  pte_offset_map_lock,
  pte_offset_map_ro_nolock,
  pte_unmap,
  ptep_get,
  spin_unlock,
  mmap_read_lock,
  mmap_read_unlock,
  holdsMmapRead,
  pte_ptr,
  type CollapseReport,
  type KernelOps,
  type mm_struct,
  type Ref,
  type pmd_t,
  type spinlock_t,
} from 'collapse-lab/engine';

type Tamper = (mm: any, result: number) => void;

/**
 * Ways to "release" what a wrong answer leaked, or to hide what it did, through the objects it is
 * handed. Each runs wrapped: a refused write (TypeError on a frozen object or a getter) must not
 * stop the others.
 */
const TAMPERS: Record<string, Tamper> = {
  'property writes on the thread, the lock, the mapping': (mm) => {
    const t = mm.world.current;
    for (const m of t.mappings) m.live = false;
    for (const l of t.spinlocks) l.owner = null;
    t.mmapRead = 0;
    t.mmapWrite = false;
    t.mappings = [];
    t.spinlocks = [];
    t.released = new Set(['mmap_lock:read']);
    t.mmapLeakReported = true;
    t.swapinDepth = -1;
  },
  'Map and Array methods on what the getters return': (mm) => {
    const t = mm.world.current;
    mm.mmap_lock.readers.clear();
    mm.mmap_lock.readers.delete(t.name);
    t.mappings.splice(0);
    t.spinlocks.length = 0;
    t.released.add('mmap_lock:read');
    t.stack.push('x', 'y');
  },
  'defineProperty on the thread, the rwsem, the spinlock and the rwsem readers': (mm) => {
    const t = mm.world.current;
    const tries = [
      () => Object.defineProperty(t, 'mmapRead', { get: () => 0 }),
      () => Object.defineProperty(t, 'mappings', { value: [] }),
      () => Object.defineProperty(t, 'spinlocks', { value: [] }),
      () => Object.defineProperty(mm.mmap_lock, 'readers', { value: new Map() }),
      () => Object.defineProperty(mm.mmap_lock.readers, 'get', { value: () => undefined }),
      () => Object.defineProperty(mm.pmds[0].entry.table.ptl, 'owner', { value: null }),
    ];
    for (const f of tries) try { f(); } catch { /* refused */ }
  },
  'Object.assign over the thread, the rwsem and the spinlock': (mm) => {
    const t = mm.world.current;
    for (const [target, values] of [
      [t, { mmapRead: 0, mappings: [], spinlocks: [], mmapLeakReported: true }],
      [mm.mmap_lock, { readers: new Map(), writer: null }],
      [mm.pmds[0].entry.table.ptl, { owner: null }],
    ] as const) try { Object.assign(target, values); } catch { /* refused */ }
  },
  'replaced objects (mm.mmap_lock, table.ptl, world.current, world.attempt, world.threads)': (mm) => {
    const w = mm.world;
    const t = w.current;
    const tries = [
      () => { mm.mmap_lock = { readers: new Map(), writer: null }; },
      () => { mm.pmds[0].entry.table.ptl = { name: 'ptl', owner: null, world: w }; },
      () => { w.current = { ...t, mmapRead: 0, mappings: [], spinlocks: [] }; },
      () => { w.collapseThread = null; },
      () => { w.attempt = { ...w.attempt, doSwapPageCalls: [], realSwapins: 0 }; },
      () => { w.threads.set(t.name, newThread(t.name)); },
    ];
    for (const f of tries) try { f(); } catch { /* refused */ }
  },
  'prototype tricks (the thread class, the Map, the spinlock)': (mm) => {
    const t = mm.world.current;
    const tries = [
      () => Object.defineProperty(Object.getPrototypeOf(t), 'mmapRead', { get: () => 0 }),
      () => Object.defineProperty(Object.getPrototypeOf(t), 'mappings', { get: () => [] }),
      () => Object.setPrototypeOf(t, { mmapRead: 0, mappings: [], spinlocks: [] }),
      () => Object.setPrototypeOf(mm.mmap_lock, { readers: new Map(), writer: null }),
      () => Object.defineProperty(Object.getPrototypeOf(mm.pmds[0].entry.table.ptl), 'owner', { get: () => null }),
      () => Object.setPrototypeOf(mm.mmap_lock.readers, { get: () => undefined, has: () => false, delete: () => true }),
    ];
    for (const f of tries) try { f(); } catch { /* refused */ }
  },
  'a forged extra read hold (readers.set, mmapRead = 2)': (mm) => {
    const t = mm.world.current;
    try { mm.mmap_lock.readers.set(t.name, 2); } catch { /* refused */ }
    try { t.mmapRead = 2; } catch { /* refused */ }
  },
  "rewriting the checker's expected contents": (mm) => {
    const w = mm.world;
    try { for (const row of w.expected) row.fill('forged'); } catch { /* refused */ }
    try { w.expected[0] = new Array(512).fill('forged'); } catch { /* refused */ }
    try { w.expected.length = 0; } catch { /* refused */ }
  },
  'hiding the collapsing thread and the schedule': (mm) => {
    const w = mm.world;
    try { w.collapseThread = null; } catch { /* refused */ }
    try { w.scheduleDone.fill(true); } catch { /* refused */ }
    try { w.attempt.doSwapPageCalls.length = 0; } catch { /* refused */ }
  },
};

/** Safe-call a tamper, so one refused route does not hide the others. */
function apply(tamper: Tamper | null, mm: mm_struct, r: number): void {
  if (!tamper) return;
  try { tamper(mm, r); } catch { /* refused */ }
}

const LAYOUT = 'page*448,swap*64';

/** The v3 hunk as posted: a non-swap entry met during swap-in leaves the PTE table mapped and the mmap_lock held. */
function swapinLeak(tamper: Tamper | null): CollapseReport {
  const base = KERNELS['v3-as-posted'].__collapse_huge_page_swapin;
  const world = makeWorld({
    layout: LAYOUT,
    kernel: 'after',
    schedule: [
      { at: 'alloc', actor: 'set_pte', slot: 470, kind: 'migration' },
      { at: 'swapin:460', actor: 'set_pte', slot: 460, kind: 'guard' },
    ],
    ops: {
      __collapse_huge_page_swapin: (mm, ...rest) => {
        const r = base(mm, ...rest);
        apply(tamper, mm, r);
        return r;
      },
    },
  });
  return runCollapse(world);
}

/** A scan that maps and locks the PTE table and returns without pte_unmap_unlock (PTL and mapping leaked). */
const leakyScan: KernelOps['hpage_collapse_scan_pmd'] = (mm, _vma, start, _locked, _cc) => {
  const pmd: Ref<pmd_t | null> = { value: null };
  const ptl: Ref<spinlock_t | null> = { value: null };
  find_pmd_or_thp_or_none(mm, start, pmd);
  const pte = pte_offset_map_lock(mm, pmd.value, start, ptl)!;
  ptep_get(pte);
  return SCAN_PTE_NON_PRESENT;
};

function scanLeak(tamper: Tamper | null): CollapseReport {
  const world = makeWorld({
    layout: 'page*511,guard',
    ops: {
      hpage_collapse_scan_pmd: (mm, ...rest) => {
        const r = leakyScan(mm, ...rest);
        apply(tamper, mm, r);
        return r;
      },
    },
  });
  return runCollapse(world);
}

/** A swap-in that releases the mmap lock twice on the non-swap path (the double unlock the forged hold absorbs). */
function swapinDoubleUnlock(tamper: Tamper | null): CollapseReport {
  const base = KERNELS.after.__collapse_huge_page_swapin;
  const world = makeWorld({
    layout: LAYOUT,
    kernel: 'after',
    window: '470=migration',
    ops: {
      __collapse_huge_page_swapin: (mm, ...rest) => {
        apply(tamper, mm, 0);
        const r = base(mm, ...rest);
        if (r !== 1) mmap_read_unlock(mm);
        return r;
      },
    },
  });
  return runCollapse(world);
}

/** A swap-in that works (the patched kernel's): the range collapses, so the contents are checked. */
function swapinCollapses(tamper: Tamper | null): CollapseReport {
  const base = KERNELS.after.__collapse_huge_page_swapin;
  const world = makeWorld({
    layout: LAYOUT,
    kernel: 'after',
    ops: {
      __collapse_huge_page_swapin: (mm, ...rest) => {
        const r = base(mm, ...rest);
        apply(tamper, mm, r);
        return r;
      },
    },
  });
  return runCollapse(world);
}

const summary = (r: CollapseReport) => ({
  contents_ok: r.contents_ok,
  bugs: r.bugs.map((b) => `${b.kind}: ${b.message}`),
  trace: r.trace.map((e) => `${e.thread} ${e.name} ${e.locks.join(',')}`),
  result: r.result,
  scan_result: r.scan_result,
  collapsed: r.collapsed,
  swapped_in: r.swapped_in,
  mmap_locked: r.mmap_locked,
  do_swap_page_calls: r.do_swap_page_calls,
  counters: r.counters,
});

describe('learner code cannot fake lock state or attempt bookkeeping', () => {
  const runs: [string, (t: Tamper | null) => CollapseReport, RegExp][] = [
    ['a swap-in leaking its mapping and the mmap_lock (v3 as posted)', swapinLeak, /contract|leaked|pte-mapping-leaked|non-swap-to-do_swap_page/],
    ['a scan leaking the PTL and its mapping', scanLeak, /PTL still held|still mapped/],
    ['a swap-in unlocking twice', swapinDoubleUnlock, /double-unlock/],
    ['a swap-in that works (the range collapses, contents checked)', swapinCollapses, /^$/],
  ];
  for (const [what, run, bugs] of runs) {
    describe(what, () => {
      const plain = summary(run(null));
      it('the untampered run records the bugs, or collapses with the right contents (so the comparison means something)', () => {
        expect(plain.bugs.join('\n')).toMatch(bugs);
        if (plain.bugs.length === 0) expect([plain.collapsed, plain.contents_ok]).toEqual([true, true]);
      });
      for (const [how, tamper] of Object.entries(TAMPERS)) {
        it(`${how}: same bugs, trace, result and bookkeeping as without it`, () => {
          expect(summary(run(tamper))).toEqual(plain);
        });
      }
    });
  }

  it('the lock state still reads as before: the getters show holds, owners and mappings', () => {
    const w = makeWorld({ layout: 'page*512' });
    const t = getThread(w, 'tester');
    const ptl: Ref<spinlock_t | null> = { value: null };
    runAs(w, t, () => {
      mmap_read_lock(w.mm);
      const pte = pte_offset_map_lock(w.mm, w.mm.pmds[0], w.vma.vm_start, ptl)!;
      expect(t.mmapRead).toBe(1);
      expect(holdsMmapRead(w.mm, t)).toBe(true);
      expect([...w.mm.mmap_lock.readers]).toEqual([['tester', 1]]);
      expect(ptl.value!.owner).toBe(t);
      expect(t.spinlocks.map((l) => l.name)).toEqual(['ptl']);
      expect(t.mappings.map((m) => m.live)).toEqual([true]);
      expect(t.stack.at(-1)).toBe('tester');
      engine.pte_unmap_unlock(pte, ptl);
      mmap_read_unlock(w.mm);
      expect(t.mmapRead).toBe(0);
      expect(w.mm.mmap_lock.readers.size).toBe(0);
      expect(ptl.value!.owner).toBeNull();
      expect(t.released.has('mmap_lock:read')).toBe(true);
    });
    expect(w.bugs).toEqual([]);
  });

  it('the lock functions refuse look-alike locks and mappings; a pointer cannot be re-pointed', () => {
    const w = makeWorld({ layout: 'page*512' });
    const t = getThread(w, 'tester');
    runAs(w, t, () => {
      expect(() => spin_unlock({ name: 'ptl', owner: t, world: w } as spinlock_t)).toThrow(TypeError);
      const ptl: Ref<spinlock_t | null> = { value: null };
      const pte = pte_offset_map_ro_nolock(w.mm, w.mm.pmds[0], w.vma.vm_start, ptl)!;
      pte_unmap(pte);
      // Reviving the mapping is refused; a pointer naming a forged live mapping cannot be read
      // through (whether built with one or re-pointed at one) …
      expect(() => { (pte.map as { live: boolean }).live = true; }).toThrow(TypeError);
      const forged = { table: pte.table, thread: t, live: true, by: 'me' };
      expect(() => ptep_get(new pte_ptr(pte.table, 3, forged))).toThrow(TypeError);
      const repointed = pte.add(0);
      Object.defineProperty(repointed, 'map', { value: forged });
      expect(() => engine.ptep_get_lockless(repointed)).toThrow(TypeError);
      expect(() => pte_unmap(repointed)).toThrow(TypeError);
      // … and reading through the real pointer is a read through an unmapped table.
      ptep_get(pte);
    });
    expect(w.bugs.map((b) => b.kind)).toEqual(['pte-read-unmapped']);
  });

  it('runAs cannot switch threads while an attempt runs (a phantom thread would hold the leaks)', () => {
    let refused = '';
    const world = makeWorld({
      layout: LAYOUT,
      ops: {
        __collapse_huge_page_swapin: (mm, ...rest) => {
          try {
            return runAs(mm.world, newThread('shadow'), () => KERNELS.after.__collapse_huge_page_swapin(mm, ...rest));
          } catch (e) {
            refused = String(e);
            return KERNELS.after.__collapse_huge_page_swapin(mm, ...rest);
          }
        },
      },
    });
    const r = runCollapse(world);
    expect(refused).toMatch(/runAs: a collapse attempt is running/);
    expect(r.result).toBe('SCAN_SUCCEED');
    // Between attempts it still works (tests and tools use it).
    expect(runAs(world, getThread(world, 'tester'), () => world.current.name)).toBe('tester');
  });

  it('withFrame (the engine\'s call-path bookkeeping) is not part of the public API', () => {
    expect('withFrame' in engine).toBe(false);
  });
});
