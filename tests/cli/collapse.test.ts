// The `collapse` CLI. Most cases call its `main` (argv → { stdout, stderr, exitCode }) in-process;
// the last describe spawns the real command (node and `npm run --silent collapse`) to prove the
// process wiring: exit statuses, stdout/stderr, --json through npm.
// Expected results come from kernel-facts §2.3–2.5 and §7, not from the engine.
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/collapse.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = 'src/cli/collapse.ts';

async function run(...args: string[]) {
  const r = await main(args);
  return { code: r.exitCode, stdout: r.stdout, stderr: r.stderr };
}

function spawn(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Report {
  result: string; scan_result: string; collapsed: boolean; allocated: boolean; swapped_in: number;
  mmap_locked: boolean; bugs: { kind: string; message: string; path: string[] }[]; errno?: unknown;
  trace: { seq: number; name: string; thread: string }[]; counters: Record<string, number>;
  do_swap_page_calls: { slot: number; entry: string; non_swap: boolean }[];
  input: { layout: string; layouts?: string[]; kernel: string; madvise: boolean; uffd: string | null; knobs: Record<string, number>; alloc_fail: boolean };
  after: { pmd: string; ptes?: string };
  pmds: { pmd: number; scanned: boolean; result: string | null; scan_result: string | null; collapsed: boolean; allocated: boolean; swapped_in: number; huge: boolean; after: { pmd: string; ptes?: string } }[];
}

async function json(...args: string[]): Promise<Report> {
  const r = await run(...args, '--json');
  expect(r.stderr, 'nothing on stderr').toBe('');
  expect(r.code, 'exit status 0 when the attempt ran').toBe(0);
  const lines = r.stdout.trim().split('\n');
  expect(lines, 'one JSON object on one line').toHaveLength(1);
  return JSON.parse(lines[0]) as Report;
}

describe('collapse CLI: bad input exits 2 with one clear line and no stack trace', () => {
  const cases: [string[], RegExp][] = [
    [[], /missing --layout/],
    [['--layout', 'page*511'], /the layout adds up to 511 PTEs, not 512/],
    [['--layout', 'page*511,gaurd'], /unknown kind "gaurd"; known kinds: page, old, shared, zero, none, swap/],
    [['--layout', 'page*500,swap*x'], /layout item 2 "swap\*x"/],
    [['--layout', 'page*512', '--frobnicate'], /unknown flag --frobnicate; known flags: --layout, --kernel, --knob, --uffd, --window, --madvise, --alloc-fail, --json/],
    [['--layout', 'page*512', '--kernel', 'v4'], /unknown kernel "v4"; known kernels: before, after, v3-as-posted/],
    [['--layout', 'page*512', '--knob', 'max_ptes_swp=3'], /unknown knob "max_ptes_swp"; known knobs: max_ptes_none, max_ptes_swap, max_ptes_shared/],
    [['--layout', 'page*512', '--knob', 'max_ptes_swap=600'], /from 0 to 511/],
    [['--layout', 'page*512', '--uffd', 'rw'], /unknown uffd mode "rw"/],
    [['--layout', 'page*512', '--window', '512=migration'], /slot "512" must be a whole number from 0 to 511/],
    [['--layout', 'page*512', '--window', '3=bogus'], /unknown kind "bogus"/],
    [['--layout'], /--layout needs a value/],
    [['page*512'], /unexpected argument "page\*512"/],
    // engine round 2: a flag twice with different values, counts that are not exact small integers
    [['--layout', 'page*512', '--kernel', 'before', '--kernel', 'after'], /--kernel given twice with different values \(before and after\)/],
    [['--layout', 'page*512', '--uffd', 'wp', '--uffd', 'missing'], /--uffd given twice with different values \(wp and missing\)/],
    [['--layout', 'page*512', '--knob', 'max_ptes_swap=8', '--knob', 'max_ptes_swap=9'], /knob max_ptes_swap given twice with different values \(8 and 9\)/],
    [['--layout', 'page*20000000000000000000'], /count "20000000000000000000" must be a whole number from 1 to 512/],
    [['--layout', 'page*512.0'], /count "512.0" must be a whole number/],
    [['--layout', 'page*1e3'], /count "1e3" must be a whole number/],
    // 2^64 + 64: a value that would wrap to 64 if it were truncated to 64 bits
    [['--layout', 'page*512', '--knob', 'max_ptes_swap=18446744073709551680'], /knob max_ptes_swap: value "18446744073709551680" must be a whole number from 0 to 511/],
    [['--layout', 'page*512', '--window', '18446744073709551626=guard'], /slot "18446744073709551626" must be a whole number from 0 to 511/],
    [['--layout', 'page*511,swap@24'], /swap device 24 does not exist — MAX_SWAPFILES is 24/],
    [['--layout', 'page*511,no-table'], /no-table .* can only be the whole layout/],
    [['--layout', 'page*512', '--layout', 'page*511'], /PMD 1: the layout adds up to 511 PTEs, not 512/],
    [['--layout', 'no-table', '--window', '3=migration'], /--window changes PTEs of PMD 0, but its layout is no-table/],
  ];
  for (const [args, msg] of cases) {
    it(`rejects ${JSON.stringify(args)}`, async () => {
      const r = await run(...args);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(msg);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.stderr.startsWith('collapse: ')).toBe(true);
    });
  }
  it('leading zeros are exact, not rounded: page*0512 and max_ptes_swap=0008 are 512 and 8', async () => {
    const r = await json('--layout', 'page*0512', '--knob', 'max_ptes_swap=0008');
    expect(r.input.layout).toBe('page*512');
    expect(r.input.knobs.max_ptes_swap).toBe(8);
  });
  it('hostile input stays one printable line: newlines and terminal escapes in a layout, a flag or a value are shown escaped', async () => {
    const cases = [
      ['--layout', 'page*511,gu\nard\u001b[31m'],
      ['--layout', 'page*512', '--kernel', 'af\rter\u001b]0;pwned\u0007'],
      ['--layout', 'page*512', '--frob\nnicate'],
      ['--layout', 'page*512', '--window', '3=mig\u2028ration'],
      ['--layout', 'page*512', '--knob', 'max_ptes_swap=6\n4'],
    ];
    for (const args of cases) {
      const r = await run(...args);
      expect(r.code, JSON.stringify(args)).toBe(2);
      expect(r.stderr.endsWith('\n') && r.stderr.indexOf('\n') === r.stderr.length - 1, `${JSON.stringify(args)}: one line`).toBe(true);
      expect(r.stderr, JSON.stringify(args)).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]/);
      expect(r.stderr, JSON.stringify(args)).toMatch(/\\u00(0a|1b|0d)|\\u2028/);
    }
  });
  it('a huge item is echoed cut short, not in full', async () => {
    const r = await run('--layout', `page*511,${'x'.repeat(100_000)}`);
    expect(r.code).toBe(2);
    expect(r.stderr.length).toBeLessThan(1000);
  });
  it('the same flag twice with the same value is fine', async () => {
    const r = await json('--layout', 'page*512', '--kernel', 'before', '--kernel', 'before', '--uffd', 'wp', '--uffd', 'wp', '--knob', 'max_ptes_swap=8', '--knob', 'max_ptes_swap=8');
    expect(r.input.kernel).toBe('before');
    expect(r.input.knobs.max_ptes_swap).toBe(8);
  });
  it('--help prints usage and exits 0', async () => {
    const r = await run('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--layout/);
    expect(r.stdout).toMatch(/--window/);
  });
});

describe('collapse CLI: --json reports the attempt', () => {
  it('a full PMD of young writable pages collapses', async () => {
    const r = await json('--layout', 'page*512');
    expect(r.result).toBe('SCAN_SUCCEED');
    expect(r.collapsed).toBe(true);
    expect(r.allocated).toBe(true);
    expect(r.swapped_in).toBe(0);
    expect(r.mmap_locked).toBe(false); // collapse_huge_page dropped it
    expect(r.bugs).toEqual([]);
    expect(r.input.kernel).toBe('after');
    expect(r.after.pmd).toBe('huge');
    expect(Array.isArray(r.trace) && r.trace.length > 0).toBe(true);
  });
  it('after the patch a guard marker aborts the scan, lock kept, nothing allocated', async () => {
    const r = await json('--layout', 'page*511,guard', '--kernel', 'after');
    expect(r.result).toBe('SCAN_PTE_NON_PRESENT');
    expect(r.scan_result).toBe('SCAN_PTE_NON_PRESENT');
    expect(r.collapsed).toBe(false);
    expect(r.allocated).toBe(false);
    expect(r.mmap_locked).toBe(true);
    expect(r.do_swap_page_calls).toEqual([]);
    expect(r.after.pmd).toBe('table');
    expect(r.after.ptes).toBe('present*511,marker-guard');
  });
  it('before the patch the guard marker reaches do_swap_page and the attempt fails after allocating', async () => {
    const r = await json('--layout', 'page*511,guard', '--kernel', 'before');
    expect(r.scan_result).toBe('SCAN_SUCCEED');
    expect(r.result).toBe('SCAN_FAIL');
    expect(r.allocated).toBe(true);
    expect(r.collapsed).toBe(false);
    expect(r.mmap_locked).toBe(false);
    expect(r.do_swap_page_calls.filter((c) => c.non_swap).map((c) => c.slot)).toEqual([511]);
    expect(r.bugs.map((b) => b.kind)).toContain('non-swap-to-do_swap_page');
  });
  it('64 swap entries are swapped in and collapsed (max_ptes_swap = 64)', async () => {
    const r = await json('--layout', 'page*448,swap*64');
    expect(r.result).toBe('SCAN_SUCCEED');
    expect(r.swapped_in).toBe(64);
    expect(r.collapsed).toBe(true);
    expect(r.bugs).toEqual([]);
  });
  it('65 swap entries exceed max_ptes_swap and count the vm event', async () => {
    const r = await json('--layout', 'page*447,swap*65');
    expect(r.result).toBe('SCAN_EXCEED_SWAP_PTE');
    expect(r.counters.thp_scan_exceed_swap_pte).toBe(1);
    expect(r.allocated).toBe(false);
  });
  it('--knob lowers max_ptes_swap', async () => {
    const r = await json('--layout', 'page*448,swap*64', '--knob', 'max_ptes_swap=8');
    expect(r.result).toBe('SCAN_EXCEED_SWAP_PTE');
    expect(r.input.knobs.max_ptes_swap).toBe(8);
  });
  it('--madvise ignores max_ptes_swap and reports errno', async () => {
    const ok = await json('--layout', 'page*448,swap*64', '--knob', 'max_ptes_swap=8', '--madvise');
    expect(ok.result).toBe('SCAN_SUCCEED');
    expect(ok.errno).toBe(0);
    const bad = await json('--layout', 'page*511,guard', '--madvise');
    expect(bad.result).toBe('SCAN_PTE_NON_PRESENT');
    expect(bad.errno).toBe('EINVAL');
  });
  it('a uffd-wp marker: SCAN_PTE_UFFD_WP before the patch, SCAN_PTE_NON_PRESENT after', async () => {
    expect((await json('--layout', 'page*511,uffd-marker', '--uffd', 'wp', '--kernel', 'before')).result).toBe('SCAN_PTE_UFFD_WP');
    expect((await json('--layout', 'page*511,uffd-marker', '--uffd', 'wp', '--kernel', 'after')).result).toBe('SCAN_PTE_NON_PRESENT');
  });
  it('--window: a swap entry turning into a migration entry during the allocation', async () => {
    const before = await json('--layout', 'page*448,swap*64', '--kernel', 'before', '--window', '500=migration');
    expect(before.do_swap_page_calls.some((c) => c.slot === 500 && c.non_swap)).toBe(true);
    expect(before.bugs.map((b) => b.kind)).toContain('non-swap-to-do_swap_page');
    const after = await json('--layout', 'page*448,swap*64', '--kernel', 'after', '--window', '500=migration');
    expect(after.do_swap_page_calls.some((c) => c.non_swap)).toBe(false);
    expect(after.result).toBe('SCAN_PTE_NON_PRESENT');
    expect(after.collapsed).toBe(false);
    expect(after.bugs).toEqual([]);
  });
  it('same options give the same trace', async () => {
    const a = await json('--layout', 'page*448,swap*64', '--window', '3=guard');
    const b = await json('--layout', 'page*448,swap*64', '--window', '3=guard');
    expect(a.trace).toEqual(b.trace);
  });
});

describe('collapse CLI: readable report', () => {
  it('folds a 64-entry swap-in into one line and keeps the non-swap call visible', async () => {
    const r = await run('--layout', 'page*448,swap*64', '--kernel', 'before', '--window', '500=migration');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/swap-in: do_swap_page on 52 swap entries \(slots 448–499\)/);
    expect(r.stdout).toMatch(/do_swap_page slot=500 entry=migration-read non_swap=true/);
    expect(r.stdout).toMatch(/swap-in: do_swap_page on 11 swap entries \(slots 501–511\)/);
    expect(r.stdout.split('\n').length).toBeLessThan(80);
  });
  it('shows the result, the steps, counters and a 8×64 picture with a legend', async () => {
    const r = await run('--layout', 'page*511,guard', '--kernel', 'before');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/result: +SCAN_FAIL/);
    expect(r.stdout).toMatch(/what happened, in order:/);
    expect(r.stdout).toMatch(/alloc_folio/);
    expect(r.stdout).toMatch(/do_swap_page/);
    expect(r.stdout).toMatch(/counters:/);
    expect(r.stdout).toMatch(/page-table map\/lock events not shown/);
    const rows = r.stdout.split('\n').filter((l) => /^ +\d+ [.oszS_wmMudx!GPUp0]{64}$/.test(l));
    expect(rows.length).toBeGreaterThanOrEqual(8);
    expect(rows[7]).toMatch(/^ +448 \.{63}G$/);
    expect(r.stdout).toMatch(/G guard/);
  });
});

describe('collapse CLI: engine round 2 cases', () => {
  // madvise_collapse(): SCAN_FAIL stops the call, SCAN_PTE_NON_PRESENT continues (KF §2.3, §7.5).
  it('--layout repeated: before the patch a guard marker stops MADV_COLLAPSE and PMD 2 is never collapsed', async () => {
    const r = await json('--layout', 'page*512', '--layout', 'page*511,guard', '--layout', 'page*512', '--madvise', '--kernel', 'before');
    expect(r.pmds.map((p) => [p.pmd, p.result, p.collapsed])).toEqual([[0, 'SCAN_SUCCEED', true], [1, 'SCAN_FAIL', false], [2, null, false]]);
    expect(r.pmds.map((p) => p.after.pmd)).toEqual(['huge', 'table', 'table']);
    expect(r.result).toBe('SCAN_FAIL');
    expect(r.errno).toBe('EINVAL');
    expect(r.input.layouts).toEqual(['page*512', 'page*511,guard', 'page*512']);
  });
  it('--layout repeated: after the patch SCAN_PTE_NON_PRESENT moves on, PMD 2 collapses, errno still EINVAL', async () => {
    const r = await json('--layout', 'page*512', '--layout', 'page*511,guard', '--layout', 'page*512', '--madvise', '--kernel', 'after');
    expect(r.pmds.map((p) => [p.result, p.collapsed])).toEqual([['SCAN_SUCCEED', true], ['SCAN_PTE_NON_PRESENT', false], ['SCAN_SUCCEED', true]]);
    expect(r.result, 'the last range attempted').toBe('SCAN_SUCCEED');
    expect(r.errno).toBe('EINVAL');
  });
  it('no-table: SCAN_PMD_NONE; MADV_COLLAPSE -EINVAL (selftest collapse_empty)', async () => {
    const r = await json('--layout', 'no-table', '--madvise');
    expect(r.result).toBe('SCAN_PMD_NONE');
    expect(r.errno).toBe('EINVAL');
    expect(r.after.pmd).toBe('none');
    expect(r.input.layout).toBe('no-table');
  });
  it('--alloc-fail: SCAN_ALLOC_HUGE_PAGE_FAIL; MADV_COLLAPSE -ENOMEM', async () => {
    const k = await json('--layout', 'page*512', '--alloc-fail');
    expect(k.result).toBe('SCAN_ALLOC_HUGE_PAGE_FAIL');
    expect(k.input.alloc_fail).toBe(true);
    expect(k.counters.thp_collapse_alloc_failed).toBe(1);
    expect((await json('--layout', 'page*512', '--alloc-fail', '--madvise')).errno).toBe('ENOMEM');
  });
  it('page+pinned and page+locked: SCAN_PAGE_COUNT / SCAN_PAGE_LOCK, MADV_COLLAPSE -EAGAIN', async () => {
    const pinned = await json('--layout', 'page*511,page+pinned', '--madvise');
    expect([pinned.result, pinned.errno]).toEqual(['SCAN_PAGE_COUNT', 'EAGAIN']);
    const locked = await json('--layout', 'page*511,page+locked', '--madvise');
    expect([locked.result, locked.errno]).toEqual(['SCAN_PAGE_LOCK', 'EAGAIN']);
  });
  it('page+poisoned: SCAN_COPY_MC, the table put back unchanged, the huge page freed', async () => {
    const r = await json('--layout', 'page*511,page+poisoned');
    expect(r.result).toBe('SCAN_COPY_MC');
    expect(r.allocated).toBe(true);
    expect(r.collapsed).toBe(false);
    expect(r.after).toEqual({ pmd: 'table', ptes: 'present*512' });
    expect(r.counters.huge_alloc_then_freed).toBe(1);
  });
  it('swap@23: a real swap device; 64 entries swap in and collapse', async () => {
    const r = await json('--layout', 'page*448,swap@23*64');
    expect(r.result).toBe('SCAN_SUCCEED');
    expect(r.swapped_in).toBe(64);
    expect(r.input.layout).toBe('page*448,swap@23*64');
  });
  it('page+pkey: the readable report shows a present PTE whose high bits would read as a marker type', async () => {
    const r = await run('--layout', 'page*511,page+pkey');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/k page\+pkey \(present anon page with NX and protection key 15/);
    expect(r.stdout).toMatch(/result: +SCAN_SUCCEED/);
  });
  it('several PMDs in the readable report: one line per PMD and one picture each', async () => {
    const r = await run('--layout', 'page*512', '--layout', 'no-table', '--madvise');
    expect(r.stdout).toMatch(/PMD 0: SCAN_SUCCEED — collapsed/);
    expect(r.stdout).toMatch(/PMD 1: SCAN_PMD_NONE/);
    expect(r.stdout).toMatch(/PMD 1 before[^\n]*\n {2}\(no PTE table/);
  });
});

describe('collapse CLI: the real process (a few spawns)', () => {
  it('bad input: exit 2, one line on stderr starting "collapse: ", nothing on stdout, no stack trace', () => {
    const r = spawn('--layout', 'page*511');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('collapse: the layout adds up to 511 PTEs, not 512\n');
  });
  it('a flag twice with different values: exit 2 from the real process', () => {
    const r = spawn('--layout', 'page*512', '--kernel', 'before', '--kernel', 'after');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^collapse: --kernel given twice with different values \(before and after\); give it once\n$/);
  });
  it('--help: exit 0 with the usage on stdout', () => {
    const r = spawn('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^usage: npm run --silent collapse/);
    expect(r.stderr).toBe('');
  });
  it('--json through `npm run --silent collapse`: exit 0 and exactly one JSON object on stdout', () => {
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const r = spawnSync(npm, ['run', '--silent', 'collapse', '--', '--layout', 'page*511,guard', '--kernel', 'after', '--json'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const j = JSON.parse(lines[0]) as Report;
    expect(j.result).toBe('SCAN_PTE_NON_PRESENT');
    expect(j.mmap_locked).toBe(true);
  });
});
