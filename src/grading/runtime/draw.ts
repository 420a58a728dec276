/**
 * "Draw my run" (issue 14), runner side: run the LEARNER's exported kernel function(s) on one
 * scenario inside the sealed runner and return what the pictures need — the collapse report
 * (result, trace, bugs, counters …) and the PTE kinds of every PMD before and after — as plain,
 * structured-clone-safe data. The UI draws it next to the patched kernel's run of the same
 * scenario (which it can compute itself with the engine).
 *
 * The learner's exports replace the kernel ops of the same name (`hpage_collapse_scan_pmd`,
 * `__collapse_huge_page_swapin`, …: exercise exports use the kernel names); every other op is
 * the scenario kernel's. Errors (a bad layout, the learner's code throwing) come back as
 * `{ ok: false, error }`, never as an exception.
 */
import type { World } from '../../engine/types.ts';
// The same observation as the pictures' (one copy, in the engine; not part of its public API).
import { watchScanReads } from '../../engine/observe.ts';
import { describeSafely } from './errors.ts';

/** A scenario, in the `collapse` command's terms (architecture doc "Scenario notation"). */
export interface DrawScenario {
  /** One PMD layout (e.g. "page*511,guard") — or `layouts` for several PMDs. */
  layout?: string;
  layouts?: string[];
  /** The kernel side for the ops the learner did not write (default 'after'). */
  kernel?: 'before' | 'after' | 'v3-as-posted';
  /** MADV_COLLAPSE instead of khugepaged. */
  madvise?: boolean;
  knobs?: Record<string, number>;
  uffd?: 'wp' | 'missing';
  /** `--window` notation, e.g. "10=migration,5=page". */
  window?: string;
  /** The huge-page allocation fails. */
  fail_alloc?: boolean;
  /** Actor steps (the engine's `Schedule`, plain data), as the tests and <Timeline schedule> give them. */
  schedule?: readonly Record<string, unknown>[];
}

/**
 * The scenario of a `makeWorld(opts)` + `runCollapse(world, { madvise })` pair, copied field by field
 * into plain data (only the fields a DrawScenario has; anything else is dropped). Null when `opts`
 * has no layout. Used by the session to tell a failed test's scenario (TestResult.scenario).
 */
export function scenarioOf(opts: unknown, madvise: boolean): DrawScenario | null {
  if (!opts || typeof opts !== 'object') return null;
  const o = opts as Record<string, unknown>;
  const s: DrawScenario = {};
  if (typeof o.layout === 'string') s.layout = o.layout;
  else if (Array.isArray(o.layouts) && o.layouts.every((l) => typeof l === 'string')) s.layouts = [...(o.layouts as string[])];
  else return null;
  if (o.kernel === 'before' || o.kernel === 'after' || o.kernel === 'v3-as-posted') s.kernel = o.kernel;
  if (madvise) s.madvise = true;
  if (o.knobs && typeof o.knobs === 'object') {
    const knobs: Record<string, number> = {};
    for (const [k, v] of Object.entries(o.knobs)) if (typeof v === 'number') knobs[k] = v;
    if (Object.keys(knobs).length) s.knobs = knobs;
  }
  if (o.uffd === 'wp' || o.uffd === 'missing') s.uffd = o.uffd;
  if (typeof o.window === 'string' && o.window.trim()) s.window = o.window;
  if (o.fail_alloc === true) s.fail_alloc = true;
  if (Array.isArray(o.schedule) && o.schedule.length) s.schedule = plain(o.schedule) as Record<string, unknown>[];
  return s;
}

/** What a drawn run returns (plain data). */
export type DrawOutcome =
  | {
      ok: true;
      /** The collapse report fields (see the engine's CollapseReport), bigints as strings. */
      report: Record<string, unknown>;
      /** Per PMD, the layout kinds before the run (the layout expanded, "page", "guard" …). */
      before: string[][];
      /**
       * Per PMD, what is mapped after the run, in the engine's `classifyPte` terms ("present",
       * "swap", "marker-guard" …), or 512 × "huge" (a huge page maps it) / "no-table" (pmd_none).
       */
      after: string[][];
      /** Per PMD, the slots hpage_collapse_scan_pmd read, in order (its last one is where it stopped). */
      scanReads: number[][];
      /** Which learner exports replaced kernel ops. */
      replaced: string[];
    }
  | { ok: false; error: string };

/** Make `v` structured-clone safe and JSON-like: bigints → strings, functions dropped, cycles cut. */
export function plain(v: unknown, seen = new Set<unknown>(), depth = 0): unknown {
  if (typeof v === 'bigint') return `${v}`;
  if (v === null || typeof v !== 'object') return typeof v === 'function' || typeof v === 'symbol' ? undefined : v;
  if (seen.has(v) || depth > 12) return '[…]';
  seen.add(v);
  try {
    if (Array.isArray(v)) return v.map((x) => plain(x, seen, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const p = plain(x, seen, depth + 1);
      if (p !== undefined) out[k] = p;
    }
    return out;
  } finally {
    seen.delete(v);
  }
}

/**
 * What each PMD maps after a run (see DrawOutcome `after`). Exported for the page, which computes
 * the patched kernel's side the same way with its own engine.
 */
export function afterKinds(engine: Record<string, unknown>, world: object): string[][] {
  const classify = engine.classifyPte as ((p: unknown) => string) | undefined;
  const pmds = (world as WatchedWorld).mm?.pmds ?? [];
  return pmds.map((pmd) => {
    const e = pmd.entry;
    if (e?.type === 'huge') return new Array<string>(512).fill('huge');
    if (e?.type === 'table' && e.table && typeof classify === 'function') return Array.from(e.table.ptes, (p) => classify(p));
    return new Array<string>(512).fill('no-table');
  });
}

interface WatchedWorld {
  mm?: { pmds?: { entry?: { type?: string; table?: { ptes: unknown[] } } }[] };
}

/**
 * Run the scenario with the learner's `exports` as kernel ops. `engine` is the full engine
 * (makeWorld/runCollapse live here, on the runner's side; the learner code only gets called).
 */
export function drawRun(engine: Record<string, unknown>, exports: Record<string, unknown>, scenario: DrawScenario, opNames: readonly string[]): DrawOutcome {
  try {
    const makeWorld = engine.makeWorld as (o: object) => { layouts: string[][] };
    const runCollapse = engine.runCollapse as (w: object, o: object) => Record<string, unknown>;
    const ops: Record<string, unknown> = {};
    for (const name of opNames) if (typeof exports[name] === 'function') ops[name] = exports[name];
    const layouts = scenario.layouts ?? (scenario.layout !== undefined ? [scenario.layout] : undefined);
    if (!layouts || layouts.length === 0) return { ok: false, error: 'the scenario needs a layout (e.g. "page*511,guard")' };
    const world = makeWorld({
      layouts,
      kernel: scenario.kernel ?? 'after',
      knobs: scenario.knobs,
      uffd: scenario.uffd,
      window: scenario.window,
      fail_alloc: scenario.fail_alloc,
      schedule: scenario.schedule,
      ops,
    });
    const before = world.layouts.map((l) => [...l]);
    const reads = watchScanReads(world as World);
    let report: Record<string, unknown>;
    try {
      report = runCollapse(world, { madvise: !!scenario.madvise });
    } finally {
      for (const r of reads) r.stop();
    }
    return {
      ok: true,
      report: plain(report) as Record<string, unknown>,
      before,
      after: afterKinds(engine, world),
      scanReads: reads.map((r) => r.slots),
      replaced: Object.keys(ops),
    };
  } catch (e) {
    return {
      ok: false,
      error: describeSafely(e, (v) => {
        const err = v as Error;
        return err && typeof err.message === 'string' ? `${err.name}: ${err.message}` : String(v);
      }),
    };
  }
}
