// The `collapse` CLI, run as a subprocess exactly as `npm run --silent collapse -- …` runs it.
// Expected results come from kernel-facts §2.3–2.5 and §7, not from the engine.
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = 'src/cli/collapse.ts';

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Report {
  result: string; scan_result: string; collapsed: boolean; allocated: boolean; swapped_in: number;
  mmap_locked: boolean; bugs: { kind: string; message: string; path: string[] }[]; errno?: unknown;
  trace: { seq: number; name: string; thread: string }[]; counters: Record<string, number>;
  do_swap_page_calls: { slot: number; entry: string; non_swap: boolean }[];
  input: { layout: string; kernel: string; madvise: boolean; uffd: string | null; knobs: Record<string, number> };
  after: { pmd: string; ptes?: string };
}

function json(...args: string[]): Report {
  const r = run(...args, '--json');
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
    [['--layout', 'page*512', '--frobnicate'], /unknown flag --frobnicate; known flags: --layout, --kernel, --knob, --uffd, --window, --madvise, --json/],
    [['--layout', 'page*512', '--kernel', 'v4'], /unknown kernel "v4"; known kernels: before, after, v3-as-posted/],
    [['--layout', 'page*512', '--knob', 'max_ptes_swp=3'], /unknown knob "max_ptes_swp"; known knobs: max_ptes_none, max_ptes_swap, max_ptes_shared/],
    [['--layout', 'page*512', '--knob', 'max_ptes_swap=600'], /from 0 to 511/],
    [['--layout', 'page*512', '--uffd', 'rw'], /unknown uffd mode "rw"/],
    [['--layout', 'page*512', '--window', '512=migration'], /slot "512" must be a whole number from 0 to 511/],
    [['--layout', 'page*512', '--window', '3=bogus'], /unknown kind "bogus"/],
    [['--layout'], /--layout needs a value/],
    [['page*512'], /unexpected argument "page\*512"/],
  ];
  for (const [args, msg] of cases) {
    it(`rejects ${JSON.stringify(args)}`, () => {
      const r = run(...args);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(msg);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.stderr.startsWith('collapse: ')).toBe(true);
    });
  }
  it('--help prints usage and exits 0', () => {
    const r = run('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--layout/);
    expect(r.stdout).toMatch(/--window/);
  });
});

describe('collapse CLI: --json reports the attempt', () => {
  it('a full PMD of young writable pages collapses', () => {
    const r = json('--layout', 'page*512');
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
  it('after the patch a guard marker aborts the scan, lock kept, nothing allocated', () => {
    const r = json('--layout', 'page*511,guard', '--kernel', 'after');
    expect(r.result).toBe('SCAN_PTE_NON_PRESENT');
    expect(r.scan_result).toBe('SCAN_PTE_NON_PRESENT');
    expect(r.collapsed).toBe(false);
    expect(r.allocated).toBe(false);
    expect(r.mmap_locked).toBe(true);
    expect(r.do_swap_page_calls).toEqual([]);
    expect(r.after.pmd).toBe('table');
    expect(r.after.ptes).toBe('present*511,marker-guard');
  });
  it('before the patch the guard marker reaches do_swap_page and the attempt fails after allocating', () => {
    const r = json('--layout', 'page*511,guard', '--kernel', 'before');
    expect(r.scan_result).toBe('SCAN_SUCCEED');
    expect(r.result).toBe('SCAN_FAIL');
    expect(r.allocated).toBe(true);
    expect(r.collapsed).toBe(false);
    expect(r.mmap_locked).toBe(false);
    expect(r.do_swap_page_calls.filter((c) => c.non_swap).map((c) => c.slot)).toEqual([511]);
    expect(r.bugs.map((b) => b.kind)).toContain('non-swap-to-do_swap_page');
  });
  it('64 swap entries are swapped in and collapsed (max_ptes_swap = 64)', () => {
    const r = json('--layout', 'page*448,swap*64');
    expect(r.result).toBe('SCAN_SUCCEED');
    expect(r.swapped_in).toBe(64);
    expect(r.collapsed).toBe(true);
    expect(r.bugs).toEqual([]);
  });
  it('65 swap entries exceed max_ptes_swap and count the vm event', () => {
    const r = json('--layout', 'page*447,swap*65');
    expect(r.result).toBe('SCAN_EXCEED_SWAP_PTE');
    expect(r.counters.thp_scan_exceed_swap_pte).toBe(1);
    expect(r.allocated).toBe(false);
  });
  it('--knob lowers max_ptes_swap', () => {
    const r = json('--layout', 'page*448,swap*64', '--knob', 'max_ptes_swap=8');
    expect(r.result).toBe('SCAN_EXCEED_SWAP_PTE');
    expect(r.input.knobs.max_ptes_swap).toBe(8);
  });
  it('--madvise ignores max_ptes_swap and reports errno', () => {
    const ok = json('--layout', 'page*448,swap*64', '--knob', 'max_ptes_swap=8', '--madvise');
    expect(ok.result).toBe('SCAN_SUCCEED');
    expect(ok.errno).toBe(0);
    const bad = json('--layout', 'page*511,guard', '--madvise');
    expect(bad.result).toBe('SCAN_PTE_NON_PRESENT');
    expect(bad.errno).toBe('EINVAL');
  });
  it('a uffd-wp marker: SCAN_PTE_UFFD_WP before the patch, SCAN_PTE_NON_PRESENT after', () => {
    expect(json('--layout', 'page*511,uffd-marker', '--uffd', 'wp', '--kernel', 'before').result).toBe('SCAN_PTE_UFFD_WP');
    expect(json('--layout', 'page*511,uffd-marker', '--uffd', 'wp', '--kernel', 'after').result).toBe('SCAN_PTE_NON_PRESENT');
  });
  it('--window: a swap entry turning into a migration entry during the allocation', () => {
    const before = json('--layout', 'page*448,swap*64', '--kernel', 'before', '--window', '500=migration');
    expect(before.do_swap_page_calls.some((c) => c.slot === 500 && c.non_swap)).toBe(true);
    expect(before.bugs.map((b) => b.kind)).toContain('non-swap-to-do_swap_page');
    const after = json('--layout', 'page*448,swap*64', '--kernel', 'after', '--window', '500=migration');
    expect(after.do_swap_page_calls.some((c) => c.non_swap)).toBe(false);
    expect(after.result).toBe('SCAN_PTE_NON_PRESENT');
    expect(after.collapsed).toBe(false);
    expect(after.bugs).toEqual([]);
  });
  it('same options give the same trace', () => {
    const a = json('--layout', 'page*448,swap*64', '--window', '3=guard');
    const b = json('--layout', 'page*448,swap*64', '--window', '3=guard');
    expect(a.trace).toEqual(b.trace);
  });
});

describe('collapse CLI: readable report', () => {
  it('folds a 64-entry swap-in into one line and keeps the non-swap call visible', () => {
    const r = run('--layout', 'page*448,swap*64', '--kernel', 'before', '--window', '500=migration');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/swap-in: do_swap_page on 52 swap entries \(slots 448–499\)/);
    expect(r.stdout).toMatch(/do_swap_page slot=500 entry=migration-read non_swap=true/);
    expect(r.stdout).toMatch(/swap-in: do_swap_page on 11 swap entries \(slots 501–511\)/);
    expect(r.stdout.split('\n').length).toBeLessThan(80);
  });
  it('shows the result, the steps, counters and a 8×64 picture with a legend', () => {
    const r = run('--layout', 'page*511,guard', '--kernel', 'before');
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
