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
}

/** What a drawn run returns (plain data). */
export type DrawOutcome =
  | {
      ok: true;
      /** The collapse report fields (see the engine's CollapseReport), bigints as strings. */
      report: Record<string, unknown>;
      /** PTE kinds per PMD before the run (the layout expanded) and after it. */
      before: string[][];
      after: string[][];
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
      ops,
    });
    const before = world.layouts.map((l) => [...l]);
    const report = runCollapse(world, { madvise: !!scenario.madvise });
    return { ok: true, report: plain(report) as Record<string, unknown>, before, after: world.layouts.map((l) => [...l]), replaced: Object.keys(ops) };
  } catch (e) {
    const err = e as Error;
    return { ok: false, error: err && typeof err.message === 'string' ? `${err.name}: ${err.message}` : String(e) };
  }
}
