/**
 * explore.ts — a bounded schedule explorer: run one collapse attempt under every schedule of
 * one (depth 1) or two (depth 2) actor steps drawn from a small candidate set, and report the
 * schedules that break an invariant:
 *
 * - any bug the lock/contract checks record (a lock left held, a PTE table left mapped, a
 *   broken contract, …), including a non-swap entry reaching `do_swap_page()`;
 * - a collapse whose huge page does not hold the expected contents;
 * - the collapsing thread hanging (deadlock).
 *
 * The candidate set is kept small on purpose (slots that matter for the layout: the first swap
 * slots, a few present slots, the first empty slot) so a depth-2 exploration stays well under a
 * second for the usual layouts.
 *
 * @module
 */
import type { ActorName, Schedule, ScheduleStep } from './types.ts';
import { HPAGE_PMD_NR } from './mm.ts';
import { swapDeviceOf } from './layout.ts';
import { makeWorld, runCollapse, type MakeWorldOptions, type CollapseReport } from './run.ts';

/** Options of {@link explore}. */
export interface ExploreOptions {
  /** The world to explore (its own schedule/window, if any, is kept and extended). */
  base: MakeWorldOptions;
  /** Preemption points (default: `alloc`, `swapin:<slot>` for the candidate slots, `upgrade`). */
  points?: string[];
  /** Actors (default: migration_start, reclaim_swap_out, memory_failure, madv_guard_install, device_exclusive, owner_fault, set_pte). */
  actors?: ActorName[];
  /** PTE slots (default: chosen from the layout). */
  slots?: number[];
  /** Kinds `set_pte` may install (default: migration — a swap PTE turning straight into a migration entry). */
  kinds?: string[];
  /** 1: single steps; 2: ordered pairs of steps. */
  depth: 1 | 2;
  /** Run MADV_COLLAPSE instead of khugepaged. */
  madvise?: boolean;
  /** Depth 2: also pair steps on different slots (default false: pairs act on the same slot). */
  crossSlots?: boolean;
  /** Upper bound on attempts run (default 20000). */
  maxRuns?: number;
}

/** One schedule that broke an invariant. */
export interface Finding {
  /** The steps (empty: the layout breaks it with no race at all). */
  schedule: Schedule;
  /** Which invariants broke: `bug:<kind>`, `contents`, `hung`. */
  invariants: string[];
  /** First bug message or a description. */
  message: string;
  /** The attempt's result. */
  result: string;
}

const DEFAULT_ACTORS: readonly ActorName[] = Object.freeze([
  'migration_start',
  'reclaim_swap_out',
  'memory_failure',
  'madv_guard_install',
  'device_exclusive',
  'owner_fault',
  'set_pte',
] as ActorName[]);

/** Pick the slots worth racing on for a layout: first two swap slots, first two present pages, first empty slot. */
export function interestingSlots(kinds: readonly string[]): number[] {
  const out: number[] = [];
  const take = (pred: (k: string) => boolean, n: number) => {
    let c = 0;
    for (let i = 0; i < kinds.length && c < n; i++) {
      if (pred(kinds[i]) && !out.includes(i)) {
        out.push(i);
        c++;
      }
    }
  };
  take((k) => swapDeviceOf(k) >= 0, 2); // swap, swap+uffd, swap@N[+uffd]
  take((k) => k === 'page' || k === 'old' || k === 'shared' || k === 'page+pkey', 2);
  take((k) => k === 'none' || k === 'zero', 1);
  return out.sort((a, b) => a - b);
}

/** Check one report against the invariants. */
export function brokenInvariants(report: CollapseReport): string[] {
  const inv: string[] = [];
  for (const b of report.bugs) {
    const k = `bug:${b.kind}`;
    if (!inv.includes(k)) inv.push(k);
  }
  if (report.collapsed && !report.contents_ok) inv.push('contents');
  if (report.hung) inv.push('hung');
  return inv;
}

function stepsFor(points: string[], actors: readonly ActorName[], slots: number[], kinds: string[]): ScheduleStep[] {
  const steps: ScheduleStep[] = [];
  for (const at of points) {
    const m = /^swapin:(\d+)$/.exec(at);
    for (const actor of actors) {
      for (const slot of m ? [Number(m[1])] : slots) {
        if (actor === 'set_pte') for (const kind of kinds) steps.push({ at, actor, slot, kind });
        else steps.push({ at, actor, slot });
      }
    }
  }
  return steps;
}

/**
 * Enumerate schedules of `depth` steps and return those that break an invariant.
 * Same options ⇒ same findings, in the same order.
 */
export function explore(opts: ExploreOptions): Finding[] {
  const baseWorld = makeWorld(opts.base);
  const kinds0 = baseWorld.layouts[0];
  const slots = opts.slots ?? interestingSlots(kinds0);
  // 'scan-unlocked' is left out by default: nothing reads the PTEs between it and 'alloc', so a
  // step there has the same effect as the same step at 'alloc'.
  const points = opts.points ?? ['alloc', ...slots.map((s) => `swapin:${s}`), 'upgrade'];
  const actors = opts.actors ?? DEFAULT_ACTORS;
  const kinds = opts.kinds ?? ['migration'];
  const maxRuns = opts.maxRuns ?? 20000;
  const baseSchedule = [...(opts.base.schedule ?? [])];
  const findings: Finding[] = [];
  let runs = 0;

  const run = (extra: ScheduleStep[]): { inv: string[]; reached: Set<string> } | null => {
    if (runs >= maxRuns) return null;
    runs++;
    const world = makeWorld({ ...opts.base, schedule: [...baseSchedule, ...extra] });
    const report = runCollapse(world, { madvise: opts.madvise });
    const inv = brokenInvariants(report);
    if (inv.length) {
      findings.push({
        schedule: extra,
        invariants: inv,
        message: report.bugs[0]?.message ?? (inv.includes('contents') ? 'collapsed page contents differ from the original data' : 'the collapsing thread hung'),
        result: report.result,
      });
    }
    return { inv, reached: world.reachedPoints };
  };

  run([]);
  const steps = stepsFor(points, actors, slots.filter((s) => s >= 0 && s < HPAGE_PMD_NR), kinds);
  const single: ({ inv: string[]; reached: Set<string> } | null)[] = [];
  for (const a of steps) single.push(run([a]));
  if (opts.depth === 2) {
    // Only minimal, distinct schedules on one slot (unless crossSlots): the second step's point must come no earlier than the
    // first's and must still be reached after the first step alone; pairs whose steps already
    // break an invariant on their own are not reported again.
    for (let i = 0; i < steps.length; i++) {
      const ra = single[i];
      if (!ra || ra.inv.length) continue;
      for (let j = 0; j < steps.length; j++) {
        if (i === j) continue;
        const rb = single[j];
        if (!rb || rb.inv.length) continue;
        const a = steps[i];
        const b = steps[j];
        const oa = pointOrder(a.at);
        const ob = pointOrder(b.at);
        if (ob < oa || (ob === oa && a.at === b.at && a.slot === b.slot && a.actor === b.actor)) continue;
        if (!opts.crossSlots && a.slot !== b.slot) continue;
        if (!ra.reached.has(b.at)) continue;
        run([a, b]);
      }
    }
  }
  return findings;
}

/** Time order of preemption points within one attempt. */
export function pointOrder(at: string): number {
  if (at === 'scan-unlocked') return 0;
  if (at === 'alloc') return 1;
  const m = /^swapin:(\d+)$/.exec(at);
  if (m) return 2 + Number(m[1]) / HPAGE_PMD_NR;
  if (at === 'upgrade') return 4;
  return 5;
}

/** One line per finding, for the CLI and test messages. */
export function formatFinding(f: Finding): string {
  const sched = f.schedule.length
    ? f.schedule.map((s) => `${s.actor}${s.kind ? `(${s.kind})` : ''}@${s.at} slot ${s.slot}`).join(' then ')
    : '(no race needed)';
  return `${sched}: ${f.invariants.join(', ')} — ${f.result} — ${f.message}`;
}
