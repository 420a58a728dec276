/**
 * `npm run bench [-- name ...]` — runs the speed/size benches and compares each figure with its
 * budget (architecture doc "Budgets"). Prints `name  value  budget  ratio` lines and writes
 * bench/results.json. Budgets are checked here, never in timed tests.
 *
 * Adding a bench: create `bench/<name>.ts` exporting
 * `async function run(): Promise<BenchResult>` and add it to {@link BENCHES} below.
 * Exit status: 0 when every bench ran and met its budget, 1 otherwise.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

/** What one bench reports. */
export interface BenchResult {
  /** Short identifier, e.g. `engine-scan-512`. */
  name: string;
  /** The measured figure. */
  value: number;
  /** Unit of value and budget, e.g. `µs`, `ms`, `KB`, `score`. */
  unit: string;
  /** The budget. */
  budget: number;
  /** `lower` (default): value must be ≤ budget; `higher`: value must be ≥ budget (e.g. Lighthouse). */
  better?: 'lower' | 'higher';
  /** Extra figures worth keeping (p90, samples …). */
  details?: Record<string, unknown>;
}

/** A bench module: `name` is its file under bench/ (without .ts). */
interface BenchEntry {
  name: string;
  load: () => Promise<{ run: () => Promise<BenchResult | BenchResult[]> }>;
}

/** The benches, in the order they run. Add new ones here. */
export const BENCHES: BenchEntry[] = [
  { name: 'engine-scan', load: () => import('./engine-scan.ts') },
  // N: the whole `grade` process for one exercise (sandboxed child included).
  { name: 'grade-cli', load: () => import('./grade-cli.ts') },
  // Q: site benches. build-time builds the site once (timed); the others measure that build.
  { name: 'build-time', load: () => import('./build-time.ts') },
  { name: 'page-weight', load: () => import('./page-weight.ts') },
  { name: 'browser-timings', load: () => import('./browser-timings.ts') },
  { name: 'lighthouse', load: () => import('./lighthouse.ts') },
  // Issue 10: the whole `npm test` (typecheck, API check, unit + browser projects). Last: it is long.
  { name: 'suite', load: () => import('./suite.ts') },
];

interface Row extends BenchResult {
  ratio: number;
  ok: boolean;
}

function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  return Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 10 ? n.toFixed(1) : n.toFixed(2);
}

async function main(argv: string[]): Promise<number> {
  const wanted = argv.filter((a) => !a.startsWith('-'));
  const unknown = wanted.filter((w) => !BENCHES.some((b) => b.name === w));
  if (unknown.length) {
    process.stderr.write(`bench: unknown bench ${unknown.join(', ')}; known: ${BENCHES.map((b) => b.name).join(', ')}\n`);
    return 2;
  }
  const rows: Row[] = [];
  const errors: { name: string; error: string }[] = [];
  for (const b of BENCHES) {
    if (wanted.length && !wanted.includes(b.name)) continue;
    try {
      const mod = await b.load();
      const out = await mod.run();
      for (const r of Array.isArray(out) ? out : [out]) {
        const better = r.better ?? 'lower';
        const ratio = better === 'lower' ? r.value / r.budget : r.budget / r.value;
        const row: Row = { ...r, better, ratio, ok: ratio <= 1 };
        rows.push(row);
        process.stdout.write(
          `${row.name.padEnd(28)} ${`${fmt(row.value)} ${row.unit}`.padStart(12)}  ` +
            `${`${better === 'lower' ? '≤' : '≥'} ${fmt(row.budget)} ${row.unit}`.padStart(14)}  ` +
            `${row.ratio.toFixed(2).padStart(6)}${row.ok ? '' : '  OVER BUDGET'}\n`,
        );
      }
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      errors.push({ name: b.name, error: msg });
      process.stdout.write(`${b.name.padEnd(28)} ERROR: ${msg.split('\n')[0]}\n`);
    }
  }
  const file = fileURLToPath(new URL('./results.json', import.meta.url));
  const doc = {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    machine: { nproc: os.cpus().length, cpu: os.cpus()[0]?.model ?? 'unknown', loadavg: os.loadavg().map((x) => +x.toFixed(2)) },
    results: rows,
    errors,
  };
  writeFileSync(file, JSON.stringify(doc, null, 2) + '\n');
  process.stdout.write(`wrote bench/results.json (${rows.length} figure${rows.length === 1 ? '' : 's'}${errors.length ? `, ${errors.length} error(s)` : ''})\n`);
  return errors.length || rows.some((r) => !r.ok) ? 1 : 0;
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
