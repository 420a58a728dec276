/**
 * Bench: what a reader downloads before opening any editor, on the heaviest chapter page that
 * embeds an exercise: gzip JS + CSS (external files following static imports, and inline
 * <script>/<style>), measured from the build by S1's tests/browser/page-weight.ts.
 * Budget ≤ 50 KB (architecture.md "Budgets").
 */
import type { BenchResult } from './run.ts';
import { pageWeight } from '../tests/browser/page-weight.ts';
import { ensureBuild, exercisePages } from './site.ts';

export async function run(): Promise<BenchResult> {
  const { dir } = await ensureBuild();
  const pages = exercisePages(dir);
  if (pages.length === 0) throw new Error('no built page embeds an exercise');
  const weights = pages.map((p) => pageWeight(dir, p)).sort((a, b) => b.total - a.total);
  const top = weights[0]!;
  return {
    name: 'page-weight-gz',
    value: +(top.total / 1024).toFixed(1),
    unit: 'KB',
    budget: 50,
    details: {
      page: top.page,
      js_kb: +(top.js / 1024).toFixed(1),
      css_kb: +(top.css / 1024).toFixed(1),
      pages: Object.fromEntries(weights.map((w) => [w.page, +(w.total / 1024).toFixed(1)])),
    },
  };
}
