/**
 * The browser grading client in real Chromium: a throwaway page built with Vite (worker format
 * 'iife', as in astro.config.mjs), served from a temp dir, driven by playwright-core.
 * Checks: the reference solution passes, the starter fails, a syntax error comes back as
 * compileError, `while (true) {}` is a timeout and the NEXT test still runs, and the main-thread
 * chunk does not carry sucrase/chai/engine. Prints cold and warm run times (measured, not asserted).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGraderPage, ROOT } from './browser/build.ts';
import type { RunResult } from '../../src/grading/types.ts';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.json': 'application/json', '.css': 'text/css' };

let outDir = '';
let server: Server;
let browser: Browser;
let page: Page;
let base = '';

function serve(dir: string): Promise<Server> {
  return new Promise((resolve) => {
    const s = createServer((req, res) => {
      const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
      const file = join(dir, path);
      if (!file.startsWith(dir) || !existsSync(file)) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
    });
    s.listen(0, '127.0.0.1', () => resolve(s));
  });
}

const run = (id: string, code: string, timeoutMs?: number): Promise<RunResult & { wallMs: number }> =>
  page.evaluate(async ({ id, code, timeoutMs }) => {
    const g = (window as unknown as { grader: { runExercise: (o: object) => Promise<RunResult> } }).grader;
    const t0 = performance.now();
    const r = await g.runExercise({ id, code, timeoutMs });
    return { ...r, wallMs: performance.now() - t0 };
  }, { id, code, timeoutMs });

const source = (rel: string) => readFileSync(join(ROOT, rel), 'utf8');
// Any exercise with a solution works; pte-anatomy is the first one written.
const EX = ['pte-anatomy', 'uffd-wp', 'early-abort'].find((id) => existsSync(join(ROOT, 'exercises', id, 'exercise.json'))) ?? 'pte-anatomy';

describe.skipIf(!haveChromium)('browser grading client in Chromium', () => {
  beforeAll(async () => {
    outDir = mkdtempSync(join(tmpdir(), 'grader-page-'));
    await buildGraderPage(outDir);
    server = await serve(outDir);
    const addr = server.address();
    base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage();
    await page.goto(`${base}/tests/grading/browser/index.html`);
    await page.waitForSelector('body[data-ready="1"]');
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => (server ? server.close(r) : r(null)));
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  });

  it('keeps sucrase, chai and the engine out of the main-thread chunk', () => {
    const assets = readdirSync(join(outDir, 'assets'));
    const pageChunk = assets.find((f) => f.startsWith('page-'));
    const workerChunk = assets.find((f) => f.startsWith('worker-'));
    expect(pageChunk && workerChunk).toBeTruthy();
    const main = readFileSync(join(outDir, 'assets', pageChunk!), 'utf8');
    const worker = readFileSync(join(outDir, 'assets', workerChunk!), 'utf8');
    expect(main.length).toBeLessThan(20_000);
    expect(worker).toContain('Object.is equality'); // @vitest/expect is in the worker…
    expect(main).not.toContain('Object.is equality'); // …and not on the page
    expect(worker.startsWith('(function')).toBe(true); // a classic (IIFE) worker, not a module
  });

  it('passes the reference solution (cold run, no warm-up) and fails the starter (warm run)', async () => {
    const cold = await run(EX, source(`exercises/${EX}/solution.ts`));
    expect(cold.total).toBeGreaterThan(0);
    expect(cold.passed, JSON.stringify(cold.tests.find((t) => t.status !== 'passed'))).toBe(cold.total);
    const warm = await run(EX, source(`exercises/${EX}/starter.ts`));
    expect(warm.compileError).toBeUndefined();
    expect(warm.failed).toBeGreaterThan(0);
    const again = await run(EX, source(`exercises/${EX}/solution.ts`));
    expect(again.passed).toBe(again.total);
    console.log(`[grader] ${EX} in Chromium: cold ${cold.wallMs.toFixed(0)} ms, warm ${warm.wallMs.toFixed(0)} ms / ${again.wallMs.toFixed(0)} ms (${cold.total} tests)`);
  }, 60_000);

  it('reports a syntax error as compileError with line and column', async () => {
    const r = await run(EX, 'export function f() {\n  return 1 +;\n}\n');
    expect(r.compileError).toMatchObject({ line: 2, column: 13 });
    expect(r.tests).toEqual([]);
  }, 30_000);

  it('stops `while (true) {}` at the per-test limit, replaces the worker and runs the NEXT tests', async () => {
    const r = await page.evaluate(async (code) => {
      const g = (window as unknown as { grader: { runToy: (c: string, t: number) => Promise<RunResult> } }).grader;
      return g.runToy(code, 300);
    }, readFileSync(join(ROOT, 'tests/grading/fixtures/bad/infinite-loop.ts'), 'utf8'));
    expect(r.tests.map((t) => t.status)).toEqual(['timeout', 'timeout', 'passed', 'passed', 'passed']);
    expect(r.tests[0].message).toBe('stopped after 0.3 s — possibly an infinite loop');
    expect(r.durationMs).toBeLessThan(5_000);
  }, 60_000);

  it('captures console output, shows thrown strings and locates errors in the learner\'s code', async () => {
    const toy = (file: string) =>
      page.evaluate(async (code) => {
        const g = (window as unknown as { grader: { runToy: (c: string) => Promise<RunResult> } }).grader;
        return g.runToy(code);
      }, readFileSync(join(ROOT, 'tests/grading/fixtures/bad', file), 'utf8'));
    const chatty = await toy('chatty.ts');
    expect(chatty.passed).toBe(5);
    expect(chatty.tests[0].output?.length).toBeLessThanOrEqual(64 * 1024 + 200);
    expect(chatty.tests[0].output).toMatch(/output capped/);
    expect((await toy('throws-string.ts')).tests[0]).toMatchObject({ status: 'error', message: "threw a string: 'boom'" });
    expect((await toy('type-error.ts')).tests[0].message).toMatch(/^TypeError: .*\(at line 3 of your code\)$/);
    expect((await toy('tamper.ts')).loadError).toContain('your code changed `Object.is`');
    // fetch, WebSocket, indexedDB and importScripts are gone inside the runner (network.ts throws if any is reachable)
    const net = await toy('network.ts');
    expect(net.passed, JSON.stringify(net.tests.filter((t) => t.status !== 'passed'))).toBe(5);
  }, 60_000);

  it('answers an unknown exercise id with a load error instead of throwing', async () => {
    const r = await run('no-such-exercise', 'export const x = 1;');
    expect(r.loadError).toContain("unknown exercise 'no-such-exercise'");
  });
});
