/**
 * S2's pictures in Chromium, on the built site: <PteGrid> slot inspector (hover, keyboard, ARIA
 * slider), <Timeline> stepping (buttons, keys, aria-live), <Quiz> grading, each also without
 * JavaScript and in print. Pages are found in the build by what they contain, so chapter edits
 * do not break the suite. (New file by S2; uses S1's helpers and global setup.)
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { baseUrl, distDir, launch, newPage, screenshot, settleInView } from './helpers.ts';

let browser: Browser;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});

/** URL path of the first built page whose HTML contains `marker` (index first, then chapters in order). */
function pageWith(marker: string): string {
  const dir = distDir();
  const pages: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory() && !e.name.startsWith('_') && e.name !== 'pagefind') walk(p);
      else if (e.name === 'index.html') pages.push(p);
    }
  };
  walk(dir);
  pages.sort();
  const hit = pages.find((p) => fs.readFileSync(p, 'utf8').includes(marker));
  if (!hit) throw new Error(`no built page contains ${marker}`);
  return '/' + path.relative(dir, path.dirname(hit)).split(path.sep).filter(Boolean).map((s) => s + '/').join('');
}

describe('<PteGrid>', () => {
  it('inspects slots by keyboard and pointer: the panel shows the PTE bits, the frame is an ARIA slider', async () => {
    const { context, page, errors } = await newPage(browser);
    await page.goto(baseUrl() + pageWith('data-cl-ptegrid'));
    const fig = page.locator('[data-cl-ptegrid]').first();
    const frame = fig.locator('[data-cl-frame]');
    const panel = fig.locator('[data-cl-detail]');
    await expect(frame.getAttribute('role')).resolves.toBe('slider');
    await frame.focus();
    const start = Number(await frame.getAttribute('aria-valuenow'));
    await page.keyboard.press('Home');
    expect(await frame.getAttribute('aria-valuenow')).toBe('0');
    expect(await panel.innerText()).toMatch(/^Slot 0 · address 0x[0-9a-f]+ · /);
    expect(await panel.innerText()).toMatch(/0x[0-9a-f]{16} \S+/); // formatPte line
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowRight');
    expect(await frame.getAttribute('aria-valuenow')).toBe('33');
    expect(await frame.getAttribute('aria-valuetext')).toMatch(/^Slot 33 · /);
    await page.keyboard.press('End');
    expect(await panel.innerText()).toMatch(/^Slot 511 · /);
    // pointer: the centre of cell 0 (viewBox geometry: LEFT 34, TOP 16, CELL 18; width 614, height 308)
    const box = (await fig.locator('[data-cl-svg]').boundingBox())!;
    await page.mouse.move(box.x + (box.width * (34 + 9)) / 614, box.y + (box.height * (16 + 9)) / 308);
    expect(await panel.innerText()).toMatch(/^Slot 0 · /);
    expect(start).toBeGreaterThanOrEqual(0);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('without JavaScript: the grid, legend, result and the first slot’s details are there', async () => {
    const { context, page } = await newPage(browser, { javaScriptEnabled: false });
    await page.goto(baseUrl() + pageWith('data-cl-ptegrid'));
    const fig = page.locator('[data-cl-ptegrid]').first();
    expect(await fig.locator('svg rect').count()).toBeGreaterThan(1);
    expect(await fig.locator('.cl-ptegrid-result').innerText()).toMatch(/^Result: SCAN_\w+/);
    expect(await fig.locator('[data-cl-detail]').innerText()).toMatch(/^Slot \d+ · /);
    expect(await fig.locator('.cl-ptegrid-hint').isVisible()).toBe(false); // the hint is for the interactive version
    await context.close();
  });
});

describe('<Timeline>', () => {
  it('steps with Prev/Next and arrow keys, highlighting the column and announcing the step', async () => {
    const { context, page, errors } = await newPage(browser);
    await page.goto(baseUrl() + pageWith('data-cl-timeline'));
    const fig = page.locator('[data-cl-timeline]').first();
    const items = fig.locator('[data-cl-steps] > li');
    const n = await items.count();
    expect(n).toBeGreaterThan(2);
    expect(await fig.locator('[data-cl-controls]').isVisible()).toBe(true);
    expect(await items.nth(0).getAttribute('aria-current')).toBe('step');
    expect(await items.nth(1).isVisible()).toBe(false); // future steps are hidden while stepping
    await fig.locator('[data-cl-next]').click();
    expect(await items.nth(1).getAttribute('aria-current')).toBe('step');
    expect(await fig.locator('[data-cl-live]').textContent()).toMatch(new RegExp(`^Step 2 of ${n}: `));
    await page.keyboard.press('End');
    expect(await items.nth(n - 1).getAttribute('aria-current')).toBe('step');
    expect(await fig.locator('[data-cl-next]').isDisabled()).toBe(true);
    await page.keyboard.press('ArrowLeft');
    expect(await fig.locator('[data-cl-pos]').innerText()).toBe(`Step ${n - 1} of ${n}`);
    const cur = fig.locator('[data-cl-current]');
    expect(await cur.getAttribute('visibility')).toBe('visible');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('without JavaScript and on paper every step is listed and the controls are gone', async () => {
    const path = pageWith('data-cl-timeline');
    const { context, page } = await newPage(browser, { javaScriptEnabled: false });
    await page.goto(baseUrl() + path);
    const fig = page.locator('[data-cl-timeline]').first();
    const items = fig.locator('[data-cl-steps] > li');
    expect(await items.last().isVisible()).toBe(true);
    expect(await fig.locator('[data-cl-controls]').isVisible()).toBe(false);
    await context.close();

    const live = await newPage(browser);
    await live.page.goto(baseUrl() + path);
    await live.page.emulateMedia({ media: 'print' });
    const f2 = live.page.locator('[data-cl-timeline]').first();
    expect(await f2.locator('[data-cl-steps] > li').last().isVisible()).toBe(true);
    expect(await f2.locator('[data-cl-controls]').isVisible()).toBe(false);
    await live.context.close();
  });
});

/** WCAG contrast ratio of two "rgb(r, g, b)" colours. */
function contrast(a: string, b: string): number {
  const lum = (c: string) => {
    const [r, g, bl] = (c.match(/[\d.]+/g) ?? ['0', '0', '0']).slice(0, 3).map((x) => Number(x) / 255).map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * bl!;
  };
  const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
  return (x! + 0.05) / (y! + 0.05);
}

/** The built page whose widest timeline has the most steps. */
function longestTimelinePage(): string {
  const dir = distDir();
  let best = { path: '', steps: 0 };
  for (const d of fs.readdirSync(dir).filter((x) => /^\d\d-/.test(x))) {
    const html = fs.readFileSync(path.join(dir, d, 'index.html'), 'utf8');
    for (const m of html.matchAll(/<ol class="cl-timeline-steps" data-cl-steps>([\s\S]*?)<\/ol>/g)) {
      const n = (m[1]!.match(/<li /g) ?? []).length;
      if (n > best.steps) best = { path: `/${d}/`, steps: n };
    }
  }
  return best.path;
}

describe('<Timeline> on a narrow screen and in both themes', () => {
  it('stepping keeps the current step in view, and the lane labels stay at the left edge', async () => {
    // reduced motion: the client scrolls at once instead of smoothly, so each check sees the end state
    const { context, page, errors } = await newPage(browser, { viewport: { width: 420, height: 860 }, reducedMotion: 'reduce' });
    const where = longestTimelinePage();
    await page.goto(baseUrl() + where);
    const fig = page.locator('[data-cl-timeline]').filter({ has: page.locator('[data-cl-steps] > li:nth-child(12)') }).first();
    await fig.scrollIntoViewIfNeeded();
    const scroller = fig.locator('[data-cl-scroll]');
    const wide = await scroller.evaluate((el) => el.scrollWidth > el.clientWidth + 50);
    expect(wide, `${where}: the timeline should be wider than a phone`).toBe(true);
    const inView = () =>
      scroller.evaluate((el) => {
        const cur = el.querySelector('[data-cl-current]')!.getBoundingClientRect();
        const labels = el.querySelector('.cl-timeline-labels')!.getBoundingClientRect();
        const box = el.getBoundingClientRect();
        return { left: cur.left >= labels.right - 1, right: cur.right <= box.right + 1, labelsAtEdge: Math.abs(labels.left - box.left) < 2, scrolled: el.scrollLeft };
      });
    const next = fig.locator('[data-cl-next]');
    const n = await fig.locator('[data-cl-steps] > li').count();
    for (let i = 1; i < n; i++) {
      await next.click();
      const v = await inView();
      expect(v, `step ${i + 1} of ${n}`).toMatchObject({ left: true, right: true, labelsAtEdge: true });
    }
    expect((await inView()).scrolled).toBeGreaterThan(0);
    await screenshot(page, 'timeline-narrow-last-step.png', { selector: '[data-cl-timeline]:has([data-cl-steps] > li:nth-child(12))' });
    // back to the start: the first columns come back into view
    await fig.locator('[data-cl-controls]').press('Home');
    await page.waitForFunction((el) => (el as HTMLElement).scrollLeft === 0, await scroller.elementHandle(), { timeout: 5000 });
    expect(errors).toEqual([]);
    await context.close();
  });

  for (const scheme of ['light', 'dark'] as const) {
    it(`lane labels are readable in the ${scheme} theme (contrast ≥ 4.5 against the page)`, async () => {
      const { context, page } = await newPage(browser, { colorScheme: scheme });
      await page.goto(baseUrl() + pageWith('data-cl-timeline'));
      const fig = page.locator('[data-cl-timeline]').first();
      await fig.scrollIntoViewIfNeeded();
      const c = await fig.evaluate((f) => {
        const label = f.querySelector('.cl-timeline-labels .cl-lane')!;
        const bg = getComputedStyle(f.querySelector('.cl-timeline-labels')!).backgroundColor;
        return { fill: getComputedStyle(label).fill, bg, theme: document.documentElement.dataset.theme };
      });
      expect(c.theme).toBe(scheme);
      expect(contrast(c.fill, c.bg), JSON.stringify(c)).toBeGreaterThanOrEqual(4.5);
      await screenshot(page, `timeline-${scheme}.png`, { selector: '[data-cl-timeline]' });
      await context.close();
    });
  }
});

describe('pictures on touch screens', () => {
  it('say "tap" where there is no hover, and "hover" with a mouse', async () => {
    const touch = await newPage(browser, { viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });
    await touch.page.goto(baseUrl() + pageWith('data-cl-ptegrid'));
    const hint = touch.page.locator('[data-cl-ptegrid] .cl-ptegrid-hint').first();
    await hint.scrollIntoViewIfNeeded();
    expect(await touch.page.evaluate(() => matchMedia('(hover: none)').matches)).toBe(true);
    expect(await hint.innerText()).toMatch(/^Tap a square/);
    await touch.context.close();
    const mouse = await newPage(browser);
    await mouse.page.goto(baseUrl() + pageWith('data-cl-ptegrid'));
    expect(await mouse.page.locator('[data-cl-ptegrid] .cl-ptegrid-hint').first().innerText()).toMatch(/^Hover a square/);
    await mouse.context.close();
  });

  it('a tap on a cell shows that slot', async () => {
    const { context, page } = await newPage(browser, { viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });
    await page.goto(baseUrl() + pageWith('data-cl-ptegrid'));
    const fig = page.locator('[data-cl-ptegrid]').first();
    await fig.scrollIntoViewIfNeeded();
    const box = (await fig.locator('[data-cl-svg]').first().boundingBox())!;
    // the centre of cell 33 (row 1, column 1): viewBox LEFT 34, TOP 16, CELL 18; 614 × 308
    await page.touchscreen.tap(box.x + (box.width * (34 + 18 + 9)) / 614, box.y + (box.height * (16 + 18 + 9)) / 308);
    expect(await fig.locator('[data-cl-detail]').first().innerText()).toMatch(/^Slot 33 · /);
    await context.close();
  });
});

describe('<Quiz>', () => {
  it('grades a choice in the page: a second try after a wrong pick, then the right answer', async () => {
    const { context, page, errors } = await newPage(browser);
    await page.goto(baseUrl() + pageWith('data-cl-quiz'));
    const quiz = page.locator('[data-cl-quiz]').first();
    // The pictures above the quiz are laid out only when they come near the window (content-visibility:
    // auto): let that happen before clicking, or the quiz moves under the pointer mid-click (see settleInView).
    await settleInView(quiz);
    const answer = Number(await quiz.getAttribute('data-answer'));
    const wrong = answer === 0 ? 1 : 0;
    expect(await quiz.locator('[data-cl-quiz-details]').isVisible()).toBe(false);
    await quiz.locator(`input[value="${wrong}"]`).check();
    const fb = quiz.locator('[data-cl-quiz-feedback]');
    // first wrong pick: says why that choice is wrong, not the answer, and offers a second try
    const first = await fb.innerText();
    expect(first).toMatch(new RegExp(`^Not quite — ${String.fromCharCode(65 + wrong)} is not it\\..*Try once more\\.$`, 's'));
    expect(first).not.toContain(`The answer is`);
    expect(await quiz.locator('[data-cl-quiz-details]').isVisible()).toBe(false);
    await quiz.locator(`input[value="${answer}"]`).check();
    expect(await fb.innerText()).toMatch(/^Correct: /);
    expect(errors).toEqual([]);
    // on paper the answer is printed
    await page.emulateMedia({ media: 'print' });
    expect(await quiz.locator('[data-cl-quiz-details] p').first().isVisible()).toBe(true);
    await context.close();
  });

  it('without JavaScript the answer is in a <details>', async () => {
    const { context, page } = await newPage(browser, { javaScriptEnabled: false });
    await page.goto(baseUrl() + pageWith('data-cl-quiz'));
    const details = page.locator('[data-cl-quiz] [data-cl-quiz-details]').first();
    expect(await details.isVisible()).toBe(true);
    await details.locator('summary').click();
    expect(await details.locator('p').first().isVisible()).toBe(true);
    await context.close();
  });
});
