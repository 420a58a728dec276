import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { chromium } from 'playwright-core';
import { buildGraderPage, ROOT } from '/work/wt-realm/tests/grading/browser/build.ts';
const outDir = mkdtempSync(join(tmpdir(), 'grtry-'));
await buildGraderPage(outDir);
const server = createServer((req, res) => {
  const file = join(outDir, normalize(new URL(req.url ?? '/', 'http://x').pathname));
  if (!existsSync(file)) return void res.writeHead(404).end();
  res.writeHead(200, { 'content-type': extname(file) === '.html' ? 'text/html' : 'text/javascript' }).end(readFileSync(file));
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const port = (server.address() as any).port;
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
const page = await browser.newPage();
await page.goto(`http://127.0.0.1:${port}/tests/grading/browser/index.html`);
await page.waitForSelector('body[data-ready="1"]');
const code = readFileSync(join(ROOT, 'exercises/early-abort/solution.ts'), 'utf8');
const r = await page.evaluate(async ({ code }) => {
  const g = (window as any).grader;
  g.warmUp('early-abort');
  const out: string[] = [];
  for (const wait of [10000, 2000, 10000, 2000, 10000, 500, 10000]) {
    await new Promise((r) => setTimeout(r, wait));
    let first = 0; const t = performance.now();
    const res = await g.runExercise({ id: 'early-abort', code, onResult: (_r: any, i: number) => { if (i === 0) first = performance.now() - t; } });
    const sum = res.tests.reduce((a: number, x: any) => a + (x.durationMs ?? 0), 0);
    out.push(`wait ${wait}: total ${Math.round(performance.now() - t)} ms, first result ${Math.round(first)} ms, tests' own ${sum} ms, ${res.passed}/${res.total}`);
  }
  return out;
}, { code });
console.log(r.join('\n'));
await browser.close(); server.close();
