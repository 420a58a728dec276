/**
 * Quality gate: offline after a first visit (helper Q, issue 6 item 3).
 * A private copy of the built site is served on its own port, so "offline" is real: the server is
 * closed AND the context is set offline. After one online visit (open the editor, run the tests),
 * the chapter reloads, the editor opens and the tests run with no network at all.
 * The service worker is skipped under automation unless opted in (public/sw-register.js); this
 * test opts in.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { AddressInfo } from 'node:net';
import type http from 'node:http';
import { serveStatic } from './global-setup.ts';
import { distDir, exercise, exerciseMeta, launch, newPage, openEditor, readExerciseFile, setCode } from './helpers.ts';
import { runTests } from './quality-helpers.ts';

const ID = 'early-abort';
let browser: Browser;
let server: http.Server;
let base: string;
beforeAll(async () => {
  browser = await launch();
  server = await serveStatic(distDir());
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await browser?.close();
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
});

describe('offline', () => {
  it('after a first visit, the chapter reloads offline and its exercise opens and runs', async () => {
    const { context, page } = await newPage(browser);
    await context.addInitScript(() => localStorage.setItem('collapse-lab:sw', 'on'));
    const url = `${base}/${exerciseMeta(ID).chapter}/`;
    await page.goto(url);
    await page.waitForFunction(() => navigator.serviceWorker?.controller !== null && navigator.serviceWorker?.controller !== undefined, undefined, { timeout: 30_000, polling: 200 });
    await openEditor(page, ID);
    await setCode(page, ID, readExerciseFile(ID, 'solution.ts'));
    expect((await runTests(page, ID)).state).toBe('passed');
    // everything the page used is in the cache (the page, the editor and the runner chunks)
    await page.waitForFunction(
      async () => {
        const names = await caches.keys();
        const urls: string[] = [];
        for (const n of names) for (const r of await (await caches.open(n)).keys()) urls.push(new URL(r.url).pathname);
        return urls.some((u) => /editor\.api/.test(u)) && urls.some((u) => /worker/.test(u)) && urls.some((u) => u.endsWith('/04-the-scan/'));
      },
      undefined,
      { timeout: 30_000, polling: 500 },
    );

    // Offline for real: the server is gone and the browser is offline.
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await context.setOffline(true);
    const failed = await page.evaluate(() => fetch('/no-such-file-' + Date.now()).then((r) => r.status, (e) => String(e)));
    expect(failed).not.toBe(200);

    await page.reload();
    await page.waitForFunction((x) => document.querySelector(`section[data-exercise="${x}"]`)?.getAttribute('data-ready') === 'true', ID, { timeout: 30_000 });
    expect(await page.locator('main h1').innerText()).toMatch(/scan/i);
    await openEditor(page, ID);
    expect(await exercise(page, ID).getAttribute('data-editor')).toBe('monaco');
    await setCode(page, ID, readExerciseFile(ID, 'starter.ts'));
    const r = await runTests(page, ID);
    expect(r.state).toBe('failed');
    expect(r.text).toMatch(/\d+ of \d+ tests passed/);
    // a page never visited says so plainly
    await page.goto(`${base}/appendix/glossary/`).catch(() => undefined);
    expect(await page.locator('body').innerText()).toMatch(/You are offline/);
    await context.close();
  });
});
