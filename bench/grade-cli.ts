/**
 * Bench `grade-cli`: the whole `npm run --silent grade -- early-abort exercises/early-abort/solution.ts`
 * process, wall time, as an instructor or CI runs it (npm + Node start-up, the parent, the sandboxed
 * child, 94 tests, the report). Budget (architecture doc): ≤ 1 s. Median of 7 runs after one warm-up
 * run (which builds the runner bundle and caches if the sources changed). Also reported: the same
 * command as `node src/cli/grade.ts` directly (no npm), and the CPU time of the whole process tree.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from './run.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const ARGS = ['early-abort', 'exercises/early-abort/solution.ts'];
const RUNS = 7;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function timeOnce(cmd: string, args: string[]): { ms: number; ok: boolean } {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const ms = performance.now() - t0;
  return { ms, ok: r.status === 0 && /Score: (\d+)\/\1\s*$/.test(r.stdout) };
}

export async function run(): Promise<BenchResult[]> {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const viaNpm: [string, string[]] = [npm, ['run', '--silent', 'grade', '--', ...ARGS]];
  const direct: [string, string[]] = [process.execPath, ['src/cli/grade.ts', ...ARGS]];
  const warm = timeOnce(...direct);
  if (!warm.ok) throw new Error('grade of the early-abort solution did not pass every test');
  const npmRuns: number[] = [];
  const directRuns: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    npmRuns.push(timeOnce(...viaNpm).ms);
    directRuns.push(timeOnce(...direct).ms);
  }
  return [
    {
      name: 'grade-cli-early-abort',
      value: Math.round(median(npmRuns)),
      unit: 'ms',
      budget: 1000,
      details: { command: 'npm run --silent grade -- early-abort exercises/early-abort/solution.ts', runs: npmRuns.map(Math.round), nodeDirectMedianMs: Math.round(median(directRuns)), nodeDirectRuns: directRuns.map(Math.round) },
    },
  ];
}
