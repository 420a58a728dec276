/**
 * live.ts — run one scenario on the live kernel (the C harness `collapse-live.c`) and on the
 * engine (`collapse --kernel before --json`), and compare the two.
 *
 * Used by the differential test (tests/kernel/differential.test.ts) and by the side-by-side
 * script (`npm run --silent live-kernel -- --layout …`, tools/live-kernel/compare.ts).
 *
 * Contract:
 * - {@link buildHarness} compiles the harness with the machine's `cc` into
 *   `node_modules/.cache/collapse-lab/live-kernel/<sha256 of the source>/collapse-live` (no binary
 *   is committed; a changed source gets a fresh build). Returns `{ skip }` with the reason where it
 *   cannot run (not Linux, not root, no `cc`, no THP); throws if the source does not compile.
 * - {@link runHarness} runs it; exit 0 → `{ status: 'ran', report }`, 3 → `{ status: 'skipped' }`
 *   (the kernel or machine cannot build the layout), 4 → `{ status: 'refused' }` (swap or knobs
 *   left in a state the harness did not set), anything else → `{ status: 'failed' }`.
 * - {@link runEngine} runs the collapse CLI (its `main()`, in-process) on the same layout(s); exit 2 from
 *   the CLI (it does not know a kind or a flag yet) → `{ status: 'unsupported' }`.
 * - {@link compareRuns} lists the facts both sides report — errno (MADV_COLLAPSE only), collapsed
 *   per PMD, contents, whether a huge page was allocated (MADV_COLLAPSE only) — each with the two
 *   values and whether they agree.
 * No kernel twin (camelCase; the kernel names live in src/engine).
 * @module
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SCAN_RESULT_NAMES } from '../../src/engine/scan_result.ts';

/** Repository root (two levels above this file). */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SOURCE = join(ROOT, 'tools/live-kernel/collapse-live.c');
const CACHE = join(ROOT, 'node_modules/.cache/collapse-lab/live-kernel');

/** One scenario: the PMDs' layouts (address order) and how the collapse is asked for. */
export interface Scenario {
  /** One layout per PMD, in the notation of `collapse --layout` (`no-table`: never touched). */
  layouts: string[];
  /** khugepaged (with the knobs) instead of MADV_COLLAPSE. */
  khugepaged?: boolean;
  /** khugepaged knobs for this run (restored after); only with `khugepaged`. */
  knobs?: Partial<Record<'max_ptes_none' | 'max_ptes_swap' | 'max_ptes_shared', number>>;
  /** The VMA is registered with userfaultfd in this mode. */
  uffd?: 'wp' | 'missing';
  /**
   * Harness only: leave a VMA that never had a page written without an anon_vma (by default the
   * harness writes and zaps one empty slot so the VMA has one, as the engine's always does).
   */
  noPrime?: boolean;
}

/** What the harness prints (the fields this module reads; the JSON has more). */
export interface HarnessReport {
  kernel: string;
  mode: 'madvise' | 'khugepaged';
  errno: string | null;
  uffd: string | null;
  anon_vma_primed: { pmd: number; slot: number } | null;
  vmstat: Record<string, number>;
  khugepaged?: { full_scans: number; waited_ms: number; timed_out: boolean };
  pmds: {
    layout: string;
    collapsed: boolean;
    contents_ok: boolean;
    bad_pages: number;
    first_bad_slot: number;
    before: { present: number; swap: number; kinds: Record<string, number>; not_as_asked: number;
      first_not_as_asked?: { slot: number; asked: string; saw: string } };
    after: { present: number; swap: number };
  }[];
  built_as_asked: boolean;
  /** With `--trace` (MADV_COLLAPSE): the huge_memory tracepoints of the call, in order, fields as printed. */
  trace?: ({ event: string } & Record<string, string>)[] | null;
  trace_unavailable?: string;
}

/** Outcome of one harness run. */
export type HarnessOutcome =
  | { status: 'ran'; report: HarnessReport; argv: string[] }
  | { status: 'skipped' | 'refused' | 'failed'; reason: string; argv: string[] };

/** What `collapse --json` prints (the fields this module reads). */
export interface EngineReport {
  result: string;
  scan_result: string;
  collapsed: boolean;
  allocated: boolean;
  errno?: number | string;
  contents_ok?: boolean;
  bugs: unknown[];
  pmds?: { result: string | null; scan_result?: string | null; collapsed: boolean; contents_ok?: boolean }[];
  trace?: { name: string; args: Record<string, unknown> }[];
}

/** Outcome of one engine run. */
export type EngineOutcome =
  | { status: 'ran'; report: EngineReport; argv: string[] }
  | { status: 'unsupported' | 'failed'; reason: string; argv: string[] };

/** One compared fact. */
export interface ComparedFact {
  what: string;
  kernel: string;
  engine: string;
  agree: boolean;
}

/** Why the harness cannot run here, or null if it can. */
export function liveUnavailable(): string | null {
  if (process.platform !== 'linux') return `the live kernel harness needs Linux (this is ${process.platform})`;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    return 'not root: the harness needs root (PFNs in pagemap, /proc/kpageflags, swapon, khugepaged knobs)';
  }
  if (!existsSync('/sys/kernel/mm/transparent_hugepage/enabled')) return 'this kernel has no transparent huge pages';
  const cc = spawnSync('cc', ['--version'], { encoding: 'utf8' });
  if (cc.error || cc.status !== 0) return 'no C compiler (`cc`) on this machine';
  return null;
}

/**
 * Compile the harness (cached by the source's hash).
 * @returns `{ bin }` (path of the executable) or `{ skip }` (why it cannot run here).
 * @throws Error with the compiler's output if the source does not compile.
 */
export function buildHarness(): { bin: string } | { skip: string } {
  const why = liveUnavailable();
  if (why) return { skip: why };
  const src = readFileSync(SOURCE);
  const hash = createHash('sha256').update(src).digest('hex').slice(0, 16);
  const bin = join(CACHE, hash, 'collapse-live');
  if (existsSync(bin)) return { bin };
  mkdirSync(dirname(bin), { recursive: true });
  const tmp = `${bin}.${process.pid}.tmp`;
  const r = spawnSync('cc', ['-O2', '-Wall', '-Wextra', '-Werror', '-o', tmp, SOURCE], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cc could not build ${SOURCE}:\n${r.stderr || r.error}`);
  renameSync(tmp, bin);
  return { bin };
}

/** The harness's command line for a scenario. */
export function harnessArgs(s: Scenario): string[] {
  const args: string[] = [];
  for (const l of s.layouts) args.push('--layout', l);
  if (s.khugepaged) args.push('--khugepaged');
  for (const [k, v] of Object.entries(s.knobs ?? {})) args.push('--knob', `${k}=${v}`);
  if (s.uffd) args.push('--uffd', s.uffd);
  if (s.noPrime) args.push('--no-prime');
  if (!s.khugepaged) args.push('--trace');
  return args;
}

/** The collapse CLI's command line for a scenario (kernel `before`: this kernel lacks the patch). */
export function engineArgs(s: Scenario): string[] {
  const args = ['--kernel', 'before', '--json'];
  if (!s.khugepaged) args.push('--madvise');
  for (const l of s.layouts) args.push('--layout', l);
  for (const [k, v] of Object.entries(s.knobs ?? {})) args.push('--knob', `${k}=${v}`);
  if (s.uffd) args.push('--uffd', s.uffd);
  return args;
}

/** Run the harness on one scenario (serially: the harness takes a machine-wide lock). */
export function runHarness(bin: string, s: Scenario): HarnessOutcome {
  const argv = harnessArgs(s);
  const r = spawnSync(bin, argv, { encoding: 'utf8', timeout: 180_000 });
  const err = (r.stderr ?? '').trim().replace(/^collapse-live: /, '');
  if (r.status === 0) {
    try {
      return { status: 'ran', report: JSON.parse(r.stdout) as HarnessReport, argv };
    } catch {
      return { status: 'failed', reason: `harness printed no JSON: ${r.stdout.slice(0, 200)}`, argv };
    }
  }
  if (r.status === 3) return { status: 'skipped', reason: err, argv };
  if (r.status === 4) return { status: 'refused', reason: err, argv };
  return { status: 'failed', reason: err || `exit ${r.status ?? r.signal ?? r.error}`, argv };
}

/**
 * Run `collapse --kernel before --json` on one scenario: the CLI's own `main()` (argv in,
 * stdout/stderr/exit status out), in this process — the same code path as the command, without
 * starting a Node process per scenario.
 */
export async function runEngine(s: Scenario): Promise<EngineOutcome> {
  const argv = engineArgs(s);
  const { main } = await import('../../src/cli/collapse.ts');
  const r = await main(argv);
  const err = r.stderr.trim().replace(/^collapse: /, '');
  if (r.exitCode === 0) {
    try {
      return { status: 'ran', report: JSON.parse(r.stdout) as EngineReport, argv };
    } catch {
      return { status: 'failed', reason: `collapse printed no JSON: ${r.stdout.slice(0, 200)}`, argv };
    }
  }
  if (r.exitCode === 2) return { status: 'unsupported', reason: err, argv };
  return { status: 'failed', reason: err || `exit ${r.exitCode}`, argv };
}

/** Collapsed per PMD, as the engine reports it (several PMDs: `pmds[]`; one: top level). */
export function engineCollapsed(e: EngineReport): boolean[] {
  return e.pmds?.length ? e.pmds.map((p) => p.collapsed) : [e.collapsed];
}

function errnoText(v: unknown): string {
  if (v === undefined || v === null) return '—';
  return String(v);
}

/** The facts both sides report, side by side. */
export function compareRuns(s: Scenario, k: HarnessReport, e: EngineReport): ComparedFact[] {
  const facts: ComparedFact[] = [];
  const fact = (what: string, kv: unknown, ev: unknown) =>
    facts.push({ what, kernel: String(kv), engine: String(ev), agree: String(kv) === String(ev) });
  if (!s.khugepaged) fact('errno', errnoText(k.errno), errnoText(e.errno ?? 0));
  const ec = engineCollapsed(e);
  const n = Math.max(k.pmds.length, ec.length);
  for (let i = 0; i < n; i++) {
    fact(n > 1 ? `PMD ${i} collapsed` : 'collapsed', k.pmds[i]?.collapsed ?? 'missing', ec[i] ?? 'missing');
  }
  fact('contents kept', k.pmds.every((p) => p.contents_ok), e.contents_ok ?? true);
  const kt = traceLines(k);
  if (kt) {
    const et = engineTraceLines(e);
    const n = Math.max(kt.length, et.length);
    for (let i = 0; i < n; i++) fact(`tracepoint ${i + 1}`, kt[i] ?? '(none)', et[i] ?? '(none)');
  }
  // Allocated: from this process's own tracepoints where recorded (collapse_huge_page allocates
  // first; its event says whether that failed), else from the machine-wide counter, which is
  // meaningful for the milliseconds of one MADV_COLLAPSE call but not for the seconds khugepaged
  // takes (another process's collapse could count there).
  if (!s.khugepaged) fact('huge page allocated', kernelAllocated(k), e.allocated);
  return facts;
}

/**
 * The tracepoints both sides emit (include/trace/events/huge_memory.h), reduced to the fields both
 * report, one line per event: `scan_pmd status=failed unmapped=1 none_or_zero=0 referenced=0`.
 * `ret` of the swap-in event is the numeric scan_result on the kernel, a name in the engine.
 */
const TRACE_FIELDS: Readonly<Record<string, readonly string[]>> = {
  mm_khugepaged_scan_pmd: ['status', 'unmapped', 'none_or_zero', 'referenced'],
  mm_collapse_huge_page_isolate: ['status', 'none_or_zero', 'referenced'],
  mm_collapse_huge_page_swapin: ['ret', 'swapped_in', 'referenced'],
  mm_collapse_huge_page: ['status', 'isolated'],
};

function traceLine(event: string, get: (field: string) => unknown): string {
  const fields = TRACE_FIELDS[event].map((f) => `${f}=${String(get(f))}`);
  return `${event.replace(/^mm_(khugepaged_|collapse_huge_page_?)/, '') || 'collapse_huge_page'} ${fields.join(' ')}`;
}

/** The kernel's tracepoints as lines, or null when the run was not traced. */
export function traceLines(k: HarnessReport): string[] | null {
  if (!Array.isArray(k.trace)) return null;
  return k.trace.filter((t) => t.event in TRACE_FIELDS).map((t) => traceLine(t.event, (f) => {
    if (f === 'ret') return SCAN_RESULT_NAMES[Number(t.ret)] ?? t.ret;
    return t[f];
  }));
}

/** The engine's tracepoints as the same lines. */
export function engineTraceLines(e: EngineReport): string[] {
  return (e.trace ?? []).filter((t) => t.name in TRACE_FIELDS).map((t) => traceLine(t.name, (f) => {
    const v = t.args[f];
    return typeof v === 'boolean' ? Number(v) : v;
  }));
}

/** Did the kernel allocate a huge page for this MADV_COLLAPSE (tracepoints, else thp_collapse_alloc)? */
export function kernelAllocated(k: HarnessReport): boolean {
  if (Array.isArray(k.trace)) {
    return k.trace.some((t) => t.event === 'mm_collapse_huge_page' &&
      t.status !== 'alloc_huge_page_failed' && t.status !== 'ccgroup_charge_failed');
  }
  return (k.vmstat.thp_collapse_alloc ?? 0) > 0;
}

/**
 * Two-column text: the engine's prediction beside the kernel's answer. A long value the kernel
 * matches exactly (a tracepoint line) is written once, with "same" in the kernel's column.
 */
export function sideBySide(facts: readonly ComparedFact[]): string {
  const LONG = 24;
  const kernelCell = (f: ComparedFact) => (f.agree && f.kernel.length > LONG ? 'same' : f.kernel);
  const w0 = Math.max(4, ...facts.map((f) => f.what.length));
  const w1 = Math.max(18, ...facts.map((f) => f.engine.length));
  const w2 = Math.max(15, ...facts.map((f) => kernelCell(f).length));
  const lines = [
    `${''.padEnd(w0)}  ${'engine (before)'.padEnd(w1)}  ${'live kernel'.padEnd(w2)}`.trimEnd(),
    ...facts.map((f) => `${f.what.padEnd(w0)}  ${f.engine.padEnd(w1)}  ${kernelCell(f).padEnd(w2)}  ${f.agree ? 'agree' : 'DIFFER'}`),
  ];
  return lines.join('\n');
}
