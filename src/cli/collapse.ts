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
  describeLayoutKind,
  swapDeviceOf,
  type LayoutItem,
  type FixedLayoutKind,
  type KnobSettings,
  type WindowItem,
} from '../engine/layout.ts';
import { classifyPte, kindLabel, isPte, formatPte, type PteKind, type pte_t } from '../engine/pte.ts';
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

// ---------------------------------------------------------------------------------------------
// Pictures
// ---------------------------------------------------------------------------------------------

const LAYOUT_CHAR: Readonly<Record<FixedLayoutKind, string>> = Object.freeze({
  'page': '.', 'old': 'o', 'shared': 's', 'zero': '0', 'none': '_', 'swap': 'S', 'swap+uffd': 'w',
  'migration': 'm', 'migration-w': 'M', 'migration+uffd': 'u', 'device-private': 'd',
  'device-exclusive': 'x', 'hwpoison': '!', 'guard': 'G', 'poison': 'P', 'uffd-marker': 'U', 'page+uffd': 'p',
  'page+pinned': 'n', 'page+locked': 'l', 'page+poisoned': 'c', 'page+pkey': 'k', 'no-table': ' ',
});

/** The picture character of a kind (`swap@N` draws like `swap`; the legend names the devices). */
function layoutChar(k: LayoutItem): string {
  if (swapDeviceOf(k) > 0) return k.endsWith('+uffd') ? 'w' : 'S';
  return LAYOUT_CHAR[k as FixedLayoutKind] ?? '?';
}

const PTE_CHAR: Readonly<Record<PteKind, string>> = Object.freeze({
  'present': '.', 'present-uffd-wp': 'p', 'protnone': 'n', 'zero': '0', 'none': '_', 'swap': 'S',
  'swap-uffd-wp': 'w', 'hwpoison': '!', 'migration-read': 'm', 'migration-read-exclusive': 'e',
  'migration-write': 'M', 'device-private-read': 'd', 'device-private-write': 'd', 'device-exclusive': 'x',
  'marker-uffd-wp': 'U', 'marker-poisoned': 'P', 'marker-guard': 'G', 'marker-empty': '?',
});

/** 512 chars as 8 rows × 64, each row prefixed with its first slot. */
export function drawGrid(chars: readonly string[], indent = '  '): string {
  const rows: string[] = [];
  for (let r = 0; r < chars.length; r += 64) {
    rows.push(`${indent}${String(r).padStart(3)} ${chars.slice(r, r + 64).join('')}`);
  }
  return rows.join('\n');
}

function legend(pairs: Map<string, string>, indent = '  '): string {
  const items = [...pairs].map(([c, label]) => `${c} ${label}`);
  const lines: string[] = [];
  let line = '';
  for (const it of items) {
    if (line && line.length + it.length + 3 > 96) { lines.push(line); line = ''; }
    line = line ? `${line}   ${it}` : it;
  }
  if (line) lines.push(line);
  return lines.map((l) => indent + l).join('\n');
}

/** Picture of a parsed layout with its legend (only the kinds that occur). */
export function layoutPicture(layout: readonly LayoutItem[]): string {
  if (layout[0] === 'no-table') return '  (no PTE table: the PMD is empty — pmd_none)';
  const chars = layout.map(layoutChar);
  const used = new Map<string, string>();
  for (const k of new Set(layout)) {
    const c = layoutChar(k);
    const label = `${k} (${describeLayoutKind(k)})`;
    used.set(c, used.has(c) ? `${used.get(c)}; ${label}` : label);
  }
  return `${drawGrid(chars)}\n${legend(used)}`;
}

/** Picture of real PTEs (classified from their bits) with its legend. */
export function ptePicture(ptes: readonly pte_t[]): string {
  const kinds = ptes.map((p) => classifyPte(p));
  const used = new Map<string, string>();
  for (const k of kinds) if (!used.has(PTE_CHAR[k])) used.set(PTE_CHAR[k], kindLabel(k));
  return `${drawGrid(kinds.map((k) => PTE_CHAR[k]))}\n${legend(used)}`;
}

// ---------------------------------------------------------------------------------------------
// Output helpers
// ---------------------------------------------------------------------------------------------

/** JSON.stringify replacer: bigints as hex strings, Maps/Sets as arrays, no cycles into worlds. */
function jsonSafe(): (key: string, value: unknown) => unknown {
  const seen = new WeakSet<object>();
  return (key, value) => {
    if (typeof value === 'bigint') return '0x' + value.toString(16);
    if (value instanceof Map) return [...value];
    if (value instanceof Set) return [...value];
    if (value && typeof value === 'object') {
      if (isPte(value)) return value;
      if (seen.has(value)) return '[circular]';
      seen.add(value);
      if (key === 'world' || key === 'vm_mm' || key === 'mm') return '[world]';
    }
    return value;
  };
}

function short(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint') return '0x' + v.toString(16);
  if (isPte(v)) return formatPte(v);
  try {
    return JSON.stringify(v, jsonSafe()) ?? String(v);
  } catch {
    return String(v);
  }
}

interface TraceEventLike {
  seq: number;
  thread: string;
  name: string;
  args: Record<string, unknown>;
  locks: string[];
}

function describeEvent(ev: TraceEventLike): string {
  const args = Object.entries(ev.args ?? {}).map(([k, v]) => `${k}=${short(v)}`).join(' ');
  return `${ev.name}${args ? ' ' + args : ''}`;
}

/** Page-table map/lock bookkeeping events: left out of the readable story (all are in --json). */
const PLUMBING = new Set(['pte_map', 'pte_unmap', 'ptl_lock', 'ptl_unlock']);

function ordinarySwapEvent(ev: TraceEventLike): boolean {
  if (ev.name === 'swap_in') return true;
  if (ev.name !== 'do_swap_page') return false;
  const ret = String(ev.args?.ret ?? '');
  return ev.args?.non_swap !== true && (ret === '0' || ret === 'VM_FAULT_MAJOR' || ret === '');
}

function slotRange(slots: number[]): string {
  if (!slots.length) return '';
  const parts: string[] = [];
  let start = slots[0];
  let prev = slots[0];
  for (const s of [...slots.slice(1), NaN]) {
    if (s === prev + 1) { prev = s; continue; }
    parts.push(start === prev ? `${start}` : `${start}–${prev}`);
    start = prev = s;
  }
  return parts.join(', ');
}

/**
 * The trace as numbered lines for people: page-table map/lock plumbing is left out (counted at
 * the end), runs of ordinary swap-ins are folded into one line, and anything unusual (a
 * non-swap entry handed to do_swap_page, an error, a bug, an actor) is shown on its own.
 */
export function narrate(trace: readonly TraceEventLike[]): string[] {
  const out: string[] = [];
  let hidden = 0;
  const line = (ev: TraceEventLike, what: string) => {
    const locks = ev.locks?.length ? `  {holds: ${ev.locks.join(', ')}}` : '';
    out.push(`  #${String(ev.seq).padStart(3)} [${ev.thread}] ${what}${locks}`);
  };
  let i = 0;
  while (i < trace.length) {
    const ev = trace[i];
    if (PLUMBING.has(ev.name)) { hidden++; i++; continue; }
    if (ordinarySwapEvent(ev)) {
      const slots: number[] = [];
      let calls = 0;
      let reads = 0;
      let last = ev;
      let j = i;
      while (j < trace.length && (PLUMBING.has(trace[j].name) || ordinarySwapEvent(trace[j]))) {
        const e = trace[j];
        if (PLUMBING.has(e.name)) hidden++;
        else {
          last = e;
          if (e.name === 'do_swap_page') { calls++; if (typeof e.args?.slot === 'number') slots.push(e.args.slot as number); }
          else reads++;
        }
        j++;
      }
      const what = calls
        ? `swap-in: do_swap_page on ${calls} swap entr${calls === 1 ? 'y' : 'ies'} (slot${slots.length === 1 ? '' : 's'} ${slotRange(slots)}), ${reads} read from the swap device`
        : `swap_in ×${reads}`;
      line(ev, `${what}  (events #${ev.seq}–#${last.seq})`);
      i = j;
      continue;
    }
    line(ev, describeEvent(ev));
    i++;
  }
  if (hidden) out.push(`  (${hidden} page-table map/lock events not shown; --json has the full trace)`);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------


function tableOf(world: World, pmd = 0): { huge: boolean; none: boolean; ptes: pte_t[] | null } {
  const e = world.mm.pmds[pmd]?.entry;
  if (!e) return { huge: false, none: true, ptes: null };
  if (e.type === 'huge') return { huge: true, none: false, ptes: null };
  if (e.type === 'table') return { huge: false, none: false, ptes: [...e.table.ptes] };
  return { huge: false, none: true, ptes: null };
}

function pmdSummary(t: { huge: boolean; none: boolean; ptes: pte_t[] | null }): { pmd: string; ptes?: string } {
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
  const before = world.mm.pmds.map((_, i) => tableOf(world, i));
  let report: CollapseReport;
  try {
    report = run.runCollapse(world, { madvise: args.madvise });
  } catch (e) {
    const msg = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    return fail(`the engine failed: ${msg.split('\n')[0]}`, 1);
  }
  const after = world.mm.pmds.map((_, i) => tableOf(world, i));
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
    return { stdout: JSON.stringify(out, jsonSafe()) + '\n', stderr: '', exitCode: 0 };
  }

  const r = report;
  const lines: string[] = [];
  const ctx = args.madvise ? 'MADV_COLLAPSE' : 'khugepaged';
  lines.push(`collapse attempt — kernel: ${args.kernel}, caller: ${ctx}${args.uffd ? `, uffd: ${args.uffd}` : ''}${args.allocFail ? ', the huge-page allocation fails' : ''}`);
  if (several) args.layouts.forEach((l, i) => lines.push(`layout of PMD ${i}: ${formatLayout(l)}`));
  else lines.push(`layout: ${input.layout}`);
  lines.push(`knobs: ${Object.entries(knobsInUse).map(([k, v]) => `${k}=${v}`).join(' ')}${args.madvise ? ' (MADV_COLLAPSE ignores them)' : ''}`);
  if (args.window.length) {
    lines.push(`window (while the mmap lock is dropped for the allocation): ${args.window.map((w) => `slot ${w.slot} → ${w.kind}`).join(', ')}`);
  }
  lines.push('');
  if (several) {
    args.layouts.forEach((l, i) => {
      lines.push(`PMD ${i} before (one character per PTE, 8 rows × 64):`);
      lines.push(layoutPicture(l));
    });
    lines.push('');
    lines.push('per PMD, in address order:');
    for (const p of r.pmds) {
      lines.push(`  PMD ${p.pmd}: ${p.scanned ? `${p.result}${p.scan_result !== p.result ? ` (scan phase: ${p.scan_result})` : ''}` : 'not scanned'}${p.collapsed ? ' — collapsed' : p.huge ? ' — huge' : ''}${p.swapped_in ? `, ${p.swapped_in} swapped in` : ''}`);
    }
  } else {
    lines.push('PMD before (one character per PTE, 8 rows × 64):');
    lines.push(layoutPicture(args.layout));
  }
  lines.push('');
  lines.push(`result:      ${r.result}${r.scan_result && r.scan_result !== r.result ? `   (scan phase: ${r.scan_result})` : ''}${several ? '   (the last PMD attempted)' : ''}`);
  lines.push(`collapsed:   ${r.collapsed ? (several ? `yes — PMD ${r.pmds.filter((p) => p.collapsed).map((p) => p.pmd).join(', ')} now map${r.pmds.filter((p) => p.collapsed).length === 1 ? 's' : ''} a 2 MiB huge page` : 'yes — the PMD now maps one 2 MiB huge page') : 'no'}`);
  lines.push(`allocated:   ${r.allocated ? 'yes (a huge page was allocated)' : 'no'}`);
  lines.push(`swapped in:  ${r.swapped_in ?? 0}`);
  lines.push(`mmap lock:   ${r.mmap_locked ? 'still held by the caller' : 'not held by the caller afterwards'}`);
  if (r.hung) lines.push('DEADLOCK:    the collapsing thread would have hung; the attempt was stopped there');
  if (r.collapsed) lines.push(`contents:    ${r.contents_ok ? 'every page kept its data' : 'WRONG — the huge page does not hold the original data'}`);
  if (args.madvise) lines.push(`errno:       ${String(r.errno ?? 0)}`);
  const bugs = r.bugs ?? [];
  lines.push(`bugs:        ${bugs.length ? bugs.length : 'none'}`);
  for (const b of bugs) lines.push(`  ! ${b.kind}: ${b.message}${b.path?.length ? `  (in ${b.path.join(' → ')})` : ''}`);
  const calls = r.do_swap_page_calls ?? [];
  if (calls.length) {
    const nonSwap = calls.filter((c) => c.non_swap);
    lines.push(`do_swap_page calls: ${calls.length}${nonSwap.length ? `, ${nonSwap.length} with a NON-SWAP entry (slots ${nonSwap.map((c) => c.slot).join(', ')})` : ''}`);
  }
  lines.push('');
  lines.push('what happened, in order:');
  lines.push(...narrate(r.trace ?? []));
  const counters = Object.entries(r.counters ?? {}).filter(([, v]) => v !== 0);
  lines.push('');
  lines.push(`counters: ${counters.length ? counters.map(([k, v]) => `${k}=${v}`).join(' ') : 'all zero'}`);
  for (let i = 0; i < after.length; i++) {
    const a = after[i];
    const b = before[i];
    const name = several ? `PMD ${i} after` : 'PMD after';
    lines.push('');
    if (a.huge) lines.push(`${name}: a huge PMD mapping (no PTE table any more).`);
    else if (a.ptes) {
      const same = b.ptes && b.ptes.length === a.ptes.length && b.ptes.every((p, j) => p.lo === a.ptes![j].lo && p.hi === a.ptes![j].hi);
      lines.push(`${name} (decoded from the PTE bits${same ? '; unchanged' : ''}):`);
      lines.push(ptePicture(a.ptes));
    } else lines.push(`${name}: none (no page table).`);
  }
  return { stdout: lines.join('\n') + '\n', stderr: '', exitCode: 0 };
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
