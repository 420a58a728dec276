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
import { CHROMIUM_LAUNCH } from '../browser/chromium.ts';
import { buildGraderPage, ROOT } from './browser/build.ts';
import { ARMED_TESTS, armed } from './fixtures/armed.ts';
import type { RunResult } from '../../src/grading/types.ts';
import { report } from './realm/report.ts';
import { ESCAPE_PROBE, LEAK_PROBE, NET_PROBE, patchProbe } from './realm/probes.ts';

/**
 * Raw worker script started through the runner host (no runtime, no stubs): what the host's CSP
 * and opaque origin alone let a worker do. ORIGIN / WSBASE are filled in by the test.
 */
const HOST_PROBE = String.raw`
const report = {};
const tries = [];
const attempt = (name, f) => tries.push((async () => {
  try {
    const v = await Promise.race([f(), new Promise((_, rej) => setTimeout(() => rej(new Error('no answer in 3 s')), 3000))]);
    report[name] = 'ALLOWED ' + String(v).slice(0, 60);
  } catch (e) {
    report[name] = 'blocked: ' + String((e && e.message) || e).slice(0, 100);
  }
})());
const onErr = (rej, what) => (e) => { if (e && e.preventDefault) e.preventDefault(); rej(new Error(what)); };
self.onmessage = (e) => {
  const port = e.ports[0];
  attempt('eval (ses needs it)', async () => { throw new Error('(expected) eval works: ' + (0, eval)('6 * 7')); });
  attempt('fetch', () => fetch(ORIGIN + '/leak?fetch').then((r) => r.status));
  attempt('fetch another origin', () => fetch('http://127.0.0.1:9/leak?fetch').then((r) => r.status));
  attempt('XMLHttpRequest', () => new Promise((res, rej) => { const x = new XMLHttpRequest(); x.onload = () => res(x.status); x.onerror = onErr(rej, 'xhr error'); x.open('GET', ORIGIN + '/leak?xhr'); x.send(); }));
  attempt('WebSocket', () => new Promise((res, rej) => { const w = new WebSocket(WSBASE + '/leak?ws'); w.onopen = () => res('open'); w.onerror = onErr(rej, 'ws error'); }));
  attempt('WebSocketStream', () => typeof WebSocketStream === 'undefined' ? Promise.reject(new Error('absent')) : new WebSocketStream(WSBASE + '/leak?wss').opened.then(() => 'open'));
  attempt('WebTransport', () => typeof WebTransport === 'undefined' ? Promise.reject(new Error('absent')) : new WebTransport('https://127.0.0.1:9/leak').ready.then(() => 'ready'));
  attempt('EventSource', () => new Promise((res, rej) => { const s = new EventSource(ORIGIN + '/leak?sse'); s.onopen = () => res('open'); s.onerror = (ev) => { s.close(); onErr(rej, 'sse error')(ev); }; }));
  attempt('importScripts', async () => { importScripts(ORIGIN + '/leak.js'); return 'loaded'; });
  attempt('dynamic import of an http URL', () => (0, eval)('imp' + 'ort(' + JSON.stringify(ORIGIN + '/leak.mjs') + ')'));
  attempt('dynamic import of a data: URL', () => (0, eval)('imp' + 'ort("data:text/javascript,export default 1")'));
  attempt('nested Worker from the server', () => new Promise((res, rej) => { const w = new Worker(ORIGIN + '/leak-worker.js'); w.onmessage = () => res('ran'); w.onerror = onErr(rej, 'worker error'); }));
  attempt('indexedDB', () => new Promise((res, rej) => { const r = indexedDB.open('leak'); r.onsuccess = () => res('opened'); r.onerror = () => rej(r.error); }));
  attempt('caches', () => caches.open('leak').then(() => 'opened'));
  attempt('navigator.storage (OPFS)', () => navigator.storage.getDirectory().then(() => 'opened'));
  attempt('navigator.storage.persist', () => navigator.storage.persist().then((x) => { if (!x) throw new Error('refused'); return x; }));
  Promise.all(tries).then(() => port.postMessage(report));
};
`;

const haveChromium = existsSync(CHROMIUM_LAUNCH.executablePath!);
const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.json': 'application/json', '.css': 'text/css' };

let outDir = '';
/** Every path the static server was asked for (to prove nothing reached it from the runner). */
const requested: string[] = [];
let server: Server;
let browser: Browser;
let page: Page;
let base = '';

function serve(dir: string): Promise<Server> {
  return new Promise((resolve) => {
    const s = createServer((req, res) => {
      requested.push(req.url ?? '');
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
    browser = await chromium.launch(CHROMIUM_LAUNCH);
    page = await browser.newPage();
    await page.goto(`${base}/tests/grading/browser/index.html`);
    await page.waitForSelector('body[data-ready="1"]');
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => (server ? server.close(r) : r(null)));
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  });

  it('keeps sucrase, chai and the engine out of the main-thread chunk; the worker is one classic script with ses', () => {
    const assets = readdirSync(join(outDir, 'assets'));
    const pageChunk = assets.find((f) => f.startsWith('page-'));
    const workerChunk = assets.find((f) => f.startsWith('grader-worker-') && f.endsWith('.js'));
    const hostPage = assets.find((f) => f.startsWith('grader-runner-') && f.endsWith('.html'));
    expect(pageChunk && workerChunk && hostPage).toBeTruthy();
    const main = readFileSync(join(outDir, 'assets', pageChunk!), 'utf8');
    const worker = readFileSync(join(outDir, 'assets', workerChunk!), 'utf8');
    expect(main.length).toBeLessThan(23_000); // the test page and the client; sucrase alone would be ~200 KB
    // The exercises' test files also ship compiled (vite-plugin.ts COMPILED_TEST_QUERY): sucrase's
    // output of early-abort's file, whose raw text imports from 'vitest' instead.
    const compiledChunk = assets.filter((f) => f.endsWith('.js')).map((f) => readFileSync(join(outDir, 'assets', f), 'utf8')).find((t) => t.includes("require('vitest')") && t.includes('matches the patched kernel'));
    expect(compiledChunk, 'no compiled early-abort test chunk in the build').toBeTruthy();
    expect(worker).toContain('Object.is equality'); // @vitest/expect is in the worker…
    expect(main).not.toContain('Object.is equality'); // …and not on the page
    expect(worker).toMatch(/SES_IMPORT_REJECTED/); // ses (lockdown, Compartment) is in the worker
    expect(worker).toMatch(/^("use strict";)?\(\(\)=>\{/); // one IIFE…
    expect(() => new Function(worker)).not.toThrow(); // …that parses as a classic script (module syntax would not: dev mode served modules)
  });

  it('the runner host page carries its own CSP meta: no connections, no script URLs, eval for ses, its script hashed', async () => {
    const assets = readdirSync(join(outDir, 'assets'));
    const html = readFileSync(join(outDir, 'assets', assets.find((f) => f.startsWith('grader-runner-'))!), 'utf8');
    const meta = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html);
    expect(meta).not.toBeNull();
    expect(html.indexOf(meta![0])).toBeLessThan(html.indexOf('<script'));
    const d = new Map(meta![1]!.split(';').map((x) => x.trim().split(/\s+/)).map(([k, ...v]) => [k!, v.join(' ')]));
    expect(d.get('default-src')).toBe("'none'");
    expect(d.get('connect-src')).toBe("'none'");
    expect(d.get('worker-src')).toBe('blob:');
    const script = /<script>([\s\S]*)<\/script>/.exec(html)![1]!;
    const { createHash } = await import('node:crypto');
    expect(d.get('script-src')).toBe(`'sha256-${createHash('sha256').update(script).digest('base64')}' 'unsafe-eval'`);
  });

  it('a worker started by the host cannot reach the network, storage, OPFS or script URLs — on a server sending no CSP header', async () => {
    const origin = base;
    const probe = HOST_PROBE.replaceAll('ORIGIN', JSON.stringify(origin)).replaceAll('WSBASE', JSON.stringify(origin.replace('http', 'ws')));
    const before = requested.length;
    const got = (await page.evaluate((src) => (window as unknown as { grader: { probeHost: (s: string) => Promise<unknown> } }).grader.probeHost(src), probe)) as Record<string, string>;
    expect(Object.keys(got).length).toBeGreaterThanOrEqual(15);
    expect(Object.entries(got).filter(([, v]) => !v.startsWith('blocked')), JSON.stringify(got, null, 1)).toEqual([]);
    expect(got['eval (ses needs it)']).toBe('blocked: (expected) eval works: 42');
    await page.waitForTimeout(300);
    expect(requested.slice(before).filter((u) => u.includes('leak'))).toEqual([]);
  }, 60_000);

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
    expect(r.tests[1].message).toBe('stopped after 0.3 s — possibly an infinite loop');
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
    expect((await toy('tamper.ts')).loadError).toContain('your code tried to change `Object.is`');
    // fetch, WebSocket, indexedDB and importScripts are gone inside the runner (network.ts throws if any is reachable)
    const net = await toy('network.ts');
    expect(net.passed, JSON.stringify(net.tests.filter((t) => t.status !== 'passed'))).toBe(5);
  }, 60_000);

  it('errors from timers and unawaited promises count against the test that caused them', async () => {
    const r = (await page.evaluate(async (code) => (window as unknown as { grader: { runToy: (c: string) => Promise<RunResult> } }).grader.runToy(code), readFileSync(join(ROOT, 'tests/grading/fixtures/bad/stray-timer.ts'), 'utf8'))) as RunResult;
    // count_present starts a throwing 0 ms timer on every call; first_absent leaves a rejected promise
    expect(r.tests.map((t) => t.status)).toEqual(['error', 'error', 'error', 'error', 'error']);
    for (const t of r.tests.slice(0, 2)) expect(t.message).toMatch(/late failure from a timer/);
    for (const t of r.tests.slice(2)) expect(t.message).toMatch(/nobody awaits this/);
  }, 60_000);

  describe('hostile learner code (the realm catalogue, same probes as the Node tests)', () => {
    const toySolution = readFileSync(join(ROOT, 'tests/grading/fixtures/toy-sum/solution.ts'), 'utf8');
    const toyStarter = readFileSync(join(ROOT, 'tests/grading/fixtures/toy-sum/starter.ts'), 'utf8');
    // A generous per-test limit: the patch probe makes thousands of (failing) writes, slow on a loaded machine.
    const runToy = (code: string) => page.evaluate(async (c) => (window as unknown as { grader: { runToy: (c: string, t: number) => Promise<RunResult> } }).grader.runToy(c, 10_000), code) as Promise<RunResult>;
    const verdict = (r: RunResult) => r.tests.map((t) => `${t.name}: ${t.status}`);

    it('no run-time-built eval / Function / import() reaches the worker global, a module or the network', async () => {
      const before = requested.length;
      const r = await runToy(`${toySolution}\n${ESCAPE_PROBE}`);
      const got = report<Record<string, string>>(r);
      expect(Object.keys(got).length).toBeGreaterThanOrEqual(30);
      expect(Object.entries(got).filter(([, v]) => !(v === 'confined' || v.startsWith('blocked'))), JSON.stringify(got, null, 1)).toEqual([]);
      expect(r.passed).toBe(r.total);
      await page.waitForTimeout(200);
      expect(requested.slice(before).filter((u) => /escape|leak/.test(u))).toEqual([]);
    }, 60_000);

    it('nothing reachable is expect, the nonce, the port, postMessage or the worker global', async () => {
      const got = report<{ found: string[]; nodes: number }>(await runToy(`${toySolution}\n${LEAK_PROBE}`));
      expect(got.nodes).toBeGreaterThan(200);
      expect(got.found).toEqual([]);
    }, 60_000);

    it('self-restoring patches of built-ins and engine exports do not stick and do not change the starter\'s verdict', async () => {
      const honest = verdict(await runToy(toyStarter));
      for (const when of ['load', 'test'] as const) {
        const r = await runToy(`${toyStarter}\n${patchProbe('count_present', when)}`);
        const got = report<{ stuck: string[]; tried: number }>(r);
        expect(got.tried).toBeGreaterThan(500);
        expect(got.stuck, when).toEqual([]);
        expect(verdict(r), when).toEqual(honest);
      }
    }, 60_000);

    it('network, storage, OPFS and worker APIs are absent or blocked', async () => {
      const got = report<Record<string, string>>(await runToy(`${toySolution}\n${NET_PROBE}`));
      expect(Object.keys(got).length).toBeGreaterThanOrEqual(17);
      expect(Object.entries(got).filter(([, v]) => v === 'AVAILABLE')).toEqual([]);
    }, 60_000);
  });

  it('"Draw my run": the learner\'s scan on a scenario, in the sealed runner; an endless loop is stopped', async () => {
    const draw = (code: string, scenario: object, timeoutMs?: number) =>
      page.evaluate(
        ({ code, scenario, timeoutMs }) => (window as unknown as { grader: { drawMyRun: (o: object) => Promise<Record<string, unknown>> } }).grader.drawMyRun({ code, scenario, timeoutMs }),
        { code, scenario, timeoutMs },
      ) as Promise<{ ok: boolean; error?: string; report?: Record<string, unknown>; before?: string[][]; after?: string[][] }>;
    const scenario = { layout: 'migration,page*511' };
    const mine = await draw(source('exercises/early-abort/starter.ts'), scenario);
    const patched = await draw(source('exercises/early-abort/solution.ts'), scenario);
    expect(mine.ok && patched.ok, JSON.stringify([mine.error, patched.error])).toBe(true);
    expect(patched.report!.scan_result).toBe('SCAN_PTE_NON_PRESENT');
    expect(mine.report!.scan_result).toBe('SCAN_SUCCEED');
    expect(mine.before![0]).toHaveLength(512);
    const loop = await draw('export function hpage_collapse_scan_pmd(): number { for (;;) {} }', { layout: 'page*512' }, 300);
    expect(loop).toMatchObject({ ok: false });
    expect(loop.error).toMatch(/stopped after 0.3 s/);
    // and the runner still works afterwards
    expect((await draw(source('exercises/early-abort/solution.ts'), scenario)).ok).toBe(true);
  }, 60_000);

  it('function source is not readable from learner code by any route (the reference kernels on world.ops included)', async () => {
    // swapin-guard's own answer, wrapped: on its first call it prints what every route gives for
    // the reference scan on mm.world.ops (early-abort's answer), an engine export and its own function.
    const sol = source('exercises/swapin-guard/solution.ts');
    const renamed = sol.replace(/export function __collapse_huge_page_swapin\b/, 'function real_swapin');
    expect(renamed).not.toBe(sol);
    const code = `${renamed}
import { pte_present as probe_engine_fn } from 'collapse-lab/engine';
let probed = false;
export function __collapse_huge_page_swapin(...a: any[]): any {
  if (!probed) {
    probed = true;
    const targets: Record<string, any> = { 'world.ops scan': a[0].world.ops.hpage_collapse_scan_pmd, 'engine export': probe_engine_fn, 'own function': real_swapin };
    const routes: Record<string, (f: any) => string> = {
      'String(f)': (f) => String(f),
      "f + ''": (f) => f + '',
      'template': (f) => \`\${f}\`,
      'Function.prototype.toString.call': (f) => Function.prototype.toString.call(f),
      'Reflect.apply': (f) => Reflect.apply(Function.prototype.toString, f, []),
      'f.toString()': (f) => f.toString(),
      'bound toString': (f) => Function.prototype.toString.bind(f)(),
    };
    const out: Record<string, string> = {};
    for (const [t, f] of Object.entries(targets)) for (const [r, get] of Object.entries(routes)) {
      try { out[t + ' / ' + r] = get(f); } catch (e) { out[t + ' / ' + r] = 'threw ' + String(e); }
    }
    console.log('REPORT ' + JSON.stringify(out));
  }
  return (real_swapin as any)(...a);
}
`;
    const r = await run('swapin-guard', code);
    expect(r.loadError, JSON.stringify(r).slice(0, 1500)).toBeUndefined();
    const got = report<Record<string, string>>(r);
    expect(Object.keys(got)).toHaveLength(21);
    const shown = Object.entries(got).filter(([, v]) => !/^function [\w$]*\(\) \{ \[native code\] \}$/.test(v));
    expect(shown, JSON.stringify(got, null, 1)).toEqual([]);
    // The names still show (error messages and inspectors use them).
    expect(got['own function / String(f)']).toBe('function real_swapin() { [native code] }');
    // The wrapped answer still grades as the answer.
    expect(r.passed, JSON.stringify(r.tests.filter((t) => t.status !== 'passed')).slice(0, 1500)).toBe(r.total);
  }, 120_000);

  it('a spare primes itself with the starter once no run is in flight; primed runs give the unprimed results; a click stops priming', async () => {
    const got = await page.evaluate(
      async ({ id, starter, solution }) => {
        type Primed = { ran: number; total: number; stopped: boolean };
        const g = (window as unknown as {
          grader: {
            runExercise: (o: object) => Promise<RunResult>;
            warmUp: (id: string) => void;
            primingLog: Primed[];
            runnerTuning: { prime: boolean; primeAfterRunMs: number; spares: number };
            poolState: () => { ready: boolean; primed: boolean; priming: boolean }[];
          };
        }).grader;
        const plain = (r: RunResult) => JSON.stringify({ ...r, durationMs: 0, tests: r.tests.map((t) => ({ ...t, durationMs: 0 })) });
        const run = async (code: string) => plain(await g.runExercise({ id, code }));
        const primedOnce = async (): Promise<Primed | null> => {
          for (let i = 0; i < 1200; i++) {
            const last = g.primingLog.at(-1);
            if (last && !last.stopped) return last;
            await new Promise((r) => setTimeout(r, 50));
          }
          return null;
        };
        // One spare at a time, so which runner a click takes is known.
        const spares = g.runnerTuning.spares;
        g.runnerTuning.spares = 1;
        // Unprimed: every spare from here on starts without priming.
        g.runnerTuning.prime = false;
        await run(starter); // uses up spares that may have been primed
        await run(starter);
        const unprimed = { starter: await run(starter), solution: await run(solution) };
        // Primed: the spare started when the last run ended primes once it is ready.
        g.runnerTuning.prime = true;
        await run(starter);
        g.primingLog.length = 0;
        const primedA = await primedOnce();
        const starterPrimed = await run(starter);
        g.primingLog.length = 0;
        const primedB = await primedOnce();
        const solutionPrimed = await run(solution);
        // A click while the spare primes: its 'load' stops priming at the next test.
        g.primingLog.length = 0;
        let sawPriming = false;
        for (let i = 0; i < 30_000 && !sawPriming; i++) {
          sawPriming = g.poolState()[0]?.priming === true;
          if (!sawPriming) await new Promise((r) => setTimeout(r, 1));
        }
        const clicked = await run(solution);
        g.runnerTuning.spares = spares;
        return { unprimed, starterPrimed, solutionPrimed, clicked, sawPriming, primedA, primedB, log: g.primingLog.slice() };
      },
      { id: EX, starter: source(`exercises/${EX}/starter.ts`), solution: source(`exercises/${EX}/solution.ts`) },
    );
    for (const p of [got.primedA, got.primedB]) {
      expect(p).not.toBeNull();
      expect(p!.total).toBeGreaterThan(0);
      expect(p!.ran).toBe(p!.total);
    }
    expect(got.starterPrimed).toBe(got.unprimed.starter);
    expect(got.solutionPrimed).toBe(got.unprimed.solution);
    expect(got.clicked).toBe(got.unprimed.solution);
    // the click landed while the spare was priming: priming stopped before its last test
    expect(got.sawPriming).toBe(true);
    expect(got.log.length).toBeGreaterThan(0);
    expect(got.log[0]!.stopped).toBe(true);
    expect(got.log[0]!.ran).toBeLessThan(got.log[0]!.total || 1);
  }, 180_000);

  it('keeps a pool of two ready, primed spares; refills it after a run while one is left, and beside the run that takes the last', async () => {
    const got = await page.evaluate(
      async ({ id, starter }) => {
        type Pool = { ready: boolean; primed: boolean; priming: boolean; shared: boolean }[];
        const g = (window as unknown as {
          grader: { runExercise: (o: object) => Promise<RunResult>; runnerTuning: { spares: number; prime: boolean }; poolState: () => Pool };
        }).grader;
        g.runnerTuning.spares = 2;
        g.runnerTuning.prime = true;
        const settled = async (): Promise<Pool> => {
          for (let i = 0; i < 1200; i++) {
            const p = g.poolState();
            if (p.length === 2 && p.every((s) => s.ready && s.primed && !s.priming)) return p;
            await new Promise((r) => setTimeout(r, 50));
          }
          return g.poolState();
        };
        // What the pool holds while a run is in flight (seen at its first result).
        const during = async (): Promise<{ pool: Pool; passed: number }> => {
          let pool: Pool | null = null;
          const r = await g.runExercise({ id, code: starter, onResult: () => void (pool ??= g.poolState()) });
          return { pool: pool ?? [], passed: r.passed };
        };
        await g.runExercise({ id, code: starter });
        await g.runExercise({ id, code: starter }); // (the second spare comes after the page's second run)
        const idle = await settled();
        const first = await during(); // takes one of two: the other is left, nothing starts beside it
        const second = await during(); // right after: takes the one left, the next starts beside it
        const after = await settled();
        return { idle, first, second, after };
      },
      // early-abort: its tests run the patched kernel through `simulate`, whose reports spares share.
      { id: 'early-abort', starter: source('exercises/early-abort/starter.ts') },
    );
    expect(got.idle).toMatchObject([
      { ready: true, primed: true, priming: false },
      { ready: true, primed: true, priming: false },
    ]);
    expect(got.first.pool).toMatchObject([{ ready: true, primed: true, priming: false }]);
    expect(got.second.pool).toHaveLength(1);
    expect(got.second.pool[0]!.primed).toBe(false);
    // It cannot prime before a back-to-back click, but it has the reports a priming pass shared.
    expect(got.second.pool[0]!.shared).toBe(true);
    expect(got.first.passed).toBe(got.second.passed);
    const state = (pool: typeof got.idle) => pool.map(({ ready, primed, priming }) => ({ ready, primed, priming }));
    expect(state(got.after)).toEqual(state(got.idle));
    // Spares started after a priming pass finished are prepared with its reports.
    expect(got.after.every((s) => s.shared)).toBe(true);
  }, 180_000);

  describe('late diffs: the verdict first, the failures\' diffs after the last result (hostile cases too)', () => {
    type LateSeen = { result: RunResult; diffs: { index: number; name: string; message: string }[] | null; events: string[]; log: string[] };
    const runLate = (opts: { id: string; code: string; exports?: string[]; tests?: { file: string; source: string }[]; timeoutMs?: number; giveUpMs?: number; thenRun?: { id: string; code: string } }) =>
      page.evaluate((o) => (window as unknown as { grader: { runLate: (o: object) => Promise<LateSeen> } }).grader.runLate(o), opts);
    // The armed fixture (tests/grading/fixtures/armed.ts): a getter that misbehaves only when the late diff walks it.

    it('early-abort\'s starter: messages alone in the verdict, then one call with the diffs that make them the inline messages', async () => {
      const starter = source('exercises/early-abort/starter.ts');
      // Without onDiffs the diffs are in the messages, as before (and as the Node grader has them).
      const inline = await run('early-abort', starter);
      const late = await runLate({ id: 'early-abort', code: starter });
      const r = late.result;
      expect(r.tests.map((t) => `${t.name}: ${t.status}`)).toEqual(inline.tests.map((t) => `${t.name}: ${t.status}`));
      const withDiff = inline.tests.filter((t) => t.message.includes('\n\n- Expected'));
      expect(withDiff.length).toBeGreaterThan(10);
      expect(r.tests.filter((t) => t.message.includes('- Expected'))).toEqual([]);
      const completed = r.tests.map((t) => t.message);
      for (const d of late.diffs ?? []) completed[d.index] = d.message;
      expect(completed).toEqual(inline.tests.map((t) => t.message));
      // Order: every streamed result, the verdict, then the diffs (once).
      expect(late.events).toEqual([...r.tests.map(() => 'result'), 'verdict', 'diffs']);
      expect(late.log.at(-1)).toBe('delivered');
    }, 60_000);

    it('a diff whose formatting throws is dropped; one that loops is cut off and its runner ended; the verdict stands', async () => {
      const threw = await runLate({ id: 'armed', exports: ['make', 'arm'], tests: ARMED_TESTS, code: armed("throw new Error('not now');") });
      expect(threw.result.tests.map((t) => t.status)).toEqual(['failed', 'failed', 'passed']);
      expect(threw.diffs?.map((d) => d.name)).toEqual(['plain']);
      expect(threw.diffs?.[0]!.message).toContain('- Expected');
      const looped = await runLate({ id: 'armed', exports: ['make', 'arm'], tests: ARMED_TESTS, code: armed('for (;;) {}'), timeoutMs: 300 });
      expect(looped.result.tests.map((t) => t.status)).toEqual(['failed', 'failed', 'passed']);
      expect(looped.events).toEqual(['result', 'result', 'result', 'verdict', 'diffs']);
      expect(looped.diffs).toEqual([]);
      // 'timeout': the bounded wait ended and the runner was terminated (orchestrate awaitDiffs)
      expect(looped.log.at(-1)).toBe('timeout');
      // the page's next run is unaffected
      const after = await run(EX, source(`exercises/${EX}/solution.ts`));
      expect(after.passed).toBe(after.total);
    }, 60_000);

    it('a new run ends the previous run\'s runner while it still formats: no diffs from it, the new run is right', async () => {
      const seen = await runLate({
        id: 'armed',
        exports: ['make', 'arm'],
        tests: ARMED_TESTS,
        code: armed('for (;;) {}'),
        timeoutMs: 20_000,
        giveUpMs: 1_000,
        thenRun: { id: EX, code: source(`exercises/${EX}/solution.ts`) },
      });
      expect(seen.result.tests.map((t) => t.status)).toEqual(['failed', 'failed', 'passed']);
      expect(seen.diffs).toBeNull();
      expect(seen.events).toEqual(['result', 'result', 'result', 'verdict', 'next run']);
      expect(seen.log).toContain('aborted');
    }, 60_000);
  });

  it('answers an unknown exercise id with a load error instead of throwing', async () => {
    const r = await run('no-such-exercise', 'export const x = 1;');
    expect(r.loadError).toContain("unknown exercise 'no-such-exercise'");
  });
});
