/**
 * Bench: one 512-PTE `hpage_collapse_scan_pmd` (the patched kernel, "after") in Node.
 * Budget (architecture doc "Budgets"): ≤ 50 µs median.
 *
 * Only the scan is measured, never collapse: the layouts are chosen so the scan walks all 512
 * PTEs and then fails its final check (no young PTE → SCAN_LACK_REFERENCED_PAGE), so
 * `collapse_huge_page` is never called. The khugepaged thread holds the mmap read lock around
 * the loop, as khugepaged does. The call goes through the exported `hpage_collapse_scan_pmd`
 * (the world's ops with the engine's contract checks), i.e. what a test or the collapse path pays.
 *
 * Run alone: `npx node bench/engine-scan.ts` (prints JSON), or via `npm run bench`.
 */

/** Result shape shared with bench/run.ts. */
interface BenchResult {
  name: string;
  value: number;
  unit: string;
  budget: number;
  better?: 'lower' | 'higher';
  details?: Record<string, unknown>;
}

const WARMUP = 3000;
const SAMPLES = 3000;

/** Primary layout: 448 present (old) pages and 64 swap entries — both branches of the loop. */
const LAYOUTS = ['old*448,swap*64', 'old*512'];

type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any

async function loadEngine(): Promise<Any> {
  // Through the public module, like every other consumer (path kept in a variable so the bench
  // typechecks whatever stage the engine is at).
  const path = '../src/engine/index.ts';
  return import(path);
}

async function loadLockState(): Promise<Any> {
  const path = '../src/engine/lockstate.ts';
  return import(path);
}

function quantile(sorted: number[], q: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))));
  return sorted[i];
}

async function measure(E: Any, layout: string): Promise<{ median: number; p90: number; min: number; result: string }> {
  const world = E.makeWorld({ layout, kernel: 'after' });
  const mm = world.mm;
  const vma = world.vma;
  const cc = world.cc;
  if (cc) cc.is_khugepaged = true;
  const thread = E.getThread(world, 'khugepaged');
  // The collapsing thread is engine state (read-only on the world since hostile round 6): set it
  // through the engine-internal store, inside runAs (runAs refuses to switch during an attempt).
  const L = await loadLockState();
  const prevCollapse = world.collapseThread;
  const addr = mm.pmds[0].addr ?? vma.vm_start;
  const times: number[] = [];
  let result = -1;
  E.runAs(world, thread, () => {
    L.setCollapseThread(world, thread);
    E.mmap_read_lock(mm);
    const once = () => {
      const locked = { value: true };
      const r = E.hpage_collapse_scan_pmd(mm, vma, addr, locked, cc);
      if (!locked.value) throw new Error(`the scan of ${layout} called collapse (result ${E.scan_result_name(r)}): bench layout must fail the scan`);
      return r;
    };
    for (let i = 0; i < WARMUP; i++) {
      result = once();
      if ((i & 255) === 0) { world.trace.length = 0; }
    }
    for (let i = 0; i < SAMPLES; i++) {
      if ((i & 255) === 0) { world.trace.length = 0; }
      const t0 = performance.now();
      result = once();
      times.push(performance.now() - t0);
    }
    E.mmap_read_unlock(mm);
    L.setCollapseThread(world, prevCollapse);
  });
  if (world.bugs.length) throw new Error(`the scan reported bugs: ${world.bugs.map((b: Any) => b.message).join('; ')}`);
  times.sort((a, b) => a - b);
  return {
    median: quantile(times, 0.5) * 1000,
    p90: quantile(times, 0.9) * 1000,
    min: times[0] * 1000,
    result: E.scan_result_name(result),
  };
}

/** Median µs of one 512-PTE scan (plus p90 and the other layout in details). */
export async function run(): Promise<BenchResult> {
  const E = await loadEngine();
  const figures: Record<string, unknown> = {};
  let primary: { median: number; p90: number; min: number; result: string } | null = null;
  for (const layout of LAYOUTS) {
    const m = await measure(E, layout);
    figures[layout] = { median_us: +m.median.toFixed(2), p90_us: +m.p90.toFixed(2), min_us: +m.min.toFixed(2), result: m.result };
    primary ??= m;
  }
  return {
    name: 'engine-scan-512',
    value: +primary!.median.toFixed(2),
    unit: 'µs',
    budget: 50,
    details: { layout: LAYOUTS[0], p90_us: +primary!.p90.toFixed(2), samples: SAMPLES, warmup: WARMUP, kernel: 'after', figures },
  };
}

if ((process.argv[1] ?? '').endsWith('engine-scan.ts')) {
  run().then(
    (r) => process.stdout.write(JSON.stringify(r, null, 2) + '\n'),
    (e: unknown) => {
      process.stderr.write(`engine-scan: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
