/**
 * Quality gate: the whole course offline after a first visit (helper Q, issue 6 item 3; issue 14).
 * A private copy of the built site is served on its own port per test, so "offline" is real: the
 * server is closed AND the context is set offline. The service worker (dist/sw.js, built with
 * Workbox from src/offline/sw.js) precaches every page, bundle, worker and the search index.
 * The service worker is skipped under automation unless opted in (public/sw-register.js); these
 * tests opt in.
 */
import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { AddressInfo } from 'node:net';
import type http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { serveStatic } from './global-setup.ts';
import { distDir, exercise, exerciseMeta, launch, newPage, openEditor, readExerciseFile, screenshot, setCode, waitExerciseReady } from './helpers.ts';
import { runTests } from './quality-helpers.ts';

let browser: Browser;
let server: http.Server | null = null;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});
afterEach(async () => {
  await stopServer();
});

async function startServer(): Promise<string> {
  server = await serveStatic(distDir());
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function stopServer(): Promise<void> {
  const s = server;
  server = null;
  if (!s) return;
  s.closeAllConnections();
  await new Promise((r) => s.close(r));
}

/** Offline for real: the server is gone and the browser is offline; a fresh request fails. */
async function goOffline(context: BrowserContext, page: Page): Promise<void> {
  await stopServer();
  await context.setOffline(true);
  const failed = await page.evaluate(() => fetch('/no-such-file-' + Date.now()).then((r) => r.status, (e) => String(e)));
  expect(failed).not.toBe(200);
}

async function optIn(context: BrowserContext): Promise<void> {
  // Init scripts run in every frame, the runner's sandboxed host too: its opaque origin has no
  // localStorage (reading it throws), and it needs no opt-in.
  await context.addInitScript(() => {
    if (window.origin !== 'null') localStorage.setItem('collapse-lab:sw', 'on');
  });
}

/** The number of files the build's precache manifest lists (read from dist/sw.js). */
function manifestSize(): number {
  const sw = fs.readFileSync(path.join(distDir(), 'sw.js'), 'utf8');
  return (sw.match(/"url":"/g) ?? []).length;
}

describe('offline', () => {
  it('after a first visit, the chapter reloads offline and its exercise opens and runs', async () => {
    const base = await startServer();
    const ID = 'early-abort';
    const { context, page } = await newPage(browser);
    await optIn(context);
    await page.goto(`${base}/${exerciseMeta(ID).chapter}/`);
    await page.waitForFunction(() => navigator.serviceWorker?.controller != null, undefined, { timeout: 60_000, polling: 200 });
    await openEditor(page, ID);
    await setCode(page, ID, readExerciseFile(ID, 'solution.ts'));
    expect((await runTests(page, ID)).state).toBe('passed');
    // the page, the editor and the runner chunks are in the cache
    await page.waitForFunction(
      async () => {
        const urls: string[] = [];
        for (const n of await caches.keys()) for (const r of await (await caches.open(n)).keys()) urls.push(new URL(r.url).pathname);
        return urls.some((u) => /editor\.api/.test(u)) && urls.some((u) => /worker/.test(u)) && urls.some((u) => /\/04-the-scan\/(index\.html)?$/.test(u));
      },
      undefined,
      { timeout: 60_000, polling: 500 },
    );

    await goOffline(context, page);
    await page.reload();
    await waitExerciseReady(page, ID, 30_000);
    expect(await page.locator('main h1').innerText()).toMatch(/scan/i);
    await openEditor(page, ID);
    expect(await exercise(page, ID).getAttribute('data-editor')).toBe('monaco');
    await setCode(page, ID, readExerciseFile(ID, 'starter.ts'));
    const r = await runTests(page, ID);
    expect(r.state).toBe('failed');
    expect(r.text).toMatch(/\d+ of \d+ tests passed/);
    // a page never visited opens too (the whole course is precached) …
    await page.goto(`${base}/appendix/glossary/`);
    expect(await page.locator('main h1').innerText()).toMatch(/glossary/i);
    // … and an address that is not part of the course says so plainly
    await page.goto(`${base}/no-such-page/`).catch(() => undefined);
    expect(await page.locator('body').innerText()).toMatch(/You are offline/);
    await context.close();
  });

  it('after visiting only the welcome page: "available offline ✓", then offline an unvisited chapter opens, its exercise runs, and search works', async () => {
    const base = await startServer();
    const ID = 'swapin-guard';
    const chapter = exerciseMeta(ID).chapter;
    const { context, page, errors } = await newPage(browser);
    await optIn(context);
    await page.goto(`${base}/`);
    // registered when the browser is idle after load; installing precaches the whole course
    await page.waitForFunction(() => navigator.serviceWorker?.controller != null, undefined, { timeout: 60_000, polling: 200 });
    await page.goto(`${base}/progress/`);
    const status = page.locator('[data-cl-offline-status]');
    await page.waitForFunction(() => document.querySelector('[data-cl-offline-status]')?.getAttribute('data-state') === 'ready', undefined, { timeout: 60_000, polling: 500 });
    const text = await status.innerText();
    expect(text).toMatch(/^Available offline ✓/);
    const total = Number(/\((\d+) files\)/.exec(text)?.[1]);
    expect(total).toBe(manifestSize());
    await screenshot(page, 'offline-progress-ready.png');

    await goOffline(context, page);
    await page.goto(`${base}/${chapter}/`);
    await waitExerciseReady(page, ID, 30_000);
    await openEditor(page, ID);
    await setCode(page, ID, readExerciseFile(ID, 'solution.ts'));
    const r = await runTests(page, ID);
    expect(r.state).toBe('passed');
    // the search index answers offline (Pagefind's files come from the precache)
    // (a string, so Vitest's transform leaves the browser's own import() alone)
    const search = Number(await page.evaluate("import('/pagefind/pagefind.js').then((pf) => pf.search('khugepaged')).then((r) => r.results.length)"));
    expect(search).toBeGreaterThan(0);
    // the Playground works offline too, from a link
    await page.goto(`${base}/playground/?layout=page*511,guard&kernel=before`);
    await page.waitForFunction(() => document.querySelector('[data-cl-playground]')?.getAttribute('data-state') === 'done', undefined, { timeout: 30_000 });
    expect(await page.getByTestId('playground-result').innerText()).toBe('SCAN_FAIL');
    await screenshot(page, 'offline-unvisited-chapter-playground.png');
    expect(errors.filter((e) => !/Failed to load resource|ERR_INTERNET_DISCONNECTED/.test(e))).toEqual([]);
    await context.close();
  });
});
