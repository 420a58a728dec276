/**
 * Quality gates on EVERY built page, each page loaded once (helper Q, issue 6 items 2, 3 and 5):
 * - Content-Security-Policy and privacy: the page loads with no CSP violation, no page error and
 *   no request leaving the site (quality-csp.test.ts checks the policy text and the editor, the
 *   runner and the search under it);
 * - accessibility: axe-core finds no serious or critical violation, in the light and in the dark
 *   colour scheme (quality-a11y.test.ts checks an exercise with the editor open and a keyboard-only
 *   path). A failure names the page, the rule, its impact and the offending nodes; the full lists
 *   go to test-artifacts/axe-<scheme>.txt.
 *
 * Why one walk: loading a page costs about as much CPU as an axe pass, and the suite is CPU-bound
 * on two cores. Each page is loaded in the light scheme, checked for CSP reports and errors 150 ms
 * after its load event (before axe runs in it), checked by axe, then switched to the dark scheme
 * the way a reader's system setting switches it (`emulateMedia`; Starlight follows
 * `prefers-color-scheme` live, and nothing else on these pages reads the scheme from script) and
 * checked again. A page that does not follow the switch is reloaded in the dark scheme instead.
 * Measured (prebuilt site, CPU time of the process tree): the three walks this replaces cost
 * ~102 CPU-s, this one ~65.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';
import { ARTIFACTS, baseUrl, distDir, launch, newPage, openPage } from './helpers.ts';
import { allPagePaths, axeSerious, codeBlocksSettled, cspViolations, describeViolations, foreign, recordRequests, watchCsp } from './quality-helpers.ts';

interface PageFindings {
  /** CSP violations and page/console errors, as report lines. */
  csp: string[];
  light: string[];
  dark: string[];
}

let browser: Browser;
let pages: string[] = [];
const found = new Map<string, PageFindings>();
/** Every URL the checked pages requested (their one context's log). */
let urls: string[] = [];

beforeAll(async () => {
  browser = await launch();
  pages = allPagePaths(distDir());
  // Pages are checked several at once, each lane in a tab of its own (its own error list; CSP
  // reports are kept per document): a page spends part of its time waiting (its load, the 150 ms
  // for late reports, Expressive Code's idle callback), which the other lanes use. The tabs share
  // one context, so its caches are warm after the first pages, as in a reader's browser: measured
  // (prebuilt site, CPU of the process tree, 4 runs each, interleaved) 78 CPU-s against 84 with a
  // context per lane, lower in every pair.
  const LANES = 3;
  let next = 0;
  const first = await newPage(browser, { colorScheme: 'light' });
  const { context } = first;
  await watchCsp(context);
  urls = recordRequests(context);
  await Promise.all(
    Array.from({ length: LANES }, async (_, lane) => {
      const { page, errors } = lane === 0 ? first : await openPage(context);
      for (let i = next++; i < pages.length; i = next++) {
        const p = pages[i]!;
        const before = errors.length;
        await page.emulateMedia({ colorScheme: 'light' });
        await page.goto(`${baseUrl()}${p}`, { waitUntil: 'load' });
        await page.waitForTimeout(150);
        const csp: string[] = [];
        for (const v of await cspViolations(page)) csp.push(`${p}: CSP ${v}`);
        for (const e of errors.slice(before)) if (!(p === '/404.html' && /status of 404/.test(e))) csp.push(`${p}: ${e}`);
        await codeBlocksSettled(page);
        const light = describeViolations(p, await axeSerious(page));
        await page.emulateMedia({ colorScheme: 'dark' });
        const switched = await page
          .waitForFunction(() => document.documentElement.dataset.theme === 'dark', undefined, { timeout: 3000, polling: 50 })
          .then(() => true, () => false);
        if (!switched) {
          await page.reload({ waitUntil: 'load' });
          await codeBlocksSettled(page);
        }
        const dark = describeViolations(p, await axeSerious(page));
        found.set(p, { csp, light, dark });
      }
    }),
  );
  await context.close();
}, 600_000);

afterAll(async () => {
  await browser?.close();
});

describe('every built page, loaded once', () => {
  it('was checked: every page, each in both colour schemes', () => {
    expect(pages.length).toBeGreaterThan(10);
    expect([...found.keys()].sort()).toEqual([...pages].sort());
  });

  it('loads with no CSP violation, no page error and no request leaving the site', () => {
    expect(pages.flatMap((p) => found.get(p)?.csp ?? [`${p}: not checked`])).toEqual([]);
    expect(foreign(urls, new URL(baseUrl()).origin)).toEqual([]);
  });

  for (const scheme of ['light', 'dark'] as const) {
    it(`has no serious or critical axe violation (${scheme} scheme)`, () => {
      const report = pages.flatMap((p) => found.get(p)?.[scheme] ?? [`${p}: not checked`]);
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      fs.writeFileSync(path.join(ARTIFACTS, `axe-${scheme}.txt`), report.join('\n') + '\n');
      expect(report.join('\n')).toBe('');
    });
  }
});
