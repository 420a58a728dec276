/**
 * The world handed to learner code cannot silence the simulator's evidence (red-team round after
 * issue 9): whatever a kernel function does to `mm.world` — truncating or replacing the bug list
 * and trace, zeroing counters, swapping the preemption hook, the ops table or the schedule — the
 * report shows the same bugs, trace and counters as the same code without the tampering.
 */
import { describe, it, expect } from 'vitest';
import { makeWorld, runCollapse, KERNELS, mmap_read_unlock, type CollapseReport, type mm_struct } from 'collapse-lab/engine';

/** Ways to tamper with the world (each wrapped: a refused write must not stop the others). */
const TAMPERS: Record<string, (w: any) => void> = {
  'truncate the read views': (w) => { w.bugs.length = 0; w.trace.length = 0; for (const k of Object.keys(w.counters)) w.counters[k] = 0; },
  'own push on the read views': (w) => { for (const a of [w.bugs, w.trace]) Object.defineProperty(a, 'push', { value: () => 0 }); },
  'assign fresh arrays': (w) => { w.bugs = []; w.trace = []; w.counters = {}; },
  'redefine the properties': (w) => { for (const k of ['bugs', 'trace']) Object.defineProperty(w, k, { value: [] }); Object.defineProperty(w, 'counters', { value: {} }); },
  'replace the preemption hook': (w) => { w.preemptHook = () => {}; },
  'replace the ops table': (w) => { w.ops = {}; },
  'empty the schedule': (w) => { w.schedule.length = 0; },
  'change the kernel side and knobs': (w) => { w.kernel = 'after'; w.knobs.max_ptes_swap = 0; },
};

const LAYOUT = 'page*448,swap*64';

/** A scan that tampers (maybe), runs the `before` kernel, then drops the mmap lock once too often. */
function run(tamper: ((w: any) => void) | null): CollapseReport {
  const base = KERNELS.before.hpage_collapse_scan_pmd;
  const world = makeWorld({
    layout: LAYOUT,
    kernel: 'before',
    // Raced at the alloc point and inside swap-in (the latter runs through the preemption hook).
    schedule: [
      { at: 'alloc', actor: 'set_pte', slot: 450, kind: 'migration' },
      { at: 'swapin:460', actor: 'set_pte', slot: 460, kind: 'migration' },
    ],
    ops: {
      hpage_collapse_scan_pmd: (mm: mm_struct, ...rest: any[]) => {
        if (tamper) { try { tamper(mm.world); } catch { /* refused */ } }
        const r = (base as any)(mm, ...rest);
        mmap_read_unlock(mm); // a lock bug the engine must report
        return r;
      },
    },
  });
  return runCollapse(world);
}

const kinds = (r: CollapseReport) => r.bugs.map((b) => b.kind).sort();
const names = (r: CollapseReport) => r.trace.map((e) => e.name);

describe('learner code cannot silence the evidence through mm.world', () => {
  const plain = run(null);
  it('the untampered run records the race bug and the lock bug (so the comparison means something)', () => {
    expect(kinds(plain).filter((k) => k === 'non-swap-to-do_swap_page')).toHaveLength(2);
    expect(plain.bugs.length).toBeGreaterThanOrEqual(2);
    expect(plain.counters.swapins).toBeGreaterThan(0);
  });
  for (const [what, tamper] of Object.entries(TAMPERS)) {
    it(`${what}: same bugs, trace and counters as without it`, () => {
      const r = run(tamper);
      expect(kinds(r)).toEqual(kinds(plain));
      expect(names(r)).toEqual(names(plain));
      expect(r.counters).toEqual(plain.counters);
    });
  }
  it('the read views still show the evidence after the run, as copies', () => {
    const w = makeWorld({ layout: LAYOUT, kernel: 'before', window: '450=migration' });
    const r = runCollapse(w);
    expect(w.bugs.map((b) => b.kind)).toEqual(r.bugs.map((b) => b.kind));
    expect(w.trace.length).toBe(r.trace.length);
    w.bugs.length = 0;
    expect(w.bugs.length).toBe(r.bugs.length);
  });
});
