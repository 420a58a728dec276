/**
 * swapin-guard: your __collapse_huge_page_swapin() runs inside the patched ('after') engine
 * kernel in place of the kernel's own. The scan (the kernel's, patched) approves a range with
 * swap entries; then, while khugepaged has dropped the mmap lock for the huge-page allocation
 * (or while swap-in itself runs), other actors change PTEs. Each test runs one attempt and checks
 * the result, the calls to do_swap_page(), the swap-ins, and the engine's lock/contract checks.
 */
import { describe, it, expect } from 'vitest';
import { __collapse_huge_page_swapin } from './solution';
import { makeWorld, runCollapse, type CollapseReport, type Schedule, type World } from 'collapse-lab/engine';

const LAYOUT = 'page*448,swap*64'; // 448 present pages, then 64 swap entries (slots 448..511)
const FIRST_SWAP = 448;

interface Opts {
  layout?: string;
  madvise?: boolean;
  schedule?: Schedule;
}

function attempt(o: Opts, reference = false): { r: CollapseReport; world: World } {
  const world = makeWorld({
    layout: o.layout ?? LAYOUT,
    kernel: 'after',
    schedule: o.schedule ?? [],
    ops: reference ? undefined : { __collapse_huge_page_swapin },
  });
  const r = runCollapse(world, { madvise: o.madvise ?? false });
  return { r, world };
}

function describeSchedule(s: Schedule | undefined): string {
  if (!s || s.length === 0) return 'no other actor';
  return s.map((st) => `${st.actor}${st.kind ? `(${st.kind})` : ''} on slot ${st.slot} at '${st.at}'`).join(', then ');
}

function ctxOf(o: Opts): string {
  return `layout "${o.layout ?? LAYOUT}", ${o.madvise ? 'MADV_COLLAPSE' : 'khugepaged'}, ${describeSchedule(o.schedule)}`;
}

function bugsOf(r: CollapseReport, pred: (b: CollapseReport['bugs'][number]) => boolean): string[] {
  return r.bugs.filter(pred).map((b) => `[${b.kind}] ${b.message}`);
}

const isMappingLeak = (b: CollapseReport['bugs'][number]) =>
  b.kind === 'pte-mapping-leaked' || /PTE table still mapped|still mapped/i.test(b.message);
const isLockLeak = (b: CollapseReport['bugs'][number]) =>
  b.kind === 'leaked-lock' || (b.kind === 'contract' && /mmap_lock still held/i.test(b.message));
const isDoubleUnlock = (b: CollapseReport['bugs'][number]) =>
  b.kind === 'double-unlock' || b.kind === 'unlock-not-held';

const CONTRACT =
  'the contract of __collapse_huge_page_swapin (chapter 6): on any result other than SCAN_SUCCEED it returns with no PTE table mapped and the mmap lock already released — collapse_huge_page() relies on that and never unlocks after a failed swap-in';

/** The full set of checks for "a non-swap entry appeared; swap-in must stop cleanly". */
function expectCleanStop(o: Opts, why: string, swappedBefore?: number): CollapseReport {
  const { r } = attempt(o);
  const ctx = ctxOf(o);
  const handed = r.do_swap_page_calls.filter((c) => c.non_swap);
  expect(
    handed.map((c) => `slot ${c.slot}: ${c.entry}`),
    `${ctx}: do_swap_page() must never be handed a non-swap entry (${why}); your swap-in handed it: ${handed.map((c) => `slot ${c.slot}: ${c.entry}`).join('; ')}`,
  ).toEqual([]);
  expect(r.result, `${ctx}: swap-in should stop with SCAN_PTE_NON_PRESENT (${why}); the attempt ended with ${r.result}`).toBe('SCAN_PTE_NON_PRESENT');
  expect(r.collapsed, `${ctx}: the range must not be collapsed`).toBe(false);
  const leakMap = bugsOf(r, isMappingLeak);
  expect(leakMap, `${ctx}: returning SCAN_PTE_NON_PRESENT with the PTE table still mapped — ${CONTRACT}. Call pte_unmap(pte) before leaving. The engine says: ${leakMap.join('; ')}`).toEqual([]);
  const leakLock = bugsOf(r, isLockLeak);
  expect(leakLock, `${ctx}: returning SCAN_PTE_NON_PRESENT with the mmap read lock still held — ${CONTRACT}. Call mmap_read_unlock(mm) before leaving (this is the leak in the v3 hunk as posted). The engine says: ${leakLock.join('; ')}`).toEqual([]);
  const twice = bugsOf(r, isDoubleUnlock);
  expect(twice, `${ctx}: something was released twice, or released without being held — each exit path must release each thing exactly once (pte_offset_map_ro_nolock() took no PTL; leave with \`break out\` so no later code releases again). The engine says: ${twice.join('; ')}`).toEqual([]);
  const all = r.bugs.map((b) => `[${b.kind}] ${b.message}`);
  expect(all, `${ctx}: the lock/contract checks found: ${all.join('; ')}`).toEqual([]);
  expect(r.mmap_locked, `${ctx}: after the failed collapse the caller must see the mmap lock released`).toBe(false);
  if (swappedBefore !== undefined) {
    expect(
      r.swapped_in,
      `${ctx}: swap-in handles the slots in order and checks each one as it reads it, so the ${swappedBefore} swap entries before the non-swap entry are swapped in before it is reached (and stay swapped in); ${r.swapped_in} were`,
    ).toBe(swappedBefore);
  }
  return r;
}

const NON_SWAP_KINDS: { kind: string; what: string }[] = [
  { kind: 'migration', what: 'a migration entry' },
  { kind: 'migration-w', what: 'a write migration entry' },
  { kind: 'device-private', what: 'a device-private entry' },
  { kind: 'device-exclusive', what: 'a device-exclusive entry' },
  { kind: 'hwpoison', what: 'a hwpoison entry' },
  { kind: 'guard', what: 'a guard marker' },
  { kind: 'poison', what: 'a poison marker' },
  { kind: 'uffd-marker', what: 'a uffd-wp marker' },
];

describe('real swap entries are still swapped in', () => {
  it('64 swap entries, no race: all 64 swapped in, the range collapses, contents intact', () => {
    const o: Opts = {};
    const { r, world } = attempt(o);
    const ctx = ctxOf(o);
    expect(r.result, `${ctx}: the collapse should succeed; it ended with ${r.result}`).toBe('SCAN_SUCCEED');
    expect(r.swapped_in, `${ctx}: all 64 swap entries should be swapped in; ${r.swapped_in} were`).toBe(64);
    expect(r.do_swap_page_calls.length, `${ctx}: do_swap_page() should be called once per swap entry (64)`).toBe(64);
    expect(r.collapsed, `${ctx}: the range should be collapsed`).toBe(true);
    const all = r.bugs.map((b) => `[${b.kind}] ${b.message}`);
    expect(all, `${ctx}: the lock/contract checks found: ${all.join('; ')}`).toEqual([]);
    const pmd = world.mm.pmds[0];
    expect(pmd.entry.type, `${ctx}: PMD 0 should now map a huge page`).toBe('huge');
    if (pmd.entry.type === 'huge') {
      const got = pmd.entry.folio.pages.map((p) => p.content);
      expect(got, `${ctx}: the huge page must hold the same data as the 512 small pages and swap slots did`).toEqual(world.expected[0]);
    }
  });
  it('MADV_COLLAPSE with 100 swap entries: all swapped in, collapsed', () => {
    const o: Opts = { layout: 'page*412,swap*100', madvise: true };
    const { r } = attempt(o);
    expect(r.result, `${ctxOf(o)}: the collapse should succeed; it ended with ${r.result}`).toBe('SCAN_SUCCEED');
    expect(r.swapped_in, `${ctxOf(o)}: all 100 should be swapped in`).toBe(100);
    expect(r.errno, `${ctxOf(o)}: MADV_COLLAPSE should return 0`).toBe(0);
  });
  it('a present page that was swapped out during the allocation is swapped in too (it is a real swap entry)', () => {
    const o: Opts = { schedule: [{ at: 'alloc', actor: 'reclaim_swap_out', slot: 10 }] };
    const { r } = attempt(o);
    const ref = attempt(o, true).r;
    expect(r.do_swap_page_calls.filter((c) => c.non_swap).length, `${ctxOf(o)}: no non-swap entry may reach do_swap_page()`).toBe(0);
    expect(r.result, `${ctxOf(o)}: same result as the patched kernel`).toBe(ref.result);
    expect(r.swapped_in, `${ctxOf(o)}: same number of swap-ins as the patched kernel (65: the 64 plus slot 10)`).toBe(ref.swapped_in);
    const all = r.bugs.map((b) => `[${b.kind}] ${b.message}`);
    expect(all, `${ctxOf(o)}: the lock/contract checks found: ${all.join('; ')}`).toEqual([]);
  });
});

describe('a PTE that became a non-swap entry while the mmap lock was dropped stops swap-in', () => {
  for (const { kind, what } of NON_SWAP_KINDS) {
    for (const slot of [FIRST_SWAP, 470, 511]) {
      it(`swap slot ${slot} became ${what} during the allocation: stopped with SCAN_PTE_NON_PRESENT, ${slot - FIRST_SWAP} swapped in first`, () => {
        expectCleanStop(
          { schedule: [{ at: 'alloc', actor: 'set_pte', slot, kind }] },
          `slot ${slot} now holds ${what}`,
          slot - FIRST_SWAP,
        );
      });
    }
  }
  it('a present page (slot 10) became a migration entry: swap-in walks all 512 live PTEs, so it stops at slot 10 before any swap-in', () => {
    expectCleanStop({ schedule: [{ at: 'alloc', actor: 'set_pte', slot: 10, kind: 'migration' }] }, 'slot 10 now holds a migration entry', 0);
  });
});

describe('the real actors of chapter 6', () => {
  const cases: { s: Schedule; why: string; before?: number }[] = [
    { s: [{ at: 'alloc', actor: 'migration_start', slot: 10 }], why: 'migration started on the page in slot 10', before: 0 },
    { s: [{ at: 'scan-unlocked', actor: 'migration_start', slot: 10 }], why: 'migration started on slot 10 right after the scan dropped the PTL', before: 0 },
    { s: [{ at: 'alloc', actor: 'memory_failure', slot: 20 }], why: 'the page in slot 20 was poisoned (hwpoison entry)', before: 0 },
    { s: [{ at: 'alloc', actor: 'device_exclusive', slot: 30 }], why: 'a device took exclusive access to slot 30', before: 0 },
    { s: [{ at: 'alloc', actor: 'madv_guard_install', slot: 460 }], why: 'MADV_GUARD_INSTALL put a guard marker over swap slot 460', before: 12 },
  ];
  for (const c of cases) {
    it(`${c.why}: stopped with SCAN_PTE_NON_PRESENT, no lock or mapping leaked`, () => {
      expectCleanStop({ schedule: c.s }, c.why, c.before);
    });
  }
});

describe('swap-in reads the live PTE, slot by slot', () => {
  it('a guard installed over slot 460 while swap-in is running (just before it reads 460): 12 swapped in, then stopped', () => {
    expectCleanStop({ schedule: [{ at: 'swapin:460', actor: 'set_pte', slot: 460, kind: 'guard' }] }, 'slot 460 turned into a guard marker just before swap-in read it', 12);
  });
  it('slot 460 becomes a migration entry while swap-in is at slot 500 — after 460 was already checked: do_swap_page never sees it', () => {
    // Swap-in passes 460 (a real swap entry then) and swaps it in; when it reaches 500, slot 460
    // changes. A check made once, up front, for the whole range would have passed 460 *before*
    // it changed and then handed the migration entry to do_swap_page().
    const o: Opts = { schedule: [{ at: 'swapin:500', actor: 'set_pte', slot: 460, kind: 'migration' }] };
    const { r } = attempt(o);
    const ref = attempt(o, true).r;
    const handed = r.do_swap_page_calls.filter((c) => c.non_swap);
    expect(
      handed.map((c) => `slot ${c.slot}: ${c.entry}`),
      `${ctxOf(o)}: do_swap_page() was handed a non-swap entry — check each PTE as you read it (vmf.orig_pte), not a copy taken earlier`,
    ).toEqual([]);
    expect(r.result, `${ctxOf(o)}: same result as the patched kernel`).toBe(ref.result);
    const all = r.bugs.map((b) => `[${b.kind}] ${b.message}`);
    expect(all, `${ctxOf(o)}: the lock/contract checks found: ${all.join('; ')}`).toEqual([]);
  });
  it('a swap entry turned into a guard at slot 470 while swap-in is at slot 450: stopped at 470 with 22 swapped in', () => {
    expectCleanStop({ schedule: [{ at: 'swapin:450', actor: 'set_pte', slot: 470, kind: 'guard' }] }, 'slot 470 became a guard marker while swap-in was at slot 450', 22);
  });
});

describe("the guard's exit honours the contract", () => {
  const o: Opts = { schedule: [{ at: 'alloc', actor: 'set_pte', slot: 470, kind: 'guard' }] };
  it('returning SCAN_PTE_NON_PRESENT leaves no PTE table mapped (pte_unmap)', () => {
    const { r } = attempt(o);
    expect(r.result, `${ctxOf(o)}: swap-in should stop with SCAN_PTE_NON_PRESENT; it ended with ${r.result}`).toBe('SCAN_PTE_NON_PRESENT');
    const b = bugsOf(r, isMappingLeak);
    expect(b, `${ctxOf(o)}: the PTE table is still mapped after your guard returned — ${CONTRACT}. The other failure paths have it unmapped already (do_swap_page() unmaps it); yours must call pte_unmap(pte). The engine says: ${b.join('; ')}`).toEqual([]);
  });
  it('returning SCAN_PTE_NON_PRESENT releases the mmap read lock (mmap_read_unlock)', () => {
    const { r } = attempt(o);
    expect(r.result, `${ctxOf(o)}: swap-in should stop with SCAN_PTE_NON_PRESENT; it ended with ${r.result}`).toBe('SCAN_PTE_NON_PRESENT');
    const b = bugsOf(r, isLockLeak);
    expect(b, `${ctxOf(o)}: the mmap read lock is still held after your guard returned — ${CONTRACT}. Every other failure path calls mmap_read_unlock(mm) (or do_swap_page() already dropped it); the hunk as posted in v3 did not, and leaked the lock. The engine says: ${b.join('; ')}`).toEqual([]);
  });
  it('nothing is released twice, and no lock that was never taken is released', () => {
    const { r } = attempt(o);
    const b = bugsOf(r, isDoubleUnlock);
    expect(b, `${ctxOf(o)}: pte_offset_map_ro_nolock() takes no PTL (so no pte_unmap_unlock), and the mmap lock is released once — by you, on this path — then leave through \`out\` (break out), not the loop's normal end or an error path that unlocks again. The engine says: ${b.join('; ')}`).toEqual([]);
  });
  it('the result is SCAN_PTE_NON_PRESENT, not SCAN_FAIL: MADV_COLLAPSE moves on to the next range (errno EINVAL), it does not give up', () => {
    const mo: Opts = { ...o, madvise: true };
    const { r } = attempt(mo);
    expect(r.result, `${ctxOf(mo)}: a non-swap entry is "not present", the same verdict the scan gives (SCAN_PTE_NON_PRESENT); your swap-in returned ${r.result}`).toBe('SCAN_PTE_NON_PRESENT');
    expect(r.errno, `${ctxOf(mo)}: MADV_COLLAPSE reports it as EINVAL`).toBe('EINVAL');
  });
  it('the trace shows the mmap lock released on the way out and not held when the attempt ends', () => {
    const { r } = attempt(o);
    const last = r.trace[r.trace.length - 1];
    expect(last?.locks ?? [], `${ctxOf(o)}: after the attempt khugepaged should hold nothing; the trace shows it still holding: ${(last?.locks ?? []).join(', ')}`).toEqual([]);
  });
});

// trace_mm_collapse_huge_page_swapin(mm, swapped_in, referenced, ret) fires at the function's one
// exit (`out:`), on success and on every failure (mm/khugepaged.c; kernel-facts §2.5) — the scan
// tests check mm_khugepaged_scan_pmd the same way.
describe("the guard's exit reports through the mm_collapse_huge_page_swapin tracepoint", () => {
  const o: Opts = { schedule: [{ at: 'alloc', actor: 'set_pte', slot: 470, kind: 'guard' }] };
  it('one tracepoint on the way out: ret SCAN_PTE_NON_PRESENT, swapped_in 22 (slots 448–469), referenced as the scan passed it', () => {
    const { r } = attempt(o);
    const ctx = ctxOf(o);
    const evs = r.trace.filter((e) => e.name === 'mm_collapse_huge_page_swapin');
    expect(evs.length, `${ctx}: __collapse_huge_page_swapin() reports once, at \`out:\` — leave the guard with \`break out\` (the C \`goto out\`) so trace_mm_collapse_huge_page_swapin() runs; a plain \`return\` skips it. Found ${evs.length} such event(s)`).toBe(1);
    const a = evs[0].args as Record<string, unknown>;
    expect(a.ret, `${ctx}: the tracepoint should report ret=SCAN_PTE_NON_PRESENT (what the guard returns); it says ${String(a.ret)}`).toBe('SCAN_PTE_NON_PRESENT');
    expect(a.swapped_in, `${ctx}: 22 swap entries (slots 448–469) were swapped in before the guard at slot 470; the tracepoint says swapped_in=${String(a.swapped_in)}`).toBe(22);
    const ref = attempt(o, true).r.trace.find((e) => e.name === 'mm_collapse_huge_page_swapin')!.args as Record<string, unknown>;
    expect(a.referenced, `${ctx}: referenced is the scan's count handed in by collapse_huge_page() (${String(ref.referenced)}); the tracepoint says ${String(a.referenced)}`).toBe(ref.referenced);
  });
  it('the tracepoint comes after the PTE table was unmapped and the mmap lock released', () => {
    const { r } = attempt(o);
    const ev = r.trace.find((e) => e.name === 'mm_collapse_huge_page_swapin');
    expect(ev, `${ctxOf(o)}: no mm_collapse_huge_page_swapin event — leave the guard through \`out:\` (break out)`).toBeDefined();
    expect(ev!.locks, `${ctxOf(o)}: at the tracepoint khugepaged should hold nothing (pte_unmap and mmap_read_unlock come first, then \`goto out\`); it holds: ${ev!.locks.join(', ')}`).toEqual([]);
  });
});

// Real swap entries live on swap devices 0–23 (MAX_SWAPFILES = 24; kernel-facts §3.2), and a
// present PTE is skipped before anything is decoded (`if (!is_swap_pte(orig_pte)) continue;`).
const DEVICE_23 = 'swap device 23 is a real swap device: MAX_SWAPFILES is 24, so types 0–23 are swap devices and only types 24–31 are non-swap entries';
const PKEY =
  'the leading PRESENT pages carry protection key 15 and NX — bits 59–63 all set, which a swap PTE would use for its type (31, a marker); skip present PTEs with is_swap_pte() before decoding anything';

describe('swap devices 1–23, and present pages whose high bits look like a swap type', () => {
  const cases: { name: string; o: Opts; swapped: number; why: string }[] = [
    { name: '64 swap entries on swap device 23: all swapped in, collapsed', o: { layout: 'page*448,swap@23*64' }, swapped: 64, why: DEVICE_23 },
    { name: 'swap entries on devices 0, 9 and 23: all 64 swapped in, collapsed', o: { layout: 'page*448,swap*20,swap@9*22,swap@23*22' }, swapped: 64, why: DEVICE_23 },
    { name: 'a present page swapped out to device 23 during the allocation is swapped in too', o: { layout: 'page*448,swap*64', schedule: [{ at: 'alloc', actor: 'set_pte', slot: 10, kind: 'swap@23' }] }, swapped: 65, why: DEVICE_23 },
    { name: '448 present pages with protection key 15, then 64 swap entries: all swapped in, collapsed', o: { layout: 'page+pkey*448,swap*64' }, swapped: 64, why: PKEY },
    { name: 'MADV_COLLAPSE: protection-key pages and 100 swap entries on device 23', o: { layout: 'page+pkey*412,swap@23*100', madvise: true }, swapped: 100, why: `${PKEY}; and ${DEVICE_23}` },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const { r } = attempt(c.o);
      const ctx = ctxOf(c.o);
      expect(r.result, `${ctx}: ${c.why}; the attempt ended with ${r.result}`).toBe('SCAN_SUCCEED');
      expect(r.swapped_in, `${ctx}: ${c.swapped} pages should be swapped in (${c.why}); ${r.swapped_in} were`).toBe(c.swapped);
      expect(r.collapsed, `${ctx}: the range should be collapsed`).toBe(true);
      expect(r.contents_ok, `${ctx}: the huge page must hold the original data`).toBe(true);
      const all = r.bugs.map((b) => `[${b.kind}] ${b.message}`);
      expect(all, `${ctx}: the lock/contract checks found: ${all.join('; ')}`).toEqual([]);
    });
  }
});

// ------------------------------------------------------------------------------------------
// Differential: your swap-in vs the engine's patched swap-in, race by race.
// ------------------------------------------------------------------------------------------

function summary(r: CollapseReport) {
  return {
    result: r.result,
    scan_result: r.scan_result,
    allocated: r.allocated,
    collapsed: r.collapsed,
    swapped_in: r.swapped_in,
    mmap_locked: r.mmap_locked,
    errno: r.errno,
    do_swap_page_calls: r.do_swap_page_calls.map((c) => `${c.slot}${c.non_swap ? ' NON-SWAP' : ''}`).join(','),
    bugs: r.bugs.map((b) => `${b.kind}: ${b.message}`),
  };
}

/** "field: yours X, the kernel's Y" for every field that differs. */
function differences(mine: Record<string, unknown>, ref: Record<string, unknown>): string {
  const out: string[] = [];
  for (const k of Object.keys(ref)) {
    const a = JSON.stringify(mine[k]);
    const b = JSON.stringify(ref[k]);
    if (a !== b) out.push(`${k}: yours ${a}, the patched kernel's ${b}`);
  }
  return out.join('; ');
}

// Races: a kind installed at a point on a slot. 'scan-unlocked' and 'alloc' look the same to
// swap-in (both before it starts); the swapin:<slot> points race swap-in itself. Kept small: the
// whole file runs on every "Run tests".
const RACES: { name: string; o: Opts }[] = [];
for (const kind of ['migration', 'guard', 'hwpoison', 'device-private']) {
  for (const at of ['alloc', 'swapin:449', 'swapin:480']) {
    for (const slot of [5, 480, 511]) {
      RACES.push({ name: `set_pte(${kind}) on slot ${slot} at '${at}'`, o: { schedule: [{ at, actor: 'set_pte', slot, kind }] } });
    }
  }
}
RACES.push({ name: "set_pte(guard) on slot 480 at 'alloc', protection-key pages in front", o: { layout: 'page+pkey*448,swap*64', schedule: [{ at: 'alloc', actor: 'set_pte', slot: 480, kind: 'guard' }] } });
for (const kind of ['swap', 'swap@23', 'page', 'page+pkey', 'none']) {
  RACES.push({ name: `set_pte(${kind}) on slot 480 at 'alloc'`, o: { schedule: [{ at: 'alloc', actor: 'set_pte', slot: 480, kind }] } });
}
RACES.push({ name: "set_pte(device-exclusive) on slot 449 at 'scan-unlocked'", o: { schedule: [{ at: 'scan-unlocked', actor: 'set_pte', slot: 449, kind: 'device-exclusive' }] } });
RACES.push({ name: 'MADV_COLLAPSE, guard on slot 480 at alloc', o: { madvise: true, schedule: [{ at: 'alloc', actor: 'set_pte', slot: 480, kind: 'guard' }] } });
RACES.push({ name: 'two swap slots become migration entries at alloc', o: { schedule: [{ at: 'alloc', actor: 'set_pte', slot: 500, kind: 'migration' }, { at: 'alloc', actor: 'set_pte', slot: 460, kind: 'migration' }] } });
RACES.push({ name: 'owner faults slot 460 back in at alloc', o: { schedule: [{ at: 'alloc', actor: 'owner_fault', slot: 460 }] } });
RACES.push({ name: 'migration starts and finishes on slot 10 during the allocation', o: { schedule: [{ at: 'alloc', actor: 'migration_start', slot: 10 }, { at: 'alloc', actor: 'migration_finish', slot: 10 }] } });

describe('same outcome as the patched kernel, race by race', () => {
  for (const race of RACES) {
    it(`matches the patched kernel: ${race.name}`, () => {
      const mine = summary(attempt(race.o).r);
      const ref = summary(attempt(race.o, true).r);
      expect(mine, `${ctxOf(race.o)}: your swap-in's outcome differs from the patched kernel's — ${differences(mine, ref)}`).toEqual(ref);
    });
  }
});
