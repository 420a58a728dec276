/**
 * run.ts — build a world and run one collapse attempt: what the CLI, the pictures, the
 * exercises and the tests call.
 *
 * @example
 * const world = makeWorld({ layout: 'page*511,guard', kernel: 'before' });
 * const report = runCollapse(world);
 * report.result; // 'SCAN_FAIL' (guard marker handed to do_swap_page → VM_FAULT_SIGSEGV)
 * @module
 */
import type { World, KernelName, Knobs, KernelOps, Schedule, Ref, vm_area_struct, DoSwapPageCall, Bug, TraceEvent, PmdScan } from './types.ts';
import { parseLayout, type LayoutItem } from './layout.ts';
import { scan_result_name } from './scan_result.ts';
import { createWorld, DEFAULT_KNOBS, HPAGE_PMD_NR, newAttempt } from './mm.ts';
import {
  KernelHang,
  newThread,
  runAsThread,
  threadExit,
  mmap_read_lock,
  mmap_read_unlock,
} from './locks.ts';
import { attemptOf, expectedOf, setAttempt, setCollapseThread, threadsOf } from './lockstate.ts';
import { KERNELS, khugepagedScanMm, madvise_collapse } from './khugepaged.ts';
import { runPreempt, windowToSchedule } from './actors.ts';
import { setPreemptHook, evidenceLength, evidenceSince, bumpCounter } from './evidence.ts';

/** Options of {@link makeWorld}. */
export interface MakeWorldOptions {
  /** PMD 0's layout, e.g. `"page*511,guard"` (or parsed items). */
  layout?: string | readonly LayoutItem[];
  /** Several PMDs (the VMA covers them all); use instead of `layout`. */
  layouts?: (string | readonly LayoutItem[])[];
  /** Which side of the patch (default `after`). */
  kernel?: KernelName;
  /** The VMA is registered with userfaultfd in this mode. */
  uffd?: 'wp' | 'missing';
  /** Knob overrides (0..511). */
  knobs?: Partial<Knobs>;
  /** Learner (or test) implementations replacing the kernel's. */
  ops?: Partial<KernelOps>;
  /** Actor steps at preemption points. */
  schedule?: Schedule;
  /** `--window` notation ("10=migration,5=page"): `set_pte` steps at `alloc`, added to the schedule. */
  window?: string;
  /** Make the huge-page allocation fail (SCAN_ALLOC_HUGE_PAGE_FAIL). */
  fail_alloc?: boolean;
  /** node_reclaim_mode (enables SCAN_SCAN_ABORT for distant nodes). Default 0. */
  node_reclaim_mode?: number;
}

/** The `collapse --json` fields (contract; see README.md). */
export interface CollapseReport {
  /** scan_result name of the whole attempt (or `DEADLOCK` if the collapsing thread hung). */
  result: string;
  /** scan_result name of the scan phase (SCAN_SUCCEED when it went on to collapse). */
  scan_result: string;
  /** A PMD now maps a huge page. */
  collapsed: boolean;
  /** A huge folio was allocated. */
  allocated: boolean;
  /** Pages read back from swap by the collapse path. */
  swapped_in: number;
  /** What the caller sees in its `mmap_locked` out-parameter at the end. */
  mmap_locked: boolean;
  /** Lock/contract violations found (empty when none). */
  bugs: Bug[];
  /** With `madvise`: 0 or the errno name. */
  errno?: 0 | 'EINVAL' | 'EBUSY' | 'EAGAIN' | 'ENOMEM';
  /** Events of this attempt. */
  trace: TraceEvent[];
  /** Counters after the attempt. */
  counters: Record<string, number>;
  /** do_swap_page() calls made by the collapse path. */
  do_swap_page_calls: DoSwapPageCall[];
  /** The collapsing thread would have hung (deadlock); the attempt was stopped there. */
  hung: boolean;
  /** Every collapsed PMD holds exactly the expected contents (true when nothing collapsed). */
  contents_ok: boolean;
  /** One entry per PMD of the VMA, in address order (engine round 2; JSON `pmds`). */
  pmds: PmdReport[];
}

/** What happened to one PMD in an attempt (the `collapse --json` `pmds` items). */
export interface PmdReport {
  /** PMD index in the VMA (0 = lowest address). */
  pmd: number;
  /** Was it scanned in this attempt? (MADV_COLLAPSE stops early on some results.) */
  scanned: boolean;
  /** scan_result name `hpage_collapse_scan_pmd` returned for it, or null if not scanned. */
  result: string | null;
  /** The scan phase's own result (SCAN_SUCCEED when it went on to collapse), or null. */
  scan_result: string | null;
  /** This attempt made it huge. */
  collapsed: boolean;
  /** This attempt allocated a huge folio for it. */
  allocated: boolean;
  /** Pages read back from swap for it. */
  swapped_in: number;
  /** It maps a huge page at the end (collapsed now or before). */
  huge: boolean;
}

/**
 * Parsed layout strings (parsing is pure; createWorld copies the kinds, so sharing the parsed
 * array is safe). Bounded: cleared when full. Bad layouts are never cached (they throw).
 */
const parsedLayouts = new Map<string, readonly LayoutItem[]>();
const PARSED_LAYOUTS_MAX = 256;

function toItems(l: string | readonly LayoutItem[]): readonly LayoutItem[] {
  if (typeof l !== 'string') return l;
  let items = parsedLayouts.get(l);
  if (items === undefined) {
    items = parseLayout(l);
    if (parsedLayouts.size >= PARSED_LAYOUTS_MAX) parsedLayouts.clear();
    parsedLayouts.set(l, items);
  }
  return items;
}

function checkKnob(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > HPAGE_PMD_NR - 1) {
    throw new RangeError(`knob ${name} must be a whole number from 0 to ${HPAGE_PMD_NR - 1} (the sysfs store rejects anything else), got ${String(v)}`);
  }
  return v;
}

/**
 * Build a world: one anonymous VMA whose PMDs are laid out as given, a swap device, the zero
 * page, the knobs, the kernel side and the schedule. Throws `LayoutError` on a bad layout.
 */
export function makeWorld(opts: MakeWorldOptions): World {
  const layouts = opts.layouts ?? (opts.layout !== undefined ? [opts.layout] : null);
  if (!layouts || layouts.length === 0) throw new Error('makeWorld needs a layout (e.g. "page*511,guard") or layouts');
  const kernel: KernelName = opts.kernel ?? 'after';
  if (!(kernel in KERNELS)) throw new Error(`unknown kernel "${String(kernel)}"; use before, after or v3-as-posted`);
  const knobs: Knobs = { ...DEFAULT_KNOBS };
  for (const [k, v] of Object.entries(opts.knobs ?? {})) {
    if (!(k in knobs)) throw new Error(`unknown knob "${k}"; known knobs: ${Object.keys(knobs).join(', ')}`);
    knobs[k as keyof Knobs] = checkKnob(k, v);
  }
  const base = KERNELS[kernel];
  const ops: KernelOps = {
    hpage_collapse_scan_pmd: opts.ops?.hpage_collapse_scan_pmd ?? base.hpage_collapse_scan_pmd,
    __collapse_huge_page_swapin: opts.ops?.__collapse_huge_page_swapin ?? base.__collapse_huge_page_swapin,
  };
  const schedule: Schedule = [...(opts.schedule ?? []).map((s) => ({ ...s })), ...(opts.window ? windowToSchedule(opts.window) : [])];
  const world = createWorld({
    layouts: layouts.map(toItems),
    options: {
      kernel,
      uffd: opts.uffd ?? null,
      fail_alloc: opts.fail_alloc ?? false,
      node_reclaim_mode: opts.node_reclaim_mode ?? 0,
    },
    knobs,
    ops,
    schedule,
    mainThread: newThread('init'),
  });
  setPreemptHook(world, runPreempt);
  return world;
}

const ERRNO_NAMES: Record<number, 'EINVAL' | 'EBUSY' | 'EAGAIN' | 'ENOMEM'> = { 22: 'EINVAL', 16: 'EBUSY', 11: 'EAGAIN', 12: 'ENOMEM' };

/**
 * Did every PMD that is now huge receive exactly the contents it should (the original page
 * data, zero for none/zero PTEs)?
 */
export function contentsPreserved(world: World): boolean {
  for (const pmd of world.mm.pmds) {
    if (pmd.entry.type !== 'huge') continue;
    const exp = expectedOf(world)[pmd.index];
    const pages = pmd.entry.folio.pages;
    for (let i = 0; i < HPAGE_PMD_NR; i++) if (pages[i].content !== exp[i]) return false;
  }
  return true;
}

/** The contents of a huge PMD after collapse (null if that PMD is not huge). */
export function collapsedContents(world: World, pmdIndex = 0): (string | null)[] | null {
  const pmd = world.mm.pmds[pmdIndex];
  if (!pmd || pmd.entry.type !== 'huge') return null;
  return pmd.entry.folio.pages.map((p) => p.content);
}

/**
 * Run one collapse attempt: the khugepaged thread scanning the mm (default), or a process
 * calling MADV_COLLAPSE over the whole VMA (`madvise: true`). Deterministic: the same world
 * options give the same report and trace.
 */
export function runCollapse(world: World, opts: { madvise?: boolean } = {}): CollapseReport {
  const madvise = !!opts.madvise;
  setAttempt(world, newAttempt());
  const { trace: traceStart, bugs: bugsStart } = evidenceLength(world);
  const t = newThread(madvise ? 'madvise' : 'khugepaged');
  threadsOf(world).set(t.name, t);
  setCollapseThread(world, t);
  let hung = false;
  let result = 0;
  let mmapLocked = true;
  let errno: CollapseReport['errno'];
  runAsThread(world, t, () => {
    try {
      if (!madvise) {
        const r = khugepagedScanMm(world.mm);
        result = r.result;
        mmapLocked = r.mmap_locked;
      } else {
        const prev: Ref<vm_area_struct | null> = { value: world.vma };
        mmap_read_lock(world.mm); // madvise() takes it for read
        const ret = madvise_collapse(world.vma, prev, world.vma.vm_start, world.vma.vm_end);
        mmap_read_unlock(world.mm);
        errno = ret === 0 ? 0 : ERRNO_NAMES[-ret];
        const m = attemptOf(world).madvise!;
        // The top-level result is the last range attempted (architecture doc, collapse contract).
        result = m.results.length ? m.results[m.results.length - 1] : m.last_fail;
        mmapLocked = m.mmap_locked;
      }
    } catch (e) {
      if (!(e instanceof KernelHang)) throw e;
      hung = true;
      if (madvise) errno = undefined;
    }
  });
  threadExit(world, t, hung);
  setCollapseThread(world, null);
  const a = attemptOf(world);
  if (!a.collapsed && a.realSwapins) bumpCounter(world, 'wasted_swapins', a.realSwapins);
  const ev = evidenceSince(world, traceStart, bugsStart);
  const report: CollapseReport = {
    result: hung ? 'DEADLOCK' : scan_result_name(result),
    scan_result: a.lastScanPhase === null ? (hung ? 'DEADLOCK' : scan_result_name(result)) : scan_result_name(a.lastScanPhase),
    collapsed: a.collapsed > 0,
    allocated: a.allocated > 0,
    swapped_in: a.realSwapins,
    mmap_locked: mmapLocked,
    bugs: ev.bugs,
    trace: ev.trace,
    counters: ev.counters,
    do_swap_page_calls: a.doSwapPageCalls.slice(),
    hung,
    contents_ok: contentsPreserved(world),
    pmds: pmdReports(world),
  };
  if (madvise) report.errno = errno ?? 'EINVAL';
  return report;
}

/** One {@link PmdReport} per PMD: the last scan of it in this attempt. */
function pmdReports(world: World): PmdReport[] {
  const last = new Map<number, PmdScan>();
  for (const s of attemptOf(world).pmdScans) last.set(s.pmd, s);
  return world.mm.pmds.map((p) => {
    const s = last.get(p.index);
    return {
      pmd: p.index,
      scanned: !!s,
      result: s ? scan_result_name(s.result) : null,
      scan_result: s ? scan_result_name(s.scan_result) : null,
      collapsed: s?.collapsed ?? false,
      allocated: s?.allocated ?? false,
      swapped_in: s?.swapped_in ?? 0,
      huge: p.entry.type === 'huge',
    };
  });
}

/** `makeWorld(opts)` then `runCollapse(world, { madvise })`, returning both. */
export function simulate(opts: MakeWorldOptions & { madvise?: boolean }): { world: World; report: CollapseReport } {
  const world = makeWorld(opts);
  const report = runCollapse(world, { madvise: opts.madvise });
  return { world, report };
}
