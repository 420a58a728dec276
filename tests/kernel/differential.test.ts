// The live kernel as the judge: every scenario below runs on this machine's kernel (the C harness
// tools/live-kernel/collapse-live.c, in its own memory) and on the engine (`collapse --kernel
// before --json`), and the two must agree on errno, collapsed per PMD, contents and whether a huge
// page was allocated. This kernel (6.18) does not carry the course patch, so it is an oracle for
// the engine's `before` side.
//
// Each row also says what the kernel itself must do, from a source that is not the engine (the
// kernel's selftests, the guard-regions selftest, the probe in issue 13, kernel-facts §2.3): that
// checks the harness, so a broken harness cannot make both sides "agree" by accident.
//
// Rows the kernel cannot build (migration in flight, device entries, hwpoison, …) are listed with
// the reason and reported skipped; so is every row when the machine cannot run the harness (not
// Linux, not root, no cc, no THP), and every comparison the engine's CLI cannot express yet.
// Nothing is silently passed: the summary line says how many ran, were skipped, and agreed.
// THP state is machine-wide, so this file runs its rows one after the other (and the harness takes
// a machine-wide lock against another checkout's run).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ROOT,
  buildHarness,
  compareRuns,
  runEngine,
  runHarness,
  sideBySide,
  type HarnessReport,
  type Scenario,
} from '../../tools/live-kernel/live.ts';

type Errno = '0' | 'EINVAL' | 'EBUSY' | 'EAGAIN' | 'ENOMEM';

interface Row extends Scenario {
  /** Test name: the case in words. */
  name: string;
  /** Where the expected kernel behaviour comes from (not from the engine). */
  source: string;
  /** What the kernel must do (MADV_COLLAPSE errno; collapsed per PMD). */
  kernel?: { errno?: Errno; collapsed: boolean[] };
  /** The kernel cannot build this: the reason (row reported skipped). */
  cannot?: string;
  /**
   * A difference between kernel and engine that is understood and documented in
   * src/engine/README.md ("Checked against the live kernel"): the facts that differ, and why.
   */
  explained?: { facts: string[]; why: string };
}

const alternate = (a: string, b: string, pairs: number) => Array.from({ length: pairs }, () => `${a},${b}`).join(',');

const SELFTEST = 'tools/testing/selftests/mm/khugepaged.c';
const ROWS: Row[] = [
  // ---- the kernel's khugepaged selftests, MADV_COLLAPSE context (knobs ignored)
  { name: 'collapse_full: 512 written pages collapse (MADV_COLLAPSE)', source: `${SELFTEST} collapse_full`,
    layouts: ['page*512'], kernel: { errno: '0', collapsed: [true] } },
  { name: 'collapse_empty: a PMD never touched has no PTE table and is not collapsed', source: `${SELFTEST} collapse_empty`,
    layouts: ['page*512', 'no-table'], kernel: { errno: 'EINVAL', collapsed: [true, false] } },
  { name: 'collapse_single_pte_entry: one page and 511 empty PTEs collapse', source: `${SELFTEST} collapse_single_pte_entry`,
    layouts: ['page,none*511'], kernel: { errno: '0', collapsed: [true] } },
  { name: 'a PTE table with every PTE empty still collapses under MADV_COLLAPSE (max_ptes_none ignored)', source: 'kernel-facts §2.1 (MADV_COLLAPSE ignores max_ptes_*)',
    layouts: ['none*512'], kernel: { errno: '0', collapsed: [true] } },
  { name: 'collapse_swapin_single_pte: one swapped-out page is swapped in and collapsed', source: `${SELFTEST} collapse_swapin_single_pte`,
    layouts: ['swap,page*511'], kernel: { errno: '0', collapsed: [true] } },
  { name: '64 swapped-out pages are swapped in and collapsed with their contents', source: 'issue 13 probe; kernel-facts §2.3',
    layouts: ['page*448,swap*64'], kernel: { errno: '0', collapsed: [true] } },
  { name: 'MADV_COLLAPSE ignores max_ptes_swap: 65 swapped-out pages still collapse', source: `${SELFTEST} collapse_max_ptes_swap (madvise context)`,
    layouts: ['page*447,swap*65'], kernel: { errno: '0', collapsed: [true] } },
  { name: 'MADV_COLLAPSE ignores max_ptes_shared: 257 pages shared with a child still collapse', source: `${SELFTEST} collapse_max_ptes_shared (madvise context)`,
    layouts: ['page*255,shared*257'], kernel: { errno: '0', collapsed: [true] } },
  { name: 'collapse_fork: pages shared with a child (fork) collapse', source: `${SELFTEST} collapse_fork`,
    layouts: ['shared*512'], kernel: { errno: '0', collapsed: [true] } },
  { name: 'zero-page PTEs (read faults) count as empty and collapse', source: 'kernel-facts §2.3 row B',
    layouts: ['page*256,zero*256'], kernel: { errno: '0', collapsed: [true] } },
  { name: 'a PMD of zero-page PTEs collapses once the VMA has an anon_vma', source: 'kernel-facts §2.3 row B',
    layouts: ['zero*512'], kernel: { errno: '0', collapsed: [true] } },
  { name: 'old (not young) pages do not matter to MADV_COLLAPSE', source: 'kernel-facts §2.3 row L (referenced counts only for khugepaged)',
    layouts: ['old*512'], kernel: { errno: '0', collapsed: [true] } },
  { name: 'a VMA never written (no anon_vma): MADV_COLLAPSE fails before any scan', source: 'mm/huge_memory.c __thp_vma_allowable_orders(): no anon_vma → no orders',
    layouts: ['zero*512'], noPrime: true, kernel: { errno: 'EINVAL', collapsed: [false] },
    explained: { facts: ['errno', 'collapsed', 'tracepoint 1', 'tracepoint 2', 'tracepoint 3', 'huge page allocated'],
      why: 'the engine\'s VMA always has an anon_vma; the kernel refuses a VMA that never had a page written (src/engine/README.md, "Checked against the live kernel")' } },

  // ---- non-swap entries the kernel can make: guard markers (guard-regions selftest), uffd
  { name: 'a guard marker in the last slot: MADV_COLLAPSE fails with EINVAL after allocating', source: 'issue 13 probe; kernel-facts §4 (guard → VM_FAULT_SIGSEGV in swap-in)',
    layouts: ['page*511,guard'], kernel: { errno: 'EINVAL', collapsed: [false] } },
  { name: 'a guard marker in slot 0: EINVAL, nothing collapses', source: 'issue 13 probe',
    layouts: ['guard,page*511'], kernel: { errno: 'EINVAL', collapsed: [false] } },
  { name: 'guard-regions collapse: guard markers on every other page survive MADV_COLLAPSE', source: 'tools/testing/selftests/mm/guard-regions.c TEST_F(guard_regions, collapse)',
    layouts: [alternate('page', 'guard', 256)], kernel: { errno: 'EINVAL', collapsed: [false] } },
  { name: 'a PMD of guard markers only is not collapsed', source: 'kernel-facts §4',
    layouts: ['guard*512'], kernel: { errno: 'EINVAL', collapsed: [false] } },
  { name: 'a page write-protected by userfaultfd stops the scan (SCAN_PTE_UFFD_WP)', source: 'kernel-facts §2.3 row C',
    layouts: ['page*511,page+uffd'], uffd: 'wp', kernel: { errno: 'EINVAL', collapsed: [false] } },
  { name: 'a swap entry with the uffd-wp bit stops the scan', source: 'kernel-facts §2.3 row A (pte_swp_uffd_wp_any)',
    layouts: ['page*511,swap+uffd'], uffd: 'wp', kernel: { errno: 'EINVAL', collapsed: [false] } },
  { name: 'a uffd-wp PTE marker stops the scan (SCAN_PTE_UFFD_WP before the patch)', source: 'kernel-facts §1.3 and §2.3 row A',
    layouts: ['page*511,uffd-marker'], uffd: 'wp', kernel: { errno: 'EINVAL', collapsed: [false] } },
  { name: 'a POISONED marker (UFFDIO_POISON) reaches swap-in and fails there', source: 'kernel-facts §4 (poison → VM_FAULT_HWPOISON)',
    layouts: ['page*511,poison'], uffd: 'missing', kernel: { errno: 'EINVAL', collapsed: [false] } },
  { name: 'an empty PTE in a uffd-armed VMA fails even MADV_COLLAPSE (EBUSY)', source: 'kernel-facts §2.1 (uffd rule applies to MADV_COLLAPSE)',
    layouts: ['page*511,none'], uffd: 'wp', kernel: { errno: 'EBUSY', collapsed: [false] } },

  { name: 'a pinned page (io_uring fixed buffer) fails the refcount check: EAGAIN', source: 'kernel-facts §2.3 row K (is_refcount_suitable), §2.3 errno map (SCAN_PAGE_COUNT → EAGAIN)',
    layouts: ['page*511,page+pinned'], kernel: { errno: 'EAGAIN', collapsed: [false] } },

  // ---- several PMDs in one MADV_COLLAPSE call
  { name: 'two PMDs of written pages both collapse', source: `${SELFTEST} collapse_full over two PMDs`,
    layouts: ['page*512', 'page*512'], kernel: { errno: '0', collapsed: [true, true] } },
  { name: 'a guard in the first PMD: EINVAL, and the second PMD is not collapsed either', source: 'issue 13 probe (the behaviour the patch would have changed)',
    layouts: ['page*511,guard', 'page*512'], kernel: { errno: 'EINVAL', collapsed: [false, false] } },
  { name: 'a guard in the second PMD: the first collapses, the call still fails', source: 'kernel-facts §2.3 (madvise continue/stop rules)',
    layouts: ['page*512', 'guard,page*511'], kernel: { errno: 'EINVAL', collapsed: [true, false] } },
  { name: 'a uffd-wp page in the first PMD: the scan result lets MADV_COLLAPSE go on to the second', source: 'kernel-facts §2.3 (SCAN_PTE_UFFD_WP is a continue result)',
    layouts: ['page*511,page+uffd', 'page*512'], uffd: 'wp', kernel: { errno: 'EINVAL', collapsed: [false, true] } },

  { name: 'a pinned page in the first PMD: SCAN_PAGE_COUNT lets MADV_COLLAPSE go on, the call says EAGAIN', source: 'kernel-facts §2.3 (SCAN_PAGE_COUNT: continue; errno EAGAIN)',
    layouts: ['page+pinned,page*511', 'page*512'], kernel: { errno: 'EAGAIN', collapsed: [false, true] } },

  // ---- khugepaged with its knobs (set for the run, restored after); several PMDs per run, one
  // khugepaged pass over them, each PMD judged on its own
  { name: 'collapse_full (khugepaged): 512 young pages collapse; a guard marker in the next PMD stops it there', source: `${SELFTEST} collapse_full (khugepaged context); kernel-facts §4`,
    layouts: ['page*512', 'page*511,guard'], khugepaged: true, kernel: { collapsed: [true, false] } },
  { name: 'collapse_max_ptes_none: max_ptes_none=8 allows 8 empty PTEs; a 9th empty or zero-page PTE stops khugepaged', source: `${SELFTEST} collapse_max_ptes_none; kernel-facts §2.3 row B`,
    layouts: ['page*504,none*8', 'page*503,none*9', 'page*503,zero*9'], khugepaged: true, knobs: { max_ptes_none: 8 }, kernel: { collapsed: [true, false, false] } },
  { name: 'collapse_max_ptes_swap: 64 swap entries is exactly max_ptes_swap=64, allowed; the 65th stops khugepaged', source: `${SELFTEST} collapse_max_ptes_swap`,
    layouts: ['page*448,swap*64', 'page*447,swap*65'], khugepaged: true, kernel: { collapsed: [true, false] } },
  { name: 'max_ptes_swap=8: 8 swap entries collapse, 9 do not', source: 'kernel-facts §2.1 knob, §2.3 row A',
    layouts: ['page*504,swap*8', 'page*503,swap*9'], khugepaged: true, knobs: { max_ptes_swap: 8 }, kernel: { collapsed: [true, false] } },
  { name: 'collapse_max_ptes_shared: 256 shared pages is exactly max_ptes_shared, allowed; the 257th stops khugepaged', source: `${SELFTEST} collapse_max_ptes_shared`,
    layouts: ['page*256,shared*256', 'page*255,shared*257'], khugepaged: true, kernel: { collapsed: [true, false] } },
  { name: 'referenced pages: none at all, or fewer than 256 beside swap entries, and khugepaged leaves the PMD alone', source: 'kernel-facts §2.3 (SCAN_LACK_REFERENCED_PAGE: referenced == 0, or unmapped and referenced < HPAGE_PMD_NR/2)',
    layouts: ['page*256,old*192,swap*64', 'page*255,old*193,swap*64', 'old*512'], khugepaged: true, kernel: { collapsed: [true, false, false] } },

  // ---- kinds a user process cannot build on this kernel: listed, reported skipped
  { name: 'a migration entry (read) in the scan', source: 'kernel-facts §3', layouts: ['page*511,migration'],
    cannot: 'a migration entry exists only while the kernel migrates the page; a user process cannot hold one in place' },
  { name: 'a writable migration entry in the scan', source: 'kernel-facts §3', layouts: ['page*511,migration-w'],
    cannot: 'a migration entry exists only while the kernel migrates the page; a user process cannot hold one in place' },
  { name: 'a migration entry with the uffd-wp bit', source: 'kernel-facts §3', layouts: ['page*511,migration+uffd'], uffd: 'wp',
    cannot: 'a migration entry exists only while the kernel migrates the page; a user process cannot hold one in place' },
  { name: 'a device-private entry', source: 'kernel-facts §3', layouts: ['page*511,device-private'],
    cannot: 'needs a ZONE_DEVICE driver (HMM, e.g. lib/test_hmm); this kernel has CONFIG_DEVICE_PRIVATE off' },
  { name: 'a device-exclusive entry', source: 'kernel-facts §3', layouts: ['page*511,device-exclusive'],
    cannot: 'needs a driver calling make_device_exclusive() (e.g. lib/test_hmm); none is loaded' },
  { name: 'a hwpoison entry', source: 'kernel-facts §3', layouts: ['page*511,hwpoison'],
    cannot: 'MADV_HWPOISON retires a page frame for good and needs CONFIG_MEMORY_FAILURE (off here); not done on a shared machine' },
  { name: 'a page whose folio is locked', source: 'kernel-facts §2.3 row J', layouts: ['page*511,page+locked'],
    cannot: 'a folio lock cannot be held from user space' },
  { name: 'a page with undetected memory poison (the copy hits a machine check)', source: 'kernel-facts §2.4 step 12', layouts: ['page*511,page+poisoned'],
    cannot: 'needs a real or injected hardware memory error; not done on a shared machine' },
  { name: 'a present page with protection-key bits', source: 'engine README (page+pkey)', layouts: ['page+pkey*512'],
    cannot: 'needs a CPU with protection keys (PKU); this one has none, and a key covers a whole VMA' },
  { name: 'a swap entry on swap device type 3', source: 'engine README (swap@N)', layouts: ['page*511,swap@3'],
    cannot: 'needs four swap areas active at once; the harness enables one swap file' },
];

// ---------------------------------------------------------------------------------------------

const tally = {
  rows: ROWS.length, ran: 0, agreed: 0, explained: 0, skipped: 0, traced: 0, events: 0,
  skipReasons: new Map<string, number>(),
};
let built: { bin: string } | { skip: string } | null = null;
/** The harness, compiled on first use (every describe below may run alone with -t). */
function getHarness(): { bin: string } | { skip: string } {
  built ??= buildHarness();
  return built;
}

function skip(ctx: { skip: (note?: string) => never }, reason: string): never {
  tally.skipped++;
  tally.skipReasons.set(reason, (tally.skipReasons.get(reason) ?? 0) + 1);
  return ctx.skip(reason);
}

function describeBuild(r: HarnessReport): string {
  return r.pmds.map((p, i) => p.before.first_not_as_asked
    ? `PMD ${i} slot ${p.before.first_not_as_asked.slot}: asked ${p.before.first_not_as_asked.asked}, the PTE shows ${p.before.first_not_as_asked.saw} (${p.before.not_as_asked} such slots)`
    : '').filter(Boolean).join('; ');
}

describe('the live kernel agrees with the engine\'s "before" kernel', () => {
  afterAll(() => {
    const reasons = [...tally.skipReasons].map(([r, n]) => `  ${n} × ${r}`).join('\n');
    const line = `live kernel differential: ${tally.rows} scenarios, ${tally.ran} ran, ${tally.skipped} skipped, ` +
      `${tally.agreed} agreed, ${tally.explained} differed as documented, ${tally.ran - tally.agreed - tally.explained} differed; ` +
      `tracepoints compared in ${tally.traced} MADV_COLLAPSE rows (${tally.events} kernel events)`;
    console.log(`${line}${reasons ? `\nskipped:\n${reasons}` : ''}`);
  });

  for (const row of ROWS) {
    // generous: another checkout's run may hold the harness lock (it waits up to 3 min for it)
    const timeout = row.khugepaged ? 300_000 : 240_000;
    it(row.name, async (ctx) => {
      if (row.cannot) return skip(ctx, `the kernel cannot build it: ${row.cannot}`);
      const harness = getHarness();
      if ('skip' in harness) return skip(ctx, harness.skip);
      const k = runHarness(harness.bin, row);
      if (k.status === 'skipped') return skip(ctx, `this kernel/machine cannot build it: ${k.reason}`);
      expect(k.status, `the harness (${k.argv.join(' ')}) ${k.status === 'ran' ? '' : k.reason}`).toBe('ran');
      if (k.status !== 'ran') return;
      const kr = k.report;
      expect(kr.built_as_asked, `the harness did not build the layout as asked: ${describeBuild(kr)}`).toBe(true);
      if (row.khugepaged) expect(kr.khugepaged?.timed_out, 'khugepaged did not finish two full scans in time').toBe(false);
      // What the kernel must do, from the row's source (checks the harness, not the engine).
      if (row.kernel?.errno !== undefined) expect(kr.errno, `MADV_COLLAPSE errno (${row.source})`).toBe(row.kernel.errno);
      if (row.kernel) expect(kr.pmds.map((p) => p.collapsed), `collapsed per PMD on the live kernel (${row.source})`).toEqual(row.kernel.collapsed);
      expect(kr.pmds.map((p) => p.contents_ok), 'every page kept its contents on the live kernel').toEqual(kr.pmds.map(() => true));

      const e = await runEngine(row);
      if (e.status === 'unsupported') return skip(ctx, `the engine's collapse CLI cannot express it yet: ${e.reason}`);
      expect(e.status, `collapse ${e.argv.join(' ')}: ${e.status === 'ran' ? '' : e.reason}`).toBe('ran');
      if (e.status !== 'ran') return;
      tally.ran++;
      const facts = compareRuns(row, kr, e.report);
      if (Array.isArray(kr.trace)) {
        tally.traced++;
        tally.events += kr.trace.length;
      }
      const table = sideBySide(facts);
      const differ = facts.filter((f) => !f.agree).map((f) => f.what);
      if (row.explained) {
        expect(differ, `the documented difference (${row.explained.why}) should show exactly these facts:\n${table}`).toEqual(row.explained.facts);
        tally.explained++;
      } else {
        expect(differ, `the engine and the live kernel differ:\n${table}`).toEqual([]);
        tally.agreed++;
      }
    }, timeout);
  }
});

describe('the harness refuses bad input the way the collapse CLI does', () => {
  const cases: [string[], RegExp][] = [
    [['--layout', 'page*511'], /the layout adds up to 511 PTEs, not 512/],
    [['--layout', 'page*511,gaurd'], /unknown kind "gaurd"; known kinds: page, old, shared, zero, none, swap/],
    [['--layout', 'page*500,swap*x'], /layout item 2: count "x"/],
    [['--layout', 'page*512', '--knob', 'max_ptes_none=3'], /only means something with --khugepaged/],
    [['--layout', 'page*512', '--khugepaged', '--knob', 'max_ptes_swp=3'], /unknown knob "max_ptes_swp"/],
    [['--layout', 'page*512', '--uffd', 'rw'], /unknown uffd mode "rw"/],
    [['--layout', 'page*511,none', '--layout', 'no-table,page'], /no-table is only valid as the whole layout/],
  ];
  for (const [args, msg] of cases) {
    it(`rejects ${JSON.stringify(args)} with exit 2 and one line`, (ctx) => {
      const harness = getHarness();
      if ('skip' in harness) return skip(ctx, harness.skip);
      const r = spawnSync(harness.bin, args, { encoding: 'utf8' });
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(msg);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Safety: the harness changes machine-wide state (khugepaged knobs, a swap file). It must put it
// back when it is stopped, say so when it could not (killed), and refuse to run over a state it
// did not set. These run after the scenarios, in the same file, so nothing else runs meanwhile.

const KNOBS_DIR = '/sys/kernel/mm/transparent_hugepage/khugepaged';
const KNOB_NAMES = ['max_ptes_none', 'max_ptes_swap', 'max_ptes_shared', 'pages_to_scan', 'scan_sleep_millisecs', 'alloc_sleep_millisecs'];
const STATE = '/run/collapse-lab-live-kernel.state';
const readKnobs = () => Object.fromEntries(KNOB_NAMES.map((k) => [k, readFileSync(`${KNOBS_DIR}/${k}`, 'utf8').trim()]));
const activeSwaps = () => readFileSync('/proc/swaps', 'utf8').split('\n').slice(1).map((l) => l.split(/\s+/)[0]).filter(Boolean);

/** Start the harness holding before its collapse; resolve once it says it is holding. */
function startHolding(bin: string, args: string[]): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, [...args, '--hold-ms', '60000'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('holding')) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`the harness exited (${code}) before holding: ${err}`)));
  });
}
const exited = (child: ChildProcess) => new Promise<number | null>((r) => child.on('exit', (code, sig) => r(code ?? (sig ? -1 : null))));

describe('the harness puts the machine back the way it found it', { timeout: 240_000 }, () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'collapse-live-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const layout = ['--khugepaged', '--knob', 'max_ptes_swap=7', '--layout', 'page*448,swap*64'];

  it('stopped by SIGTERM mid-run: every knob restored, its swap file off and removed, no state file left', async (ctx) => {
    const harness = getHarness();
    if ('skip' in harness) return skip(ctx, harness.skip);
    const before = readKnobs();
    const child = await startHolding(harness.bin, [...layout, '--swap-dir', dir]);
    const swapFile = join(dir, 'collapse-lab-live-kernel.swap');
    // mid-run, the machine really is changed (so the test can fail)
    expect(readKnobs().max_ptes_swap, 'while it runs, max_ptes_swap is its value').toBe('7');
    expect(activeSwaps(), 'while it runs, its swap file is on').toContain(swapFile);
    const done = exited(child);
    child.kill('SIGTERM');
    await done;
    expect(readKnobs(), 'knobs after SIGTERM').toEqual(before);
    expect(activeSwaps()).not.toContain(swapFile);
    expect(existsSync(swapFile), 'swap file removed').toBe(false);
    expect(existsSync(STATE), 'state file removed').toBe(false);
  });

  it('killed by SIGKILL: the next run refuses (exit 4) until --restore puts everything back', async (ctx) => {
    const harness = getHarness();
    if ('skip' in harness) return skip(ctx, harness.skip);
    const before = readKnobs();
    const swapFile = join(dir, 'collapse-lab-live-kernel.swap');
    const child = await startHolding(harness.bin, [...layout, '--swap-dir', dir]);
    const done = exited(child);
    child.kill('SIGKILL');
    await done;
    try {
      expect(existsSync(STATE), 'a killed run leaves its state file').toBe(true);
      const again = spawnSync(harness.bin, ['--layout', 'page*512'], { encoding: 'utf8' });
      expect(again.status, again.stderr).toBe(4);
      expect(again.stderr).toMatch(/collapse-lab-live-kernel\.state exists.*--restore/);
    } finally {
      const restore = spawnSync(harness.bin, ['--restore'], { encoding: 'utf8' });
      expect(restore.status, restore.stdout + restore.stderr).toBe(0);
    }
    expect(readKnobs(), 'knobs after --restore').toEqual(before);
    expect(activeSwaps()).not.toContain(swapFile);
    expect(existsSync(swapFile)).toBe(false);
    expect(existsSync(STATE)).toBe(false);
    const ok = runHarness(harness.bin, { layouts: ['page*512'] });
    expect(ok.status, 'a run after --restore works').toBe('ran');
  });

  it('killed by SIGKILL while tracing: --restore removes its tracing instance and unmounts tracefs if it mounted it', async (ctx) => {
    const harness = getHarness();
    if ('skip' in harness) return skip(ctx, harness.skip);
    const mountedBefore = existsSync('/sys/kernel/tracing/instances');
    const child = await startHolding(harness.bin, ['--trace', '--layout', 'page*511,guard']);
    const instance = `/sys/kernel/tracing/instances/collapse-live-${child.pid}`;
    const done = exited(child);
    try {
      expect(existsSync(instance), 'while it runs, its tracing instance exists').toBe(true);
    } finally {
      child.kill('SIGKILL');
      await done;
    }
    expect(existsSync(STATE), 'a killed run leaves its state file').toBe(true);
    const restore = spawnSync(harness.bin, ['--restore'], { encoding: 'utf8' });
    expect(restore.status, restore.stdout + restore.stderr).toBe(0);
    expect(existsSync(instance), 'instance removed').toBe(false);
    expect(existsSync('/sys/kernel/tracing/instances'), 'tracefs mounted as before').toBe(mountedBefore);
    expect(existsSync(STATE)).toBe(false);
  });

  it('hostile: a symlink planted where its swap file goes is refused, and what it points to is left untouched', (ctx) => {
    const harness = getHarness();
    if ('skip' in harness) return skip(ctx, harness.skip);
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'precious\n');
    const link = join(dir, 'collapse-lab-live-kernel.swap');
    symlinkSync(victim, link);
    try {
      const r = spawnSync(harness.bin, ['--layout', 'page*448,swap*64', '--swap-dir', dir], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(4);
      expect(r.stderr).toMatch(/already exists/);
      expect(readFileSync(victim, 'utf8')).toBe('precious\n');
      expect(activeSwaps()).not.toContain(link);
      expect(activeSwaps()).not.toContain(victim);
    } finally {
      rmSync(link, { force: true });
      rmSync(victim, { force: true });
    }
  });

  it('refuses (exit 4) to use a swap file of its name that is already active and that it did not enable', (ctx) => {
    const harness = getHarness();
    if ('skip' in harness) return skip(ctx, harness.skip);
    const swapFile = join(dir, 'collapse-lab-live-kernel.swap');
    const made = spawnSync('sh', ['-c', `dd if=/dev/zero of="${swapFile}" bs=1M count=16 status=none && chmod 600 "${swapFile}" && mkswap -q "${swapFile}" && swapon "${swapFile}"`], { encoding: 'utf8' });
    if (made.status !== 0) return skip(ctx, `could not set up a foreign swap file: ${made.stderr.trim()}`);
    try {
      const r = spawnSync(harness.bin, ['--layout', 'page*448,swap*64', '--swap-dir', dir], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(4);
      expect(r.stderr).toMatch(/is already active, and this run did not enable it/);
      expect(activeSwaps(), 'the foreign swap file is left alone').toContain(swapFile);
    } finally {
      spawnSync('swapoff', [swapFile]);
      rmSync(swapFile, { force: true });
    }
  });
});

// ---------------------------------------------------------------------------------------------
// The appendix "Try it on a real kernel" prints the output of tools/live-kernel/guard-demo.c:
// check that the program still says what the appendix shows (it needs no root, only cc and THP).

describe('the appendix\'s guard experiment (tools/live-kernel/guard-demo.c) says what the appendix shows', () => {
  let demo: string | { skip: string } = { skip: 'not built' };
  beforeAll(() => {
    if (process.platform !== 'linux') { demo = { skip: 'needs Linux' }; return; }
    if (!existsSync('/sys/kernel/mm/transparent_hugepage/enabled')) { demo = { skip: 'this kernel has no THP' }; return; }
    const out = join(mkdtempSync(join(tmpdir(), 'guard-demo-')), 'guard-demo');
    const r = spawnSync('cc', ['-O2', '-Wall', '-Wextra', '-Werror', '-o', out, join(ROOT, 'tools/live-kernel/guard-demo.c')], { encoding: 'utf8' });
    if (r.error) { demo = { skip: 'no C compiler (`cc`)' }; return; }
    expect(r.status, r.stderr).toBe(0);
    demo = out;
  });
  const field = (out: string, name: string) => new RegExp(`^${name}:\\s+(.*)$`, 'm').exec(out)?.[1];
  it('a guard page in slot 511: EINVAL, no huge page mapped, but one allocated for the attempt', (ctx) => {
    if (typeof demo !== 'string') return skip(ctx, demo.skip);
    const r = spawnSync(demo, ['511'], { encoding: 'utf8' });
    if (r.status === 1 && /MADV_GUARD_INSTALL/.test(r.stderr)) return skip(ctx, `this kernel has no guard regions: ${r.stderr.trim()}`);
    expect(r.status, r.stderr).toBe(0);
    expect(field(r.stdout, 'MADV_COLLAPSE')).toBe('EINVAL');
    expect(field(r.stdout, 'AnonHugePages')).toBe('0 kB');
    // machine-wide counter: at least our own allocation (another collapse elsewhere could add one)
    expect(Number(field(r.stdout, 'thp_collapse_alloc')?.replace('+', ''))).toBeGreaterThanOrEqual(1);
  });
  it('without the guard page the same region collapses into one 2 MiB page', (ctx) => {
    if (typeof demo !== 'string') return skip(ctx, demo.skip);
    const r = spawnSync(demo, ['none'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(field(r.stdout, 'MADV_COLLAPSE')).toBe('0 (collapsed)');
    expect(field(r.stdout, 'AnonHugePages')).toBe('2048 kB');
  });
});
