/**
 * `npm run --silent collapse -- --layout "page*448,swap*64" [--layout … one per PMD]
 *     [--kernel before|after|v3-as-posted] [--madvise] [--knob max_ptes_swap=64 ...]
 *     [--uffd wp|missing] [--window "10=migration,5=page"] [--alloc-fail] [--json]`
 *
 * One collapse attempt of the simulated kernel — on one PMD, or on several (`--layout`
 * repeated, in address order) — for instructors, chapters and tests (contract: "`npm run
 * --silent collapse` (contract)" in the architecture doc).
 * Exit status: 0 when the attempt ran (whatever its result), 2 on bad arguments or layout
 * (one line on stderr, never a stack trace), 1 if the engine itself failed.
 *
 * {@link main} is argv in, `{ stdout, stderr, exitCode }` out, with no process I/O, so tests
 * call it in-process; only the few lines at the bottom touch `process`.
 */
import type { World } from '../engine/types.ts';
import {
  parseLayout,
  parseWindow,
  parseKnobs,
  formatLayout,
  LayoutError,
  LAYOUT_KINDS,
  parseLayouts,
  showInput,
  type LayoutItem,
  type KnobSettings,
  type WindowItem,
} from '../engine/layout.ts';
import { classifyPte } from '../engine/pte.ts';
import { pmdSnapshot, readableReport, reportJsonReplacer, type PmdSnapshot } from '../engine/narrate.ts';
import type { CollapseReport, MakeWorldOptions } from '../engine/run.ts';

const KERNELS = ['before', 'after', 'v3-as-posted'] as const;
type Kernel = (typeof KERNELS)[number];
const UFFD_MODES = ['wp', 'missing'] as const;
type UffdMode = (typeof UFFD_MODES)[number];

const FLAGS_WITH_VALUE = ['--layout', '--kernel', '--knob', '--uffd', '--window'] as const;
const BOOLEAN_FLAGS = ['--madvise', '--alloc-fail', '--json', '--help'] as const;
const KNOWN_FLAGS: readonly string[] = [...FLAGS_WITH_VALUE, ...BOOLEAN_FLAGS];

const USAGE = `usage: npm run --silent collapse -- --layout "page*448,swap*64" [--layout … one per PMD]
       [--kernel before|after|v3-as-posted] [--madvise] [--knob max_ptes_swap=64 ...] [--uffd wp|missing]
       [--window "10=migration,5=page"] [--alloc-fail] [--json]

  --layout   the 512 PTEs of a PMD: KIND or KIND*N items adding up to 512 (or no-table: no PTE
             table at all); repeat it for several PMDs, in address order
             kinds: ${LAYOUT_KINDS.join(', ')}, swap@N, swap@N+uffd (N = swap device 0–23)
  --kernel   which side of the patch (default: after)
  --madvise  MADV_COLLAPSE context (cc->is_khugepaged = false); default is khugepaged
  --knob     khugepaged knob NAME=VALUE (max_ptes_none, max_ptes_swap, max_ptes_shared; 0..511), repeatable
  --uffd     the VMA is registered with userfaultfd in this mode
  --window   PTE changes made by other actors while khugepaged has dropped the mmap lock for the
             huge-page allocation: SLOT=KIND items (PMD 0)
  --alloc-fail  the huge-page allocation fails (SCAN_ALLOC_HUGE_PAGE_FAIL)
  --json     one JSON object instead of the readable report`;

/** Parsed command line. */
export interface CollapseArgs {
  /** The first PMD's layout text (kept for callers of round 1). */
  layoutText: string;
  /** The first PMD's layout (kept for callers of round 1). */
  layout: LayoutItem[];
  /** Every `--layout`, in address order. */
  layoutTexts: string[];
  /** Every PMD's parsed layout. */
  layouts: LayoutItem[][];
  allocFail: boolean;
  kernel: Kernel;
  madvise: boolean;
  knobs: KnobSettings;
  knobTexts: string[];
  uffd: UffdMode | null;
  windowText: string;
  window: WindowItem[];
  json: boolean;
  help: boolean;
}

/** A bad command line; the message is one line for stderr. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Parse argv (without node and script). Throws UsageError or LayoutError. */
export function parseArgs(argv: readonly string[]): CollapseArgs {
  const layoutTexts: string[] = [];
  let kernel: Kernel | null = null;
  let madvise = false;
  let allocFail = false;
  const knobTexts: string[] = [];
  let uffd: UffdMode | null = null;
  let windowText = '';
  let json = false;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '-h') { help = true; continue; }
    if (!arg.startsWith('--')) {
      throw new UsageError(`unexpected argument "${showInput(arg)}" (flags start with --; try --help)`);
    }
    const eq = arg.indexOf('=');
    const flag = eq >= 0 ? arg.slice(0, eq) : arg;
    if (!KNOWN_FLAGS.includes(flag)) {
      throw new UsageError(`unknown flag ${showInput(flag)}; known flags: ${KNOWN_FLAGS.join(', ')}`);
    }
    if ((BOOLEAN_FLAGS as readonly string[]).includes(flag)) {
      if (eq >= 0) throw new UsageError(`${flag} takes no value`);
      if (flag === '--madvise') madvise = true;
      else if (flag === '--alloc-fail') allocFail = true;
      else if (flag === '--json') json = true;
      else help = true;
      continue;
    }
    let value: string;
    if (eq >= 0) value = arg.slice(eq + 1);
    else {
      if (i + 1 >= argv.length || argv[i + 1].startsWith('--')) throw new UsageError(`${flag} needs a value`);
      value = argv[++i];
    }
    switch (flag) {
      case '--layout':
        layoutTexts.push(value);
        break;
      case '--kernel':
        if (!(KERNELS as readonly string[]).includes(value)) {
          throw new UsageError(`unknown kernel "${showInput(value)}"; known kernels: ${KERNELS.join(', ')}`);
        }
        if (kernel !== null && kernel !== value) {
          throw new UsageError(`--kernel given twice with different values (${kernel} and ${value}); give it once`);
        }
        kernel = value as Kernel;
        break;
      case '--knob':
        knobTexts.push(value);
        break;
      case '--uffd':
        if (!(UFFD_MODES as readonly string[]).includes(value)) {
          throw new UsageError(`unknown uffd mode "${showInput(value)}"; known modes: ${UFFD_MODES.join(', ')}`);
        }
        if (uffd !== null && uffd !== value) {
          throw new UsageError(`--uffd given twice with different values (${uffd} and ${value}); give it once`);
        }
        uffd = value as UffdMode;
        break;
      case '--window':
        windowText = windowText ? `${windowText},${value}` : value;
        break;
    }
  }
  const k: Kernel = kernel ?? 'after';
  if (help) {
    return { layoutText: '', layout: [], layoutTexts, layouts: [], allocFail, kernel: k, madvise, knobs: {}, knobTexts, uffd, windowText, window: [], json, help };
  }
  if (layoutTexts.length === 0) throw new UsageError('missing --layout (e.g. --layout "page*511,guard"); try --help');
  const layouts = parseLayouts(layoutTexts);
  const knobs = parseKnobs(knobTexts);
  const window = parseWindow(windowText);
  if (window.length && layouts[0][0] === 'no-table') {
    throw new UsageError('--window changes PTEs of PMD 0, but its layout is no-table (it has no PTEs)');
  }
  return {
    layoutText: layoutTexts[0], layout: layouts[0], layoutTexts, layouts, allocFail, kernel: k, madvise, knobs, knobTexts,
    uffd, windowText, window, json, help,
  };
}

// The readable report (pictures, the trace retold, the whole text) lives in the engine
// (src/engine/narrate.ts) so the Playground prints the same words in the browser.

function pmdSummary(t: PmdSnapshot): { pmd: string; ptes?: string } {
  if (t.huge) return { pmd: 'huge' };
  if (!t.ptes) return { pmd: 'none' };
  return { pmd: 'table', ptes: formatLayout(t.ptes.map((p) => classifyPte(p)) as unknown as LayoutItem[]) };
}

/** What one run of the command produced. */
export interface CliResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/**
 * The command: argv (without node and script) in, what it would print and its exit status
 * out. No process I/O, so tests call it in-process. Never throws for bad input (exit 2, one
 * line on stderr); an engine failure is exit 1 with one line.
 */
export async function main(argv: readonly string[]): Promise<CliResult> {
  try {
    return await runMain(argv);
  } catch (e) {
    const msg = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    return { stdout: '', stderr: `collapse: internal error: ${msg.split('\n')[0]}\n`, exitCode: 1 };
  }
}

async function runMain(argv: readonly string[]): Promise<CliResult> {
  // One printable line whatever the input held: control characters (newline, ESC, …) escaped.
  const fail = (message: string, exitCode: number): CliResult => ({
    stdout: '',
    stderr: `collapse: ${message.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'))}\n`,
    exitCode,
  });
  let args: CollapseArgs;
  try {
    args = parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError || e instanceof LayoutError) return fail(e.message, 2);
    throw e;
  }
  if (args.help) return { stdout: USAGE + '\n', stderr: '', exitCode: 0 };

  // Loaded lazily so argument errors are reported even if the engine cannot load.
  const run = await import('../engine/run.ts');
  const opts: MakeWorldOptions = {
    layouts: args.layouts,
    kernel: args.kernel,
    ...(args.allocFail ? { fail_alloc: true } : {}),
    ...(args.uffd ? { uffd: args.uffd } : {}),
    knobs: args.knobs,
    ...(args.windowText ? { window: args.windowText } : {}),
  };
  let world: World;
  try {
    world = run.makeWorld(opts);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    return fail(msg.split('\n')[0], e instanceof Error && e.name === 'LayoutError' ? 2 : 1);
  }
  const before = world.mm.pmds.map((_, i) => pmdSnapshot(world, i));
  let report: CollapseReport;
  try {
    report = run.runCollapse(world, { madvise: args.madvise });
  } catch (e) {
    const msg = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    return fail(`the engine failed: ${msg.split('\n')[0]}`, 1);
  }
  const after = world.mm.pmds.map((_, i) => pmdSnapshot(world, i));
  const several = args.layouts.length > 1;
  const knobsInUse: Record<string, number> = { ...world.knobs };
  const input = {
    layout: formatLayout(args.layout),
    ...(several ? { layouts: args.layouts.map((l) => formatLayout(l)) } : {}),
    kernel: args.kernel,
    madvise: args.madvise,
    uffd: args.uffd,
    knobs: knobsInUse,
    window: args.window,
    alloc_fail: args.allocFail,
  };

  if (args.json) {
    const out = {
      ...report,
      pmds: report.pmds.map((p, i) => ({ ...p, before: pmdSummary(before[i]), after: pmdSummary(after[i]) })),
      input,
      before: pmdSummary(before[0]),
      after: pmdSummary(after[0]),
    };
    return { stdout: JSON.stringify(out, reportJsonReplacer()) + '\n', stderr: '', exitCode: 0 };
  }

  const text = readableReport({
    kernel: args.kernel, madvise: args.madvise, uffd: args.uffd, allocFail: args.allocFail,
    layouts: args.layouts, knobs: knobsInUse, window: args.window, report, before, after,
  });
  return { stdout: text + '\n', stderr: '', exitCode: 0 };
}

const isMain = (() => {
  const entry = process.argv[1] ?? '';
  return entry.endsWith('collapse.ts') || entry.endsWith('collapse.js');
})();

if (isMain) {
  // `collapse … | head` closes the pipe early: that is not an error.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
  void main(process.argv.slice(2)).then((r) => {
    if (r.stdout) process.stdout.write(r.stdout);
    if (r.stderr) process.stderr.write(r.stderr);
    process.exitCode = r.exitCode;
  });
}
