/**
 * Bench (npm run bench -- grade-browser): "Run tests" in Chromium through the browser client —
 * cold (first run on the page, no warm-up: fetch + parse the worker bundle) and warm (a runner
 * pre-started by the previous run, as after warmUp()). Budgets: cold ≤ 600 ms, warm ≤ 150 ms median.
 * Also reports the main-thread client chunk and the worker bundle sizes (gzip).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { buildGraderPage, ROOT } from '../../../tests/grading/browser/build.ts';

interface BenchResult {
  name: string;
  value: number;
  unit: string;
  budget: number;
  details?: Record<string, unknown>;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const EXERCISES = ['pte-anatomy', 'early-abort'];

export async function run(): Promise<BenchResult[]> {
  const outDir = mkdtempSync(join(tmpdir(), 'grade-bench-'));
  await buildGraderPage(outDir);
  const assets = readdirSync(join(outDir, 'assets'));
  const gz = (prefix: string) => {
    const f = assets.find((a) => a.startsWith(prefix));
    return f ? gzipSync(readFileSync(join(outDir, 'assets', f)), { level: 9 }).length / 1024 : NaN;
  };
  const server = createServer((req, res) => {
    const file = join(outDir, normalize(new URL(req.url ?? '/', 'http://x').pathname));
    if (!file.startsWith(outDir) || !existsSync(file)) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': extname(file) === '.html' ? 'text/html' : 'text/javascript' }).end(readFileSync(file));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const out: BenchResult[] = [];
  try {
    for (const id of EXERCISES) {
      if (!existsSync(join(ROOT, 'exercises', id, 'solution.ts'))) continue;
      const code = readFileSync(join(ROOT, 'exercises', id, 'solution.ts'), 'utf8');
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${port}/tests/grading/browser/index.html`);
      await page.waitForSelector('body[data-ready="1"]');
      const times = await page.evaluate(async ({ id, code }) => {
        const g = (window as unknown as { grader: { runExercise: (o: object) => Promise<{ passed: number; total: number }> } }).grader;
        const ms: number[] = [];
        for (let i = 0; i < 11; i++) {
          const t0 = performance.now();
          const r = await g.runExercise({ id, code });
          ms.push(performance.now() - t0);
          if (r.passed !== r.total) throw new Error(`${id}: solution did not pass (${r.passed}/${r.total})`);
          await new Promise((r) => setTimeout(r, 150)); // let the next runner start, as between clicks
        }
        return ms;
      }, { id, code });
      await page.close();
      const [cold, ...warm] = times;
      out.push({ name: `grade-browser-cold-${id}`, value: Math.round(cold), unit: 'ms', budget: 600 });
      out.push({ name: `grade-browser-warm-${id}`, value: Math.round(median(warm)), unit: 'ms', budget: 150, details: { runs: warm.map(Math.round) } });
    }
    out.push({ name: 'grade-client-main-gz', value: Math.round(gz('page-') * 10) / 10, unit: 'KB', budget: 10 });
    out.push({ name: 'grade-worker-gz', value: Math.round(gz('worker-') * 10) / 10, unit: 'KB', budget: 120 });
  } finally {
    await browser.close();
    server.close();
    rmSync(outDir, { recursive: true, force: true });
  }
  return out;
}
