/**
 * Quality gate: small screens (helper Q, issue 6 item 6). Phone viewport 390×844, isMobile,
 * hasTouch: no page scrolls sideways as a whole (wide code and pictures scroll inside their own
 * box), screenshots go to test-artifacts/ for a human look, and an exercise offers the touch
 * editor (a plain textarea) with Run tests.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { baseUrl, distDir, exercise, exerciseMeta, launch, newPage, openEditor, readExerciseFile, screenshot, setCode } from './helpers.ts';
import { allPagePaths, runTests } from './quality-helpers.ts';

const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 } as const;

let browser: Browser;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});

describe('on a phone (390×844, touch)', () => {
  it('no page scrolls sideways; chapters are screenshotted for review', async () => {
    const { context, page } = await newPage(browser, PHONE);
    const wide: string[] = [];
    for (const p of allPagePaths(distDir())) {
      await page.goto(`${baseUrl()}${p}`, { waitUntil: 'load' });
      const m = await page.evaluate(() => ({
        doc: document.documentElement.scrollWidth,
        body: document.body.scrollWidth,
        view: window.innerWidth,
        culprit: (() => {
          const vw = document.documentElement.clientWidth;
          for (const el of document.querySelectorAll<HTMLElement>('body *')) {
            const r = el.getBoundingClientRect();
            if (r.right > vw + 1 && getComputedStyle(el).position !== 'fixed') {
              // an element inside a scrolling box is fine
              let q = el.parentElement;
              let contained = false;
              while (q) {
                const s = getComputedStyle(q);
                if (/(auto|scroll|hidden|clip)/.test(s.overflowX) && q.getBoundingClientRect().right <= vw + 1) {
                  contained = true;
                  break;
                }
                q = q.parentElement;
              }
              if (!contained) return `${el.tagName.toLowerCase()}.${[...el.classList].join('.')} right=${Math.round(r.right)}`;
            }
          }
          return null;
        })(),
      }));
      if (m.doc > m.view + 1 || m.body > m.view + 1) wide.push(`${p}: page is ${Math.max(m.doc, m.body)}px wide in a ${m.view}px viewport (${m.culprit ?? 'culprit not found'})`);
      if (/^\/0[1-9]-/.test(p) || p === '/') await screenshot(page, `phone${p.replace(/\//g, '_') || '_index'}.png`);
    }
    expect(wide).toEqual([]);
    // the pictures, where a phone is tightest: each scrolls inside its own box
    await page.goto(`${baseUrl()}/04-the-scan/`);
    for (const [sel, name] of [['.cl-timeline', 'phone-timeline.png'], ['.cl-ptegrid', 'phone-ptegrid.png']] as const) {
      const el = page.locator(sel).first();
      if ((await el.count()) === 0) continue;
      await el.scrollIntoViewIfNeeded();
      const box = (await el.boundingBox())!;
      expect(box.x + box.width, `${sel} overflows the phone screen`).toBeLessThanOrEqual(391);
      await screenshot(page, name);
    }
    await context.close();
  }, 300_000);

  it('an exercise opens the touch editor (textarea), runs the tests, and shows the results on screen', async () => {
    const ID = 'early-abort';
    const { context, page, requests } = await newPage(browser, PHONE);
    await page.goto(`${baseUrl()}/${exerciseMeta(ID).chapter}/`);
    await openEditor(page, ID);
    const ex = exercise(page, ID);
    expect(await ex.getAttribute('data-editor')).toBe('textarea');
    expect(requests.some((u) => /editor\.api|monaco/.test(u))).toBe(false);
    const ta = ex.locator('textarea.cl-textarea');
    // the textarea fits the screen and is big enough to use with a finger
    const box = (await ta.boundingBox())!;
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width).toBeLessThanOrEqual(391);
    expect(box.height).toBeGreaterThan(150);
    // Run tests is a real touch target (≥ 24 px, WCAG 2.5.8) and tapping it runs the tests
    const run = ex.locator('button[data-action="run"]');
    const rb = (await run.boundingBox())!;
    expect(Math.min(rb.width, rb.height)).toBeGreaterThanOrEqual(24);
    await ta.tap();
    await page.keyboard.type('// typed on a phone\n');
    expect(await ta.inputValue()).toContain('// typed on a phone');
    await setCode(page, ID, readExerciseFile(ID, 'solution.ts'));
    await run.tap();
    await page.waitForFunction((x) => ['passed', 'failed', 'error'].includes(document.querySelector(`section[data-exercise="${x}"]`)?.getAttribute('data-state') ?? ''), ID, { timeout: 60_000 });
    expect(await ex.getAttribute('data-state')).toBe('passed');
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(width).toBeLessThanOrEqual(391);
    await ex.locator('[data-part="results"]').scrollIntoViewIfNeeded();
    await screenshot(page, 'phone-exercise-results.png');
    // and the starter fails on the phone too (same runner)
    await setCode(page, ID, readExerciseFile(ID, 'starter.ts'));
    expect((await runTests(page, ID)).state).toBe('failed');
    await context.close();
  });
});
