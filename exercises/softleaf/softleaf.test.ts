/**
 * softleaf: the early abort written with the leaf-entry API, run inside the patched ('after')
 * engine kernel in place of the kernel's scan. The scenarios are those of the early-abort
 * exercise — the behaviour must be the same whichever vocabulary the code uses: each test runs
 * one khugepaged or MADV_COLLAPSE attempt and checks the result, allocation, swap-ins, counters,
 * the mm_khugepaged_scan_pmd tracepoint and the lock checks; the last group compares your scan
 * with the engine's reference scan on many ranges.
 */
import { describe, it, expect } from 'vitest';
import { hpage_collapse_scan_pmd } from './solution';
import { makeWorld, runCollapse, simulate, type CollapseReport } from 'collapse-lab/engine';

interface Opts {
  madvise?: boolean;
  knobs?: { max_ptes_none?: number; max_ptes_swap?: number; max_ptes_shared?: number };
  uffd?: 'wp' | 'missing';
}

function run(layout: string, o: Opts = {}, reference = false): CollapseReport {
  // The patched kernel's own run is one `simulate` call: a pure function of plain options, which
  // the in-browser runner may answer from the runs it made while warming up.
  if (reference) return simulate({ layout, kernel: 'after', knobs: o.knobs, uffd: o.uffd, madvise: o.madvise ?? false }).report;
  const world = makeWorld({
    layout,
    kernel: 'after',
    knobs: o.knobs,
    uffd: o.uffd,
    ops: { hpage_collapse_scan_pmd },
  });
  return runCollapse(world, { madvise: o.madvise ?? false });
}

function ctxName(layout: string, o: Opts): string {
  const bits = [o.madvise ? 'MADV_COLLAPSE' : 'khugepaged'];
  if (o.knobs) bits.push(Object.entries(o.knobs).map(([k, v]) => `${k}=${v}`).join(','));
  if (o.uffd) bits.push(`uffd=${o.uffd}`);
  return `layout "${layout}" (${bits.join(', ')})`;
}

/** The mm_khugepaged_scan_pmd tracepoint of the attempt (the scan's own report). */
function scanTrace(r: CollapseReport): { referenced: number; none_or_zero: number; unmapped: number; result: string } | null {
  const ev = r.trace.find((e) => e.name === 'mm_khugepaged_scan_pmd');
  if (!ev) return null;
  const a = ev.args as Record<string, unknown>;
  return { referenced: Number(a.referenced), none_or_zero: Number(a.none_or_zero), unmapped: Number(a.unmapped), result: String(a.result) };
}

function bugList(r: CollapseReport): string {
  return r.bugs.map((b) => `[${b.kind}] ${b.message} (in ${b.path.join(' → ')})`).join('; ');
}

function expectNoBugs(r: CollapseReport, ctx: string): void {
  expect(r.bugs.length, `${ctx}: the lock/contract checks found: ${bugList(r)}`).toBe(0);
}

/** The common shape of an early stop in the scan. */
function expectScanStop(r: CollapseReport, ctx: string, want: string, where: string): void {
  const plainBreak =
    r.scan_result === 'SCAN_SUCCEED' || r.scan_result === 'SCAN_LACK_REFERENCED_PAGE'
      ? ' — so the scan ran to its end: either nothing stopped it at that slot, or your code left the loop with a plain `break`, which falls into the code after the loop that decides SCAN_SUCCEED / SCAN_LACK_REFERENCED_PAGE (leave with `break out_unmap`, the C `goto out_unmap`)'
      : '';
  expect(r.scan_result, `${ctx}: the scan should stop ${where} with ${want}, but your scan returned ${r.scan_result}${plainBreak}`).toBe(want);
  expect(r.result, `${ctx}: the attempt's result should be ${want} (the scan's), but it ended with ${r.result}`).toBe(want);
  expect(
    r.allocated,
    `${ctx}: no huge page should be allocated — the scan must stop before collapse_huge_page(), but a huge page was allocated (the scan let the range through)`,
  ).toBe(false);
  expect(r.swapped_in, `${ctx}: nothing should be swapped in, but ${r.swapped_in} page(s) were`).toBe(0);
  expect(
    r.mmap_locked,
    `${ctx}: an abort in the scan keeps the mmap read lock (the caller still holds it afterwards); the caller saw mmap_locked=${r.mmap_locked}`,
  ).toBe(true);
  expectNoBugs(r, ctx);
}

/** A layout of `page` with `kind` at `slot`. */
function withAt(kind: string, slot: number, filler = 'page'): string {
  const parts: string[] = [];
  if (slot > 0) parts.push(`${filler}*${slot}`);
  parts.push(kind);
  if (slot < 511) parts.push(`${filler}*${511 - slot}`);
  return parts.join(',');
}

const NON_SWAP: { kind: string; what: string }[] = [
  { kind: 'migration', what: 'a migration entry' },
  { kind: 'migration-w', what: 'a write migration entry' },
  { kind: 'migration+uffd', what: 'a migration entry carrying the uffd-wp bit' },
  { kind: 'device-private', what: 'a device-private entry' },
  { kind: 'device-exclusive', what: 'a device-exclusive entry' },
  { kind: 'hwpoison', what: 'a hwpoison entry' },
  { kind: 'guard', what: 'a guard marker' },
  { kind: 'poison', what: 'a poison marker' },
  { kind: 'uffd-marker', what: 'a uffd-wp marker' },
];

describe('every non-swap entry stops the scan with SCAN_PTE_NON_PRESENT, before any allocation', () => {
  for (const { kind, what } of NON_SWAP) {
    for (const slot of [0, 5, 511]) {
      it(`${what} at slot ${slot} stops the scan with SCAN_PTE_NON_PRESENT before any allocation`, () => {
        const layout = withAt(kind, slot);
        const o: Opts = kind === 'uffd-marker' ? { uffd: 'wp' } : {};
        const r = run(layout, o);
        const ctx = ctxName(layout, o);
        expectScanStop(r, ctx, 'SCAN_PTE_NON_PRESENT', `at slot ${slot} (${kind}: softleaf_is_swap() is false for it)`);
        const t = scanTrace(r);
        expect(t, `${ctx}: the scan should report itself through trace_mm_khugepaged_scan_pmd()`).not.toBeNull();
        expect(t!.unmapped, `${ctx}: the ${kind} entry must not be counted in unmapped (it is not swap); the tracepoint says unmapped=${t!.unmapped}`).toBe(0);
        expect(t!.referenced, `${ctx}: the scan should have looked at exactly the ${slot} pages before slot ${slot} (referenced=${slot}); the tracepoint says referenced=${t!.referenced}`).toBe(slot);
      });
    }
  }
  it('a guard marker after 10 real swap entries: stopped at the guard, the 10 swap entries counted, nothing swapped in', () => {
    const layout = 'page*100,swap*10,guard,page*401';
    const r = run(layout);
    const ctx = ctxName(layout, {});
    expectScanStop(r, ctx, 'SCAN_PTE_NON_PRESENT', 'at slot 110 (the guard)');
    const t = scanTrace(r)!;
    expect(t.unmapped, `${ctx}: the 10 real swap entries before the guard are counted (unmapped=10), the guard is not; the tracepoint says unmapped=${t.unmapped}${t.unmapped === 0 ? ' — did the scan stop at the first swap entry (slot 100)? Real swap entries must pass; only non-swap entries stop the scan' : ''}`).toBe(10);
  });
  it('abort happens without dropping the mmap lock and without touching the allocator (trace)', () => {
    const layout = withAt('guard', 300);
    const r = run(layout);
    const names = r.trace.map((e) => e.name);
    expect(names.includes('alloc_folio'), `${layout}: the trace shows alloc_folio — the scan let the range through to the allocation`).toBe(false);
    const scanAt = names.indexOf('mm_khugepaged_scan_pmd');
    expect(scanAt, `${layout}: the scan should report itself through trace_mm_khugepaged_scan_pmd()`).toBeGreaterThanOrEqual(0);
    const early = r.trace.slice(0, scanAt).filter((e) => e.name === 'mmap_read_unlock');
    expect(early.length, `${layout}: the trace shows mmap_read_unlock (by ${early.map((e) => String(e.args.by)).join(', ')}) before the scan finished — an early abort in the scan keeps the lock; only khugepaged's loop drops it afterwards`).toBe(0);
    expect(r.trace[scanAt].locks, `${layout}: when the scan reports its result khugepaged should still hold the mmap read lock, and nothing else (no PTE table, no PTL)`).toEqual(['mmap_lock:read']);
    expect(r.do_swap_page_calls.length, `${layout}: do_swap_page() must never be reached`).toBe(0);
  });
});

describe('real swap entries still count toward max_ptes_swap (khugepaged only)', () => {
  it('64 real swap entries are allowed: the scan succeeds and all 64 are swapped in', () => {
    const layout = 'page*448,swap*64';
    const r = run(layout);
    const ctx = ctxName(layout, {});
    expect(r.scan_result, `${ctx}: 64 swap entries is exactly max_ptes_swap=64, which is allowed; your scan returned ${r.scan_result}`).toBe('SCAN_SUCCEED');
    expect(r.result, `${ctx}: the collapse should succeed; it ended with ${r.result}`).toBe('SCAN_SUCCEED');
    expect(r.swapped_in, `${ctx}: all 64 swap entries should be swapped in; ${r.swapped_in} were`).toBe(64);
    expect(r.collapsed, `${ctx}: the range should be collapsed`).toBe(true);
    expect(scanTrace(r)!.unmapped, `${ctx}: unmapped should be 64`).toBe(64);
    expectNoBugs(r, ctx);
  });
  it('65 swap entries exceed max_ptes_swap=64: SCAN_EXCEED_SWAP_PTE at the 65th, counted in thp_scan_exceed_swap_pte', () => {
    const layout = 'page*447,swap*65';
    const r = run(layout);
    const ctx = ctxName(layout, {});
    expectScanStop(r, ctx, 'SCAN_EXCEED_SWAP_PTE', 'at the 65th swap entry (slot 511): ++unmapped makes it 65 > 64');
    expect(scanTrace(r)!.unmapped, `${ctx}: the counter is incremented before the comparison, so the tracepoint should say unmapped=65`).toBe(65);
    expect(r.counters.thp_scan_exceed_swap_pte ?? 0, `${ctx}: the vm event THP_SCAN_EXCEED_SWAP_PTE should be counted once (count_vm_event)`).toBe(1);
  });
  it('max_ptes_swap=8: 8 swap entries are swapped in, 9 exceed', () => {
    const ok = run('page*504,swap*8', { knobs: { max_ptes_swap: 8 } });
    expect(ok.scan_result, `layout "page*504,swap*8" with max_ptes_swap=8: 8 is within the limit; your scan returned ${ok.scan_result}`).toBe('SCAN_SUCCEED');
    expect(ok.swapped_in, 'max_ptes_swap=8, 8 swap entries: all 8 should be swapped in').toBe(8);
    const over = run('page*503,swap*9', { knobs: { max_ptes_swap: 8 } });
    expectScanStop(over, 'layout "page*503,swap*9" with max_ptes_swap=8', 'SCAN_EXCEED_SWAP_PTE', 'at the 9th swap entry');
  });
  it('max_ptes_swap=0: a single swap entry already exceeds the limit', () => {
    const r = run('page*511,swap', { knobs: { max_ptes_swap: 0 } });
    expectScanStop(r, 'layout "page*511,swap" with max_ptes_swap=0', 'SCAN_EXCEED_SWAP_PTE', 'at slot 511 (unmapped becomes 1 > 0)');
  });
  it('the limit is checked before the uffd-wp bit: 64 swap entries then a uffd-wp swap entry → SCAN_EXCEED_SWAP_PTE', () => {
    const layout = 'page*447,swap*64,swap+uffd';
    const r = run(layout);
    expectScanStop(r, ctxName(layout, {}), 'SCAN_EXCEED_SWAP_PTE', 'at slot 511: the 65th swap entry is over the limit, whatever its uffd-wp bit');
  });
});

describe('non-swap entries are never counted toward max_ptes_swap', () => {
  it('64 swap entries plus 2 migration entries: SCAN_PTE_NON_PRESENT at the first migration entry, not SCAN_EXCEED_SWAP_PTE', () => {
    const layout = 'page*446,swap*64,migration*2';
    const r = run(layout);
    const ctx = ctxName(layout, {});
    expectScanStop(r, ctx, 'SCAN_PTE_NON_PRESENT', 'at slot 510 (the first migration entry)');
    const t = scanTrace(r)!;
    expect(t.unmapped, `${ctx}: only the 64 real swap entries count; the tracepoint says unmapped=${t.unmapped} — did the migration entry get counted before the softleaf_is_swap() test?`).toBe(64);
    expect(r.counters.thp_scan_exceed_swap_pte ?? 0, `${ctx}: thp_scan_exceed_swap_pte must stay 0 — non-swap entries are not swap`).toBe(0);
  });
  it('65 migration entries after 447 pages: stopped at the first one (slot 447), unmapped stays 0', () => {
    const layout = 'page*447,migration*65';
    const r = run(layout);
    const ctx = ctxName(layout, {});
    expectScanStop(r, ctx, 'SCAN_PTE_NON_PRESENT', 'at slot 447');
    expect(scanTrace(r)!.unmapped, `${ctx}: unmapped should stay 0`).toBe(0);
    expect(r.counters.thp_scan_exceed_swap_pte ?? 0, `${ctx}: thp_scan_exceed_swap_pte must stay 0`).toBe(0);
  });
  it('a migration entry followed by 64 swap entries: SCAN_PTE_NON_PRESENT at slot 447, nothing counted', () => {
    const layout = 'page*447,migration,swap*64';
    const r = run(layout);
    expectScanStop(r, ctxName(layout, {}), 'SCAN_PTE_NON_PRESENT', 'at slot 447');
    expect(scanTrace(r)!.unmapped, `${layout}: unmapped should be 0 when the scan stops at slot 447`).toBe(0);
  });
});

describe('MADV_COLLAPSE ignores max_ptes_swap, but not the non-swap abort', () => {
  it('MADV_COLLAPSE: 65 swap entries are all swapped in and the range is collapsed', () => {
    const layout = 'page*447,swap*65';
    const r = run(layout, { madvise: true });
    const ctx = ctxName(layout, { madvise: true });
    expect(r.scan_result, `${ctx}: max_ptes_swap is only enforced when cc->is_khugepaged; your scan returned ${r.scan_result}`).toBe('SCAN_SUCCEED');
    expect(r.swapped_in, `${ctx}: all 65 should be swapped in; ${r.swapped_in} were`).toBe(65);
    expect(r.collapsed, `${ctx}: the range should be collapsed`).toBe(true);
    expect(r.errno, `${ctx}: MADV_COLLAPSE should return 0`).toBe(0);
    expectNoBugs(r, ctx);
  });
  it('MADV_COLLAPSE with max_ptes_swap=0: one swap entry is fine', () => {
    const r = run('page*511,swap', { madvise: true, knobs: { max_ptes_swap: 0 } });
    expect(r.scan_result, `layout "page*511,swap" (MADV_COLLAPSE, max_ptes_swap=0): the knob does not apply to MADV_COLLAPSE; your scan returned ${r.scan_result}`).toBe('SCAN_SUCCEED');
  });
  it('MADV_COLLAPSE: a guard marker still stops the scan with SCAN_PTE_NON_PRESENT (errno EINVAL)', () => {
    const layout = withAt('guard', 200);
    const r = run(layout, { madvise: true });
    const ctx = ctxName(layout, { madvise: true });
    expect(r.scan_result, `${ctx}: the non-swap abort applies to MADV_COLLAPSE too; your scan returned ${r.scan_result}`).toBe('SCAN_PTE_NON_PRESENT');
    expect(r.allocated, `${ctx}: no huge page should be allocated`).toBe(false);
    expect(r.errno, `${ctx}: MADV_COLLAPSE reports SCAN_PTE_NON_PRESENT as EINVAL`).toBe('EINVAL');
    expectNoBugs(r, ctx);
  });
});

describe('uffd-wp: the swap bit says UFFD_WP, markers say NON_PRESENT', () => {
  it('a swap entry with the uffd-wp bit stops the scan with SCAN_PTE_UFFD_WP', () => {
    const layout = withAt('swap+uffd', 10);
    const r = run(layout, { uffd: 'wp' });
    expectScanStop(r, ctxName(layout, { uffd: 'wp' }), 'SCAN_PTE_UFFD_WP', 'at slot 10 (pte_swp_uffd_wp)');
    expect(scanTrace(r)!.unmapped, `${layout}: the uffd-wp swap entry is a real swap entry and is counted first (unmapped=1)`).toBe(1);
  });
  it('MADV_COLLAPSE: a uffd-wp swap entry still gives SCAN_PTE_UFFD_WP', () => {
    const layout = withAt('swap+uffd', 10);
    const r = run(layout, { madvise: true, uffd: 'wp' });
    expect(r.scan_result, `${ctxName(layout, { madvise: true, uffd: 'wp' })}: your scan returned ${r.scan_result}`).toBe('SCAN_PTE_UFFD_WP');
  });
  it('a uffd-wp marker stops the scan with SCAN_PTE_NON_PRESENT, not SCAN_PTE_UFFD_WP (it is a non-swap entry)', () => {
    const layout = withAt('uffd-marker', 10);
    const r = run(layout, { uffd: 'wp' });
    expectScanStop(
      r,
      ctxName(layout, { uffd: 'wp' }),
      'SCAN_PTE_NON_PRESENT',
      'at slot 10: the marker is a non-swap entry, and the softleaf_is_swap() test comes before any uffd-wp test',
    );
  });
  it('a migration entry carrying the uffd-wp bit stops with SCAN_PTE_NON_PRESENT, not SCAN_PTE_UFFD_WP', () => {
    const layout = withAt('migration+uffd', 10);
    const r = run(layout, { uffd: 'wp' });
    expectScanStop(r, ctxName(layout, { uffd: 'wp' }), 'SCAN_PTE_NON_PRESENT', 'at slot 10: softleaf_is_swap() is tested first');
  });
  it('a present uffd-wp page before a guard: SCAN_PTE_UFFD_WP (first failing slot wins)', () => {
    const layout = 'page+uffd,guard,page*510';
    expectScanStop(run(layout, { uffd: 'wp' }), ctxName(layout, { uffd: 'wp' }), 'SCAN_PTE_UFFD_WP', 'at slot 0');
  });
});

describe('the first failing slot decides', () => {
  const cases: { layout: string; o?: Opts; want: string; where: string }[] = [
    { layout: 'page*3,guard,page*443,swap*65', want: 'SCAN_PTE_NON_PRESENT', where: 'at slot 3 (the guard), long before the 65th swap entry' },
    { layout: 'swap*65,guard,page*446', want: 'SCAN_EXCEED_SWAP_PTE', where: 'at slot 64 (the 65th swap entry), before the guard' },
    { layout: 'page*2,swap+uffd,page*4,guard,page*504', want: 'SCAN_PTE_UFFD_WP', where: 'at slot 2 (uffd-wp swap entry), before the guard' },
    { layout: 'page*2,guard,page*4,swap+uffd,page*504', want: 'SCAN_PTE_NON_PRESENT', where: 'at slot 2 (the guard), before the uffd-wp swap entry' },
    { layout: 'none,guard,page*510', o: { uffd: 'wp' }, want: 'SCAN_EXCEED_NONE_PTE', where: 'at slot 0: an empty PTE in a uffd-armed VMA, before the guard' },
    { layout: 'none*100,hwpoison,page*411', want: 'SCAN_PTE_NON_PRESENT', where: 'at slot 100: the empty PTEs are within max_ptes_none' },
    { layout: 'zero*3,device-exclusive,page*508', want: 'SCAN_PTE_NON_PRESENT', where: 'at slot 3: zero-page PTEs are counted as none, then the device-exclusive entry' },
    { layout: 'shared*257,guard,page*254', want: 'SCAN_EXCEED_SHARED_PTE', where: 'at slot 256 (the 257th shared page), before the guard' },
  ];
  for (const c of cases) {
    it(`${c.layout}${c.o?.uffd ? ' (uffd-wp VMA)' : ''} → ${c.want}`, () => {
      expectScanStop(run(c.layout, c.o ?? {}), ctxName(c.layout, c.o ?? {}), c.want, c.where);
    });
  }
});

// ------------------------------------------------------------------------------------------
// Differential: your scan vs the engine's patched scan, field by field.
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
    scan_tracepoint: scanTrace(r),
    thp_scan_exceed_none_pte: r.counters.thp_scan_exceed_none_pte ?? 0,
    thp_scan_exceed_swap_pte: r.counters.thp_scan_exceed_swap_pte ?? 0,
    thp_scan_exceed_share_pte: r.counters.thp_scan_exceed_share_pte ?? 0,
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

/** A small deterministic PRNG, so the "mixed" layouts are the same on every run. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mixedLayout(seed: number): string {
  const rnd = mulberry32(seed);
  const rare = ['swap', 'none', 'zero', 'old', 'shared', 'swap+uffd', ...NON_SWAP.map((n) => n.kind), 'swap@23', 'swap@9', 'page+pkey'];
  const items: string[] = [];
  let left = 512;
  while (left > 0) {
    const kind = rnd() < 0.75 ? 'page' : rare[Math.floor(rnd() * rare.length)];
    const n = Math.min(left, 1 + Math.floor(rnd() * (kind === 'page' || kind === 'page+pkey' ? 120 : kind.startsWith('swap') || kind === 'none' ? 40 : 3)));
    items.push(n === 1 ? kind : `${kind}*${n}`);
    left -= n;
  }
  return items.join(',');
}

// khugepaged: every layout. MADV_COLLAPSE (no limits, no "referenced" rule): the layouts where
// that context changes the answer. (Kept small: the whole file runs on every "Run tests".)
const DIFF_KHUGEPAGED: string[] = [
  'page*512',
  'old*512',
  'page*255,old*257',
  'page*448,swap*64',
  'page*447,swap*65',
  'page*446,swap*64,migration*2',
  'swap*64,migration,page*447',
  'migration,swap*64,page*447',
  'page*300,swap*30,none*100,page*81,guard',
  'none*511,page',
  'zero*200,page*312',
  'shared*257,page*255',
  'page*511,guard',
  'page*511,uffd-marker',
  'page*511,swap+uffd',
  'page*510,swap+uffd,hwpoison',
  'page*510,hwpoison,swap+uffd',
  'page*500,device-private,page*11',
  'page*500,device-exclusive,page*11',
  'page*500,poison,page*11',
  'page+uffd,page*511',
  'old*300,swap*20,page*192',
  // real swap entries on other swap devices (types 1–23 are swap: MAX_SWAPFILES is 24), and
  // present pages whose NX + protection-key bits fill the swap-type field (kernel-facts §3.2–3.3)
  'page*448,swap@23*64',
  'page*447,swap*30,swap@12*20,swap@23*15',
  'page+pkey*511,guard',
  'page*100,page+pkey*300,swap@23*50,migration,page*61',
  ...[1, 2, 3, 4, 5, 6, 7, 8].map(mixedLayout),
];
const DIFF_MADVISE: string[] = [
  'page*447,swap*65',
  'page*446,swap*64,migration*2',
  'swap*64,migration,page*447',
  'old*300,swap*20,page*192',
  'page*510,hwpoison,swap+uffd',
  'page*511,swap+uffd',
  'shared*257,page*255',
  'page+pkey*100,page*312,swap*30,swap@12*40,swap@23*30',
  ...[1, 2, 3].map(mixedLayout),
];

describe('same outcome as the patched kernel, range by range', () => {
  const cases = [...DIFF_KHUGEPAGED.map((layout) => ({ layout, madvise: false })), ...DIFF_MADVISE.map((layout) => ({ layout, madvise: true }))];
  for (const { layout, madvise } of cases) {
    {
      const o: Opts = { madvise };
      it(`matches the patched kernel: ${layout} (${madvise ? 'MADV_COLLAPSE' : 'khugepaged'})`, () => {
        const mine = summary(run(layout, o));
        const ref = summary(run(layout, o, true));
        expect(mine, `${ctxName(layout, o)}: your scan's outcome differs from the patched kernel's — ${differences(mine, ref)}`).toEqual(ref);
      });
    }
  }
  it('matches the patched kernel with a uffd-wp VMA and tight knobs', () => {
    for (const layout of ['page*500,swap*12', 'page*480,none*20,swap*12', 'page*500,uffd-marker,swap*11']) {
      const o: Opts = { uffd: 'wp', knobs: { max_ptes_none: 10, max_ptes_swap: 10 } };
      const mine = summary(run(layout, o));
      const ref = summary(run(layout, o, true));
      expect(mine, `${ctxName(layout, o)}: your scan's outcome differs from the patched kernel's — ${differences(mine, ref)}`).toEqual(ref);
    }
  });
});
