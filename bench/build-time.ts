/**
 * Bench: `astro build` of the whole site on this machine (budget ≤ 90 s on 2 cores,
 * architecture.md "Budgets"). The build is the one the other site benches then measure.
 */
import type { BenchResult } from './run.ts';
import { ensureBuild, machine } from './site.ts';

export async function run(): Promise<BenchResult> {
  const { ms } = await ensureBuild();
  if (ms === null) throw new Error('COLLAPSE_LAB_BENCH_SKIP_BUILD=1: the build was reused, not timed');
  return { name: 'build-time', value: +(ms / 1000).toFixed(1), unit: 's', budget: 90, details: { ...machine(), command: 'astro build' } };
}
