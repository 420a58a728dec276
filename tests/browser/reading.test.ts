/**
 * Reading a chapter: without JavaScript, and with JavaScript but without opening an editor
 * (no editor bytes, page weight within budget).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { baseUrl, builtPagesWithExercises, distDir, exerciseMeta, launch, newPage, readExerciseFile, screenshot, settleInView, waitExerciseReady } from './helpers.ts';
import { pageWeight } from './page-weight.ts';

let browser: Browser;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});

const ID = 'early-abort';

/** Lines of the starter that a reader must be able to see (non-blank, not too short). */
function starterSample(): string[] {
  return readExerciseFile(ID, 'starter.ts')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 12)
    .filter((_, i, all) => i === 0 || i === Math.floor(all.length / 2) || i === all.length - 1);
}

describe('reading a chapter', () => {
  it('renders and reads without JavaScript: prose, headings and the starter code are visible', async () => {
    const chapter = exerciseMeta(ID).chapter;
    const { context, page } = await newPage(browser, { javaScriptEnabled: false });
    const res = await page.goto(`${baseUrl()}/${chapter}/`);
    expect(res?.status()).toBe(200);
    await expect(page.locator('h1').first().isVisible()).resolves.toBe(true);
    const prose = page.locator('.sl-markdown-content p').first();
    expect(await prose.isVisible()).toBe(true);
    expect((await prose.innerText()).length).toBeGreaterThan(40);

    const ex = page.locator(`section.cl-exercise[data-exercise="${ID}"]`);
    const code = ex.locator('[data-part="static"]');
    expect(await code.isVisible()).toBe(true);
    // The listing is rendered when it comes near the viewport (content-visibility: auto keeps the
    // page light); a reader scrolls to it, and so does the test before reading what it shows.
    await code.scrollIntoViewIfNeeded();
    await page.waitForTimeout(100);
    const shown = (await code.innerText()).replace(/\s+/g, ' ');
    for (const line of starterSample()) expect(shown).toContain(line.replace(/\s+/g, ' '));
    // Controls that need JavaScript stay hidden; the no-JS route to grading is explained.
    expect(await ex.locator('[data-part="toolbar"]').isVisible()).toBe(false);
    expect(await ex.locator('noscript').count()).toBe(1);
    // Hints are readable as closed <details> without JavaScript.
    const hints = ex.locator('details.cl-hint');
    expect(await hints.count()).toBeGreaterThanOrEqual(2);
    expect(await hints.first().isVisible()).toBe(true);
    await screenshot(page, 'chapter-no-js.png');
    await ex.locator('.cl-ex-head').scrollIntoViewIfNeeded();
    await screenshot(page, 'chapter-no-js-exercise.png');
    await context.close();
  });

  it('loads no editor, runner or diff code until the learner asks', async () => {
    const chapter = exerciseMeta(ID).chapter;
    const { context, page, requests, errors } = await newPage(browser);
    await page.goto(`${baseUrl()}/${chapter}/`);
    await page.waitForLoadState('networkidle');
    await waitExerciseReady(page, ID);
    // hovering the page and scrolling past the exercise is reading, not intent
    await page.locator(`section[data-exercise="${ID}"]`).scrollIntoViewIfNeeded();
    await page.waitForTimeout(500);
    await page.locator(`section[data-exercise="${ID}"] .cl-ex-head`).scrollIntoViewIfNeeded();
    await screenshot(page, 'chapter-exercise.png');
    // (the pictures' own small scripts, ptegrid-client and timeline-client, are reading, not editing)
    const heavy = requests.filter((u) => /monaco|editor\.api|ts\.worker|editor\.worker|tsMode|sucrase|session\.|reveal\.|runner\.|(?<![\w-])client\.|worker/i.test(u));
    expect(heavy).toEqual([]);
    expect(errors).toEqual([]);
    await page.evaluate(() => window.scrollTo(0, 0));
    await screenshot(page, 'chapter.png');
    await context.close();
  });

  it('every page with an exercise ships ≤ 50 KB gzip of JS+CSS before an editor opens', () => {
    const pages = builtPagesWithExercises(distDir());
    expect(pages.length).toBeGreaterThan(0);
    const weights = pages.map((p) => pageWeight(distDir(), p));
    const heaviest = weights.reduce((a, b) => (b.total > a.total ? b : a));
    console.log(`heaviest exercise page: ${heaviest.page} JS ${heaviest.js} B + CSS ${heaviest.css} B = ${heaviest.total} B gzip`);
    for (const w of weights) {
      expect({ page: w.page, total: w.total, ok: w.total <= 50 * 1024 }).toMatchObject({ ok: true });
      expect(w.files.map((f) => f.file).join(' ')).not.toMatch(/monaco|editor\.api|ts\.worker|sucrase/);
    }
  });
});

describe('<Quiz> in a chapter', () => {
  it('gives a second try before the answer shows, then reveals it and tells the page once', async () => {
    const { context, page, errors } = await newPage(browser);
    await page.goto(`${baseUrl()}/02-khugepaged/`);
    const quiz = page.locator('[data-cl-quiz]').first();
    await settleInView(quiz);
    await page.waitForFunction(() => document.querySelector('[data-cl-quiz]')?.getAttribute('data-cl-ready') === '1');
    await page.evaluate(() => {
      const w = window as unknown as { quizEvents: unknown[] };
      w.quizEvents = [];
      document.addEventListener('collapse-lab:quiz', (e) => w.quizEvents.push((e as CustomEvent).detail));
    });
    const answer = Number(await quiz.getAttribute('data-answer'));
    const quizId = await quiz.getAttribute('data-cl-quiz-id');
    const [first, second] = [0, 1, 2, 3].filter((i) => i !== answer);
    const fb = quiz.locator('[data-cl-quiz-feedback]');
    const rightText = (await quiz.locator('[data-cl-choice]').nth(answer).innerText()).trim();
    const events = () => page.evaluate(() => (window as unknown as { quizEvents: unknown[] }).quizEvents);

    // first wrong pick: explained, answer still hidden, no event yet
    await quiz.locator(`input[value="${first}"]`).check();
    const afterFirst = await fb.innerText();
    expect(afterFirst).toMatch(/^Not quite — [A-D] is not it\..*Try once more\.$/);
    expect(afterFirst).not.toContain(rightText);
    expect(await quiz.locator('li.cl-right').count()).toBe(0);
    expect(await quiz.locator(`input[value="${first}"]`).isDisabled()).toBe(true);
    expect(await events()).toEqual([]);

    // second wrong pick: the quiz is done, the answer and its explanation show, one event
    await quiz.locator(`input[value="${second}"]`).check();
    const afterSecond = await fb.innerText();
    expect(afterSecond).toContain(`The answer is ${String.fromCharCode(65 + answer)}. ${rightText}`);
    expect(await quiz.locator('li.cl-right').count()).toBe(1);
    expect(await events()).toEqual([{ page: '/02-khugepaged/', quiz: quizId, correct: false }]);

    // picking again changes nothing and sends nothing
    await quiz.locator(`input[value="${answer}"]`).check();
    expect(await fb.innerText()).toBe(afterSecond);
    expect((await events()).length).toBe(1);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('a right first pick finishes at once and reports correct: true', async () => {
    const { context, page } = await newPage(browser);
    await page.goto(`${baseUrl()}/03-what-a-pte-can-hold/`);
    const quiz = page.locator('[data-cl-quiz]').first();
    await settleInView(quiz);
    await page.waitForFunction(() => document.querySelector('[data-cl-quiz]')?.getAttribute('data-cl-ready') === '1');
    const got = page.evaluate(
      () => new Promise((resolve) => document.addEventListener('collapse-lab:quiz', (e) => resolve((e as CustomEvent).detail), { once: true })),
    );
    const answer = Number(await quiz.getAttribute('data-answer'));
    await quiz.locator(`input[value="${answer}"]`).check();
    expect(await got).toMatchObject({ page: '/03-what-a-pte-can-hold/', correct: true });
    expect(await quiz.locator('[data-cl-quiz-feedback]').innerText()).toMatch(/^Correct: /);
    await context.close();
  });
});
