/**
 * race-schedule: your schedule is replayed on the range "page*448,swap*64", once on the
 * unpatched kernel ('before') and once on the patched one ('after'). On 'before' it must make
 * swap-in hand a non-swap entry to do_swap_page(); on 'after' the same race must be stopped.
 */
import { describe, it, expect } from 'vitest';
import { schedule } from './solution';
import { makeWorld, runCollapse, type CollapseReport, type Schedule } from 'collapse-lab/engine';

/**
 * The variant graded (issue 15). Unseeded it is the exercise as written; a runner grading for a
 * seed (a student id) replaces the JSON between the markers with deriveVariant('race-schedule', seed)
 * from src/grading/variant.ts: another layout, and the slot and actor the race must use.
 */
const VARIANT: { exercise: string; seed: string | null; layout: string; swapStart: number; slot: number | null; actor: string | null; extraLayouts: string[] } =
  /* collapse-lab:variant */ {"exercise":"race-schedule","seed":null,"layout":"page*448,swap*64","swapStart":448,"slot":null,"actor":null,"extraLayouts":[]} /* /collapse-lab:variant */;
const LAYOUT = VARIANT.layout;
const REAL_ACTORS = [
  'migration_start',
  'migration_finish',
  'reclaim_swap_out',
  'memory_failure',
  'owner_fault',
  'madv_guard_install',
  'uffdio_writeprotect',
  'device_exclusive',
];
const POINT = /^(scan-unlocked|alloc|upgrade|swapin:(\d{1,3}))$/;

function replay(kernel: 'before' | 'after', s: Schedule): CollapseReport {
  // A copy, so nothing the engine does can change the learner's array between the two replays.
  const steps = s.map((st) => ({ ...st }));
  return runCollapse(makeWorld({ layout: LAYOUT, kernel, schedule: steps }), { madvise: false });
}

function stepName(st: Schedule[number]): string {
  return `${st.actor} on slot ${st.slot} at '${st.at}'`;
}

/** What the steps did, read back from the trace ("preempt", "actor" and "blocked" events). */
function whatHappened(r: CollapseReport): string {
  const lines: string[] = [];
  let point = '?';
  for (const e of r.trace) {
    const a = e.args as Record<string, unknown>;
    if (e.name === 'preempt') point = String(a.point);
    if (e.name === 'actor' || e.name === 'blocked') {
      const change = a.before !== undefined ? `: ${String(a.before)} → ${String(a.after)}` : '';
      const why = a.reason ?? a.note;
      lines.push(`${e.name === 'blocked' ? 'BLOCKED ' : ''}${String(a.actor)} on slot ${String(a.slot)} at '${point}'${change}${why ? ` (${String(why)})` : ''}`);
    }
  }
  const dsp = r.do_swap_page_calls;
  const nonSwap = dsp.filter((c) => c.non_swap);
  lines.push(
    `do_swap_page() was called for ${dsp.length} slot(s)` +
      (nonSwap.length ? `, ${nonSwap.length} of them non-swap (${nonSwap.map((c) => c.slot).join(', ')})` : ', all of them real swap entries'),
  );
  lines.push(`the attempt ended with ${r.result}`);
  return lines.join('; ');
}

/** Steps that did nothing: blocked, or ran but left their PTE holding the same kind of thing. */
function idleSteps(r: CollapseReport): string[] {
  const out: string[] = [];
  for (const e of r.trace) {
    const a = e.args as Record<string, unknown>;
    if (e.name === 'blocked') out.push(`${String(a.actor)} on slot ${String(a.slot)} was blocked (${String(a.reason)})`);
    else if (e.name === 'actor' && a.before === a.after)
      out.push(`${String(a.actor)} on slot ${String(a.slot)} changed nothing${a.note ? ` (${String(a.note)})` : ` (the PTE still holds: ${String(a.after)})`}`);
  }
  return out;
}

function isArrayOfSteps(s: unknown): s is Schedule {
  return Array.isArray(s) && s.every((st) => st && typeof st === 'object');
}

describe('your schedule', () => {
  it('is a list of steps { at, actor, slot } at known points, with real actors, on slots 0..511', () => {
    expect(isArrayOfSteps(schedule), 'export const schedule must be an array of { at, actor, slot } objects').toBe(true);
    expect(schedule.length, 'the schedule is empty: add at least one step (which actor, on which slot, at which point)').toBeGreaterThan(0);
    for (const st of schedule) {
      const m = POINT.exec(String(st.at));
      expect(m !== null, `step ${JSON.stringify(st)}: '${st.at}' is not a preemption point (scan-unlocked, alloc, upgrade, swapin:<slot>)`).toBe(true);
      if (m && m[2] !== undefined) expect(Number(m[2]) < 512, `step ${JSON.stringify(st)}: swapin:<slot> needs a slot 0..511`).toBe(true);
      expect(Number.isInteger(st.slot) && st.slot >= 0 && st.slot < 512, `step ${JSON.stringify(st)}: slot must be an integer 0..511`).toBe(true);
    }
  });
  it('uses only real kernel actors (set_pte can install anything anywhere — say which real event makes the entry)', () => {
    for (const st of schedule) {
      expect(
        REAL_ACTORS.includes(st.actor),
        `step ${JSON.stringify(st)}: '${st.actor}' is not one of the real actors (${REAL_ACTORS.join(', ')}). Which event in a running system turns a PTE into a non-swap entry?`,
      ).toBe(true);
    }
  });
  it('every step runs and changes its PTE on the unpatched kernel (none is blocked, none finds nothing to act on)', () => {
    const r = replay('before', schedule);
    expect(
      idleSteps(r),
      `some steps did nothing (an actor needs its locks free and something to act on — migration, reclaim, poisoning and device access need a present page): ${whatHappened(r)}`,
    ).toEqual([]);
  });
});

describe("on the unpatched ('before') kernel", () => {
  it('the scan approves the range (SCAN_SUCCEED): the race happens after the scan, in the window', () => {
    const r = replay('before', schedule);
    expect(r.scan_result, `the scan itself should succeed on "${LAYOUT}" (64 swap entries = max_ptes_swap); with your schedule it returned ${r.scan_result}: ${whatHappened(r)}`).toBe('SCAN_SUCCEED');
    expect(r.allocated, `khugepaged should get as far as allocating the huge page: ${whatHappened(r)}`).toBe(true);
  });
  it('swap-in hands a non-swap entry to do_swap_page() (the bug the patch fixes)', () => {
    const r = replay('before', schedule);
    const found = r.bugs.filter((b) => b.kind === 'non-swap-to-do_swap_page');
    let advice = '';
    if (schedule.some((st) => st.at === 'upgrade')) advice += " A step at 'upgrade' runs after swap-in has finished — too late for do_swap_page(); isolate catches it instead.";
    if (schedule.some((st) => st.actor === 'reclaim_swap_out')) advice += ' Reclaim turns a page into a REAL swap entry — exactly what swap-in is for.';
    if (schedule.some((st) => st.actor === 'owner_fault')) advice += ' A fault brings the page back in: a present PTE, which swap-in skips.';
    if (schedule.some((st) => st.actor === 'uffdio_writeprotect')) advice += ' Write-protecting changes bits of the PTE, not its kind (and this VMA is not registered with userfaultfd).';
    if (schedule.some((st) => st.actor === 'migration_finish')) advice += ' A migration that also finishes leaves a present page behind.';
    expect(
      found.length,
      `with your schedule the old kernel never handed a non-swap entry to do_swap_page(): ${whatHappened(r)}.${advice}`,
    ).toBeGreaterThan(0);
    expect(r.do_swap_page_calls.some((c) => c.non_swap), `the report should list a non-swap do_swap_page() call: ${whatHappened(r)}`).toBe(true);
  });
});

describe("on the patched ('after') kernel", () => {
  it('the same schedule is stopped: no non-swap entry reaches do_swap_page(), no bug', () => {
    const r = replay('after', schedule);
    expect(r.bugs.map((b) => `[${b.kind}] ${b.message}`), `the patched kernel should stop your race cleanly: ${whatHappened(r)}`).toEqual([]);
    expect(r.do_swap_page_calls.filter((c) => c.non_swap).length, `no non-swap entry may reach do_swap_page() on the patched kernel: ${whatHappened(r)}`).toBe(0);
  });
  it('swap-in gives up with SCAN_PTE_NON_PRESENT and nothing is collapsed', () => {
    const r = replay('after', schedule);
    expect(r.result, `the patched swap-in should see the non-swap entry and stop with SCAN_PTE_NON_PRESENT: ${whatHappened(r)}`).toBe('SCAN_PTE_NON_PRESENT');
    expect(r.collapsed, 'nothing should be collapsed').toBe(false);
    const swapin = r.trace.find((e) => e.name === 'mm_collapse_huge_page_swapin');
    expect(
      swapin ? String(swapin.args.ret) : 'swap-in never ran',
      `it should be the swap-in guard that stops it (not the scan, and not isolate after swap-in): ${whatHappened(r)}`,
    ).toBe('SCAN_PTE_NON_PRESENT');
  });
});

describe('replays are deterministic', () => {
  it('the same schedule gives the same trace twice', () => {
    const a = replay('before', schedule).trace.map((e) => `${e.thread}:${e.name}:${JSON.stringify(e.args)}`);
    const b = replay('before', schedule).trace.map((e) => `${e.thread}:${e.name}:${JSON.stringify(e.args)}`);
    expect(a, 'two replays of the same schedule should leave identical traces').toEqual(b);
  });
});

// Only a seeded variant names a slot and an actor; the default exercise accepts any real race.
const target = VARIANT.slot;
const wanted = VARIANT.actor;
if (target !== null && wanted !== null) {
  describe('your variant', () => {
    it('the race hits the slot of your variant: the unpatched swap-in hands do_swap_page() a non-swap entry there, and nowhere else', () => {
      const r = replay('before', schedule);
      const slots = r.do_swap_page_calls.filter((c) => c.non_swap).map((c) => c.slot);
      expect(slots, `your variant needs the non-swap entry in slot ${target} of "${LAYOUT}" (and only there); non-swap do_swap_page() calls happened at [${slots.join(', ')}]: ${whatHappened(r)}`).toEqual([target]);
    });
    it('the non-swap entry in that slot is made by the actor of your variant', () => {
      const r = replay('before', schedule);
      const made = r.trace.some((e) => {
        const a = e.args as Record<string, unknown>;
        return e.name === 'actor' && a.actor === wanted && a.slot === target && a.before !== a.after;
      });
      const used = schedule.filter((st) => st.slot === target).map((st) => st.actor);
      expect(made, `your variant asks for ${wanted} on slot ${target}; ${used.length ? `slot ${target} was acted on by ${used.join(', ')}` : `no step acts on slot ${target}`}: ${whatHappened(r)}`).toBe(true);
    });
  });
}
