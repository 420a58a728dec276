/**
 * Issue 14 "Draw my run" and "Re-run failing only", in Chromium against the built site:
 *  - a wrong answer (exercises/early-abort/wrong/migration-only.ts: stops only at migration
 *    entries) fails the guard tests; "Draw this case" on one draws that test's scenario (recorded
 *    by the runner, TestResult.scenario) and marks the first difference at the slot the test names;
 *  - a scenario typed into the form: the difference at the typed non-swap entry's slot; the same
 *    scenario with the reference solution is "the same" (so the mark is not always there);
 *  - bad input is a message naming the field, not a stack trace; the editor's code is unchanged;
 *  - "Re-run failing only" runs exactly the failing tests (no passes come back), and a partial
 *    pass offers a full run instead of marking the exercise passed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import {
  type OpenedPage,
  exercise,
  getCode,
  launch,
  openedEditorPage,
  readExerciseFile,
  runWithShortcut,
  screenshot,
  setCode,
} from './helpers.ts';
import { axeLines, axeSerious } from './quality-helpers.ts';

let browser: Browser;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  if (shared) await (await shared).context.close();
  await browser?.close();
});

const ID = 'early-abort';
const WRONG = readExerciseFile(ID, 'wrong/migration-only.ts');

let shared: Promise<OpenedPage> | null = null;
/**
 * The chapter with the editor open, shared by the tests below: each sets the code it needs and
 * runs or draws, and none checks a fresh page, so the editor is opened once instead of three times
 * (an opening costs ~3 CPU-s). Each test checks only the page errors of its own steps.
 */
function editorPage(): Promise<OpenedPage> {
  shared ??= openedEditorPage(browser, ID, { viewport: { width: 1400, height: 1000 } });
  return shared;
}

/** Open the "Draw my run" panel (its button toggles; an earlier test may have left it open). */
async function openDrawPanel(page: Page): Promise<void> {
  const btn = exercise(page, ID).locator('button[data-action="draw"]');
  if ((await btn.getAttribute('aria-expanded')) !== 'true') await btn.click();
}

async function waitDrawn(page: Page): Promise<string> {
  await page.waitForFunction(
    (x) => ['differs', 'same', 'error', 'bad-input'].includes(document.querySelector(`section[data-exercise="${x}"]`)?.getAttribute('data-draw') ?? ''),
    ID,
    { timeout: 60_000 },
  );
  return (await exercise(page, ID).getAttribute('data-draw')) ?? '';
}

async function clearDrawState(page: Page): Promise<void> {
  await page.evaluate((x) => document.querySelector(`section[data-exercise="${x}"]`)?.removeAttribute('data-draw'), ID);
}

describe('Draw my run', () => {
  it('on a wrong answer, "Draw this case" from a failed test marks the first difference at the slot the test names', async () => {
    const { page, errors } = await editorPage();
    const errorsBefore = errors.length;
    await setCode(page, ID, WRONG);
    await runWithShortcut(page, ID);
    const ex = exercise(page, ID);
    expect(await ex.getAttribute('data-state')).toBe('failed');

    // a failed guard test that names its slot ("guard … at slot N stops the scan …")
    const candidates = await ex.locator('[data-part="failures"] li.cl-test').evaluateAll((lis) =>
      lis.map((li) => ({ name: li.getAttribute('data-name') ?? '', draw: !!li.querySelector('button[data-action="draw-case"]') })),
    );
    expect(candidates.filter((c) => c.draw).length, 'failed scan tests offer "Draw this case"').toBeGreaterThan(0);
    // (a slot inside the range, where "stopped here" and "went on" are both visible)
    const target = candidates.find((c) => c.draw && /guard.* at slot (\d+) /.test(c.name) && !/ at slot (0|511) /.test(c.name));
    expect(target, candidates.map((c) => c.name).join('\n')).toBeDefined();
    const slot = Number(/ at slot (\d+) /.exec(target!.name)![1]);

    const li = ex.locator(`[data-part="failures"] li.cl-test[data-name="${target!.name.replace(/"/g, '\\"')}"]`);
    await li.evaluate((el) => el.closest('details.cl-alike, li.cl-alike details')?.setAttribute('open', ''));
    await li.locator('details').evaluate((d) => ((d as HTMLDetailsElement).open = true));
    await clearDrawState(page);
    await li.locator('button[data-action="draw-case"]').click();
    expect(await waitDrawn(page)).toBe('differs');

    // the form holds the test's scenario; the difference is at the guard's slot
    expect(await ex.locator('[data-part="draw"] textarea[name="layouts"]').inputValue()).toMatch(/guard/);
    const diff = ex.locator('[data-testid="draw-diff"]');
    expect(await diff.getAttribute('data-slot')).toBe(String(slot));
    expect(await ex.locator('[data-part="draw-patched"]').getAttribute('data-stop')).toBe(String(slot));
    expect(await ex.locator('[data-part="draw-patched"]').getAttribute('data-result')).toBe('SCAN_PTE_NON_PRESENT');
    expect(await ex.locator('[data-part="draw-mine"]').getAttribute('data-stop')).not.toBe(String(slot));
    // the mark is drawn in both grids, and a step and the locks are named
    expect(await ex.locator(`[data-part="draw-mine"] [data-cl-draw-diff="${slot}"]`).count()).toBe(1);
    expect(await ex.locator(`[data-part="draw-patched"] [data-cl-draw-diff="${slot}"]`).count()).toBe(1);
    expect(await diff.locator('[data-part="diff-step"]').count()).toBe(1);
    // the patched side is the chapters' own figures (PteGrid + Timeline)
    expect(await ex.locator('[data-part="draw-patched"] figure[data-cl-ptegrid]').count()).toBe(1);
    expect(await ex.locator('[data-part="draw-patched"] .cl-timeline-svg').count()).toBe(1);
    await diff.evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await screenshot(page, 'draw-my-run-case.png');
    // drawing never touches the learner's code
    expect(await getCode(page, ID)).toBe(WRONG);
    expect(errors.slice(errorsBefore)).toEqual([]);
  });

  it('a typed scenario: the difference at the typed entry; the solution draws the same; bad input names the field', async () => {
    const { page, errors } = await editorPage();
    const errorsBefore = errors.length;
    await setCode(page, ID, WRONG);
    const ex = exercise(page, ID);
    await openDrawPanel(page);
    const form = ex.locator('[data-part="draw"] form');
    await form.locator('textarea[name="layouts"]').fill('page*100,device-private,page*411');
    await clearDrawState(page);
    await form.locator('button[type="submit"]').click();
    expect(await waitDrawn(page)).toBe('differs');
    expect(await ex.locator('[data-testid="draw-diff"]').getAttribute('data-slot')).toBe('100');
    expect(axeLines(await axeSerious(page, { include: ['[data-part="draw"]'] }))).toEqual([]);
    await ex.locator('[data-part="draw"]').evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await screenshot(page, 'draw-my-run-typed.png');

    // the reference solution on the same scenario: nothing differs
    await setCode(page, ID, readExerciseFile(ID, 'solution.ts'));
    await clearDrawState(page);
    await form.locator('button[type="submit"]').click();
    expect(await waitDrawn(page)).toBe('same');
    expect(await ex.locator('[data-testid="draw-diff"]').getAttribute('data-same')).toBe('true');

    // bad input: a message that names the field, no stack trace
    await form.locator('textarea[name="layouts"]').fill('page*3');
    await clearDrawState(page);
    await form.locator('button[type="submit"]').click();
    expect(await waitDrawn(page)).toBe('bad-input');
    const msg = await ex.locator('.cl-draw-status').innerText();
    expect(msg).toMatch(/^Check the scenario — layout/);
    expect(msg).not.toMatch(/\bat .*:\d+:\d+/);
    expect(errors.slice(errorsBefore)).toEqual([]);
  });
});

describe('Re-run failing only', () => {
  it('runs exactly the failing tests, and a partial pass does not mark the exercise passed', async () => {
    const { page, errors } = await editorPage();
    const errorsBefore = errors.length;
    await setCode(page, ID, WRONG);
    await runWithShortcut(page, ID);
    const ex = exercise(page, ID);
    expect(await ex.getAttribute('data-state')).toBe('failed');
    const names = (sel: string) => ex.locator(sel).evaluateAll((lis) => lis.map((li) => li.getAttribute('data-name') ?? ''));
    const failing = await names('[data-part="failures"] li.cl-test');
    const passing = await names('.cl-results-passed li.cl-test');
    expect(failing.length).toBeGreaterThan(1);
    expect(passing.length).toBeGreaterThan(0);

    await page.evaluate((x) => document.querySelector(`section[data-exercise="${x}"]`)?.removeAttribute('data-state'), ID);
    await ex.locator('button[data-action="rerun-failing"]').click();
    await page.waitForFunction((x) => ['failed', 'partial-passed', 'passed', 'error'].includes(document.querySelector(`section[data-exercise="${x}"]`)?.getAttribute('data-state') ?? ''), ID, { timeout: 30_000 });
    expect(await ex.getAttribute('data-state')).toBe('failed');
    // exactly the failing tests came back: every one, and no passing test was run
    const again = await names('li.cl-test');
    expect([...again].sort()).toEqual([...failing].sort());
    expect(await ex.locator('.cl-results-passed').count()).toBe(0);
    expect(await ex.locator('.cl-results-summary').innerText()).toBe(`Re-ran ${failing.length} failing tests: 0 pass now, ${failing.length} still fail`);
    expect(await ex.locator('[data-part="results"]').innerText()).not.toMatch(/ran every test/);

    // a full run again (a re-run where every test fails offers no re-run button), then fix the
    // code and re-run the failing ones: they pass, but the exercise is not marked passed
    await runWithShortcut(page, ID);
    expect(await ex.getAttribute('data-state')).toBe('failed');
    await setCode(page, ID, readExerciseFile(ID, 'solution.ts'));
    await page.evaluate((x) => document.querySelector(`section[data-exercise="${x}"]`)?.removeAttribute('data-state'), ID);
    await ex.locator('button[data-action="rerun-failing"]').click();
    await page.waitForFunction((x) => ['failed', 'partial-passed', 'passed', 'error'].includes(document.querySelector(`section[data-exercise="${x}"]`)?.getAttribute('data-state') ?? ''), ID, { timeout: 30_000 });
    expect(await ex.getAttribute('data-state')).toBe('partial-passed');
    expect(await names('li.cl-test').then((n) => n.length)).toBe(failing.length);
    expect(await ex.locator('button[data-action="run-all"]').count()).toBe(1);
    expect(await ex.locator('[data-part="next"]').count()).toBe(0);
    const stored = await page.evaluate((k) => localStorage.getItem(k), `collapse-lab:v1:${ID}`);
    expect(stored === null || !(JSON.parse(stored) as { passed?: boolean }).passed).toBe(true);
    await ex.locator('.cl-results-summary').evaluate((el) => el.scrollIntoView({ block: 'center' }));
    await screenshot(page, 'draw-my-run-rerun-failing.png');
    expect(errors.slice(errorsBefore)).toEqual([]);
  });
});
