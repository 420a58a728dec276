/**
 * Quality gate: accessibility (helper Q, issue 6 item 2).
 * - axe-core on an exercise page with the editor open, tests run, hints and the solution diff
 *   shown: no serious or critical violation (EVERY built page, in the light and the dark colour
 *   scheme, is checked by quality-pages.test.ts, which loads each page once for all its checks).
 * - a keyboard-only path through an exercise: Tab to "Open editor", Enter, type, Ctrl+Enter runs
 *   the tests, Esc (and Ctrl+M) leave the editor, Tab reaches the hints and opens one.
 * A failure names the page, the rule, its impact and the offending nodes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { baseUrl, exercise, launch, newPage, openEditor, readExerciseFile, setCode } from './helpers.ts';
import { axeSerious, codeBlocksSettled, describeViolations, gotoExercise, runTests } from './quality-helpers.ts';

let browser: Browser;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});

describe('axe-core', () => {
  it('finds none on an exercise with the editor open, failing results, a hint and the solution diff shown', async () => {
    const ID = 'early-abort';
    const { context, page } = await newPage(browser);
    await gotoExercise(page, baseUrl(), ID);
    await openEditor(page, ID);
    await setCode(page, ID, readExerciseFile(ID, 'starter.ts'));
    const r = await runTests(page, ID);
    expect(r.state).toBe('failed');
    const ex = exercise(page, ID);
    await ex.locator('button[data-action="hint"]').click();
    await ex.locator('button[data-action="reveal"]').click();
    await ex.getByRole('button', { name: 'Yes, show the solution' }).click();
    await ex.locator('[data-part="reveal"] pre.cl-diff').waitFor();
    await codeBlocksSettled(page);
    const report = describeViolations(`/${ID} (editor open)`, await axeSerious(page));
    expect(report.join('\n')).toBe('');
    await context.close();
  });
});

describe('keyboard only', () => {
  /** Press Tab until the focused element matches `selector` (at most `max` presses); returns the count. */
  async function tabUntil(page: Page, selector: string, max = 400): Promise<number> {
    for (let i = 1; i <= max; i++) {
      await page.keyboard.press('Tab');
      if (await page.evaluate((sel) => !!document.activeElement?.matches(sel), selector)) return i;
    }
    throw new Error(`Tab never reached ${selector} in ${max} presses (focus is on ${await page.evaluate(() => document.activeElement?.outerHTML.slice(0, 120))})`);
  }

  it('Tab to "Open editor", Enter, type, Ctrl+Enter runs the tests, Esc leaves the editor, Tab reaches the hints', async () => {
    const ID = 'early-abort';
    const { context, page, errors } = await newPage(browser);
    await gotoExercise(page, baseUrl(), ID);
    const ex = exercise(page, ID);
    const isOpen = `section[data-exercise="${ID}"] button[data-action="open"]`;
    await tabUntil(page, isOpen);
    // the focused control is visibly focused (an outline or a box-shadow ring)
    const ring = await page.evaluate(() => {
      const s = getComputedStyle(document.activeElement!);
      return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== 'none';
    });
    expect(ring).toBe(true);
    await page.keyboard.press('Enter');
    await page.waitForFunction((x) => !!document.querySelector(`section[data-exercise="${x}"]`)?.getAttribute('data-editor-ms'), ID, { timeout: 30_000 });
    // focus is in the editor: typing edits the code
    await page.waitForFunction(() => !!document.activeElement?.closest('.monaco-editor, textarea.cl-textarea') || document.activeElement?.tagName === 'TEXTAREA');
    await page.keyboard.press('Control+End');
    await page.keyboard.type('\n// typed with the keyboard only\n');
    const code = await page.evaluate(() => {
      const w = window as unknown as { __clMonaco?: { editor: { getModels(): { getValue(): string }[] } } };
      return w.__clMonaco?.editor.getModels().map((m) => m.getValue()).join('\n') ?? (document.querySelector('textarea.cl-textarea') as HTMLTextAreaElement | null)?.value ?? '';
    });
    expect(code).toContain('// typed with the keyboard only');
    // Ctrl+Enter from inside the editor runs the tests
    await page.keyboard.press('Control+Enter');
    await page.waitForFunction((x) => ['passed', 'failed', 'error'].includes(document.querySelector(`section[data-exercise="${x}"]`)?.getAttribute('data-state') ?? ''), ID, { timeout: 60_000 });
    expect(await ex.locator('[data-part="results"]').innerText()).toMatch(/tests passed/);
    // the verdict is announced in a live region
    expect(await ex.locator('[data-part="live"]').textContent()).toMatch(/tests passed/);
    // Esc leaves the editor (no keyboard trap), landing on Run tests
    await page.keyboard.press('Escape');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-action'))).toBe('run');
    // Tab onwards reaches the hint ladder; Enter opens hint 1 and focus moves to it
    await tabUntil(page, `section[data-exercise="${ID}"] button[data-action="hint"]`, 30);
    await page.keyboard.press('Enter');
    expect(await ex.locator('details.cl-hint').first().isVisible()).toBe(true);
    expect(await page.evaluate(() => !!document.activeElement?.closest('details.cl-hint'))).toBe(true);
    // and back into the editor with Shift+Tab, then out with Ctrl+M
    await page.evaluate((x) => (document.querySelector(`section[data-exercise="${x}"] button[data-action="run"]`) as HTMLElement).focus(), ID);
    await page.keyboard.press('Shift+Tab');
    expect(await page.evaluate(() => !!document.activeElement?.closest('.monaco-editor, [data-part="editor"]'))).toBe(true);
    const inEditor = await page.evaluate(() => document.activeElement?.outerHTML.slice(0, 160));
    await page.keyboard.press('Control+m');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-action')), `Ctrl+M from ${inEditor}`).toBe('run');
    expect(errors.filter((e) => !/favicon/.test(e))).toEqual([]);
    await context.close();
  });
});
