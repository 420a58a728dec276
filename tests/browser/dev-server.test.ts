/**
 * The README's first command is `npm run dev`: "Run tests" must grade there too (issue 9, item 8:
 * dev mode served the grading worker as an ES module to a classic Worker — "Cannot use import
 * statement outside a module"). Starts `astro dev` on a free port, opens an exercise through the
 * dev server and runs its reference solution and its starter.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, exercise, exerciseMeta, launch, newPage, openEditor, readExerciseFile, setCode, waitExerciseReady } from './helpers.ts';
import { runTests } from './quality-helpers.ts';

const ID = 'early-abort';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

let dev: ChildProcess | null = null;
let base = '';
let browser: Browser;
const log: string[] = [];

beforeAll(async () => {
  const port = await freePort();
  // The dev server must not think it runs under Vitest (VITEST* variables change Vite's behaviour).
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^VITEST|^TEST$/.test(k)));
  dev = spawn(process.execPath, [path.join(ROOT, 'node_modules/astro/bin/astro.mjs'), 'dev', '--host', '127.0.0.1', '--port', String(port)], {
    cwd: ROOT,
    env: { ...env, ASTRO_TELEMETRY_DISABLED: '1', NODE_ENV: 'development' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  dev.stdout!.on('data', (d: Buffer) => log.push(d.toString()));
  dev.stderr!.on('data', (d: Buffer) => log.push(d.toString()));
  base = `http://127.0.0.1:${port}`;
  // Ready when the server answers (Astro prints its URL slightly before it listens).
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (dev.exitCode !== null) throw new Error(`astro dev exited (${dev.exitCode}):\n${log.join('')}`);
    try {
      const r = await fetch(`${base}/`);
      if (r.status < 500) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error(`astro dev did not answer in 3 min:\n${log.join('').slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  browser = await launch();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  if (dev && dev.exitCode === null) {
    dev.kill('SIGTERM');
    await new Promise((r) => dev!.once('exit', r));
  }
});

describe('npm run dev', () => {
  it('"Run tests" grades an exercise through the dev server (solution passes, starter fails)', async () => {
    const { context, page, errors } = await newPage(browser);
    // The dev server compiles on first request (and Vite may reload once after optimizing deps):
    // a longer wait than the built site's gotoExercise allows.
    await page.goto(`${base}/${exerciseMeta(ID).chapter}/`, { timeout: 120_000 });
    await waitExerciseReady(page, ID, 120_000);
    await openEditor(page, ID);
    await setCode(page, ID, readExerciseFile(ID, 'solution.ts'));
    const pass = await runTests(page, ID, 120_000);
    expect(pass.text).not.toMatch(/could not start|Cannot use import statement/);
    expect(pass.state, pass.text).toBe('passed');
    await setCode(page, ID, readExerciseFile(ID, 'starter.ts'));
    const fail = await runTests(page, ID, 120_000);
    expect(fail.state).toBe('failed');
    expect(fail.text).toMatch(/\d+ of \d+ tests passed/);
    expect(await exercise(page, ID).locator('[data-part="results"]').count()).toBe(1);
    expect(errors.filter((e) => /grader|runner|import statement/i.test(e))).toEqual([]);
    await context.close();
  }, 240_000);
});
