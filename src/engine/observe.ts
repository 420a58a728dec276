/**
 * Observing a run from outside, for the pictures and "Draw my run" (not a kernel function; not
 * re-exported by `index.ts`, so learner code does not see it). The engine's trace has one event
 * per function, as the kernel's tracepoints do, not one per PTE: "where did the scan stop" is
 * observed instead.
 *
 * @module
 */
import type { World } from './types.ts';
import { currentFrame } from './lockstate.ts';

/** What {@link watchScanReads} hands back for one PMD. */
export interface ScanReads {
  /** Slots `hpage_collapse_scan_pmd` read, in order (repeats included). */
  readonly slots: number[];
  /** Put the table's own entry array back (call once the run is over). */
  stop: () => void;
}

/**
 * Watch which slots of each PMD's PTE table `hpage_collapse_scan_pmd` reads: until `stop()`, the
 * table's `ptes` array is wrapped in a Proxy that notes every index read while the simulated call
 * stack has that function on top (the kernel's or a learner's — whatever the world runs). Nothing
 * is changed: the values read are the same. One entry per PMD, in address order; a PMD without a
 * PTE table (`no-table`), or a table that cannot be swapped (frozen), is not watched (no slots).
 */
export function watchScanReads(world: World): ScanReads[] {
  return world.mm.pmds.map((pmd) => {
    const slots: number[] = [];
    const table = pmd.entry.type === 'table' ? pmd.entry.table : null;
    if (!table) return { slots, stop: () => {} };
    const original = table.ptes;
    let on = true;
    const proxy = new Proxy(original, {
      get(target, key, receiver) {
        if (on && typeof key === 'string' && /^\d+$/.test(key)) {
          if (currentFrame(world) === 'hpage_collapse_scan_pmd') slots.push(Number(key));
        }
        return Reflect.get(target, key, receiver) as unknown;
      },
    });
    try {
      (table as { ptes: unknown }).ptes = proxy;
    } catch {
      return { slots, stop: () => {} };
    }
    return {
      slots,
      stop: () => {
        on = false;
        (table as { ptes: unknown }).ptes = original;
      },
    };
  });
}
