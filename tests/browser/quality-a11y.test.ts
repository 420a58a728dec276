/**
 * Quality gate: accessibility (helper Q, issue 6 item 2).
 * - axe-core on EVERY built page, light and dark colour scheme: no serious or critical violation;
 *   also on an exercise page with the editor open, tests run, hints and the solution diff shown.
 * - a keyboard-only path through an exercise: Tab to "Open editor", Enter, type, Ctrl+Enter runs
 *   the tests, Esc (and Ctrl+M) leave the editor, Tab reaches the hints and opens one.
 * A failure names the page, the rule, its impact and the offending nodes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';
import { ARTIFACTS, baseUrl, distDir, exercise, launch, newPage, openEditor, readExerciseFile, ROOT, setCode } from './helpers.ts';
import { allPagePaths, gotoExercise, runTests } from './quality-helpers.ts';

const AXE = fs.readFileSync(path.join(ROOT, 'node_modules/axe-core/axe.min.js'), 'utf8');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; failureSummary?: string }[];
}

/** Run axe in the page (evaluated through the DevTools protocol, so the page's CSP does not block it). */
async function axe(page: Page): Promise<AxeViolation[]> {
  // Expressive Code makes wide code blocks focusable (tabindex=0) from an idle callback after load:
  // wait for it, as a keyboard user would only arrive after that.
  await page
    .waitForFunction(
      () => [...document.querySelectorAll<HTMLElement>('.expressive-code pre')].every((p) => p.scrollWidth <= p.clientWidth || p.hasAttribute('tabindex')),
      undefined,
      // polled on a timer: with several pages at once, only one is the foreground page
      { timeout: 5000, polling: 100 },
    )
    .catch(() => undefined);
  await page.evaluate(AXE);
  const violations = await page.evaluate(async () => {
    const a = (window as unknown as { axe: { run(ctx: object, o: object): Promise<{ violations: AxeViolation[] }> } }).axe;
    // One exclusion: Monaco draws code it knows is unused (an unused import) faded on purpose
    // (.squiggly-inline-unnecessary); the same fact is in the hover and the problems count.
    const r = await a.run({ include: [document], exclude: [['.monaco-editor .squiggly-inline-unnecessary']] }, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target, failureSummary: n.failureSummary })) }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

function describeViolations(where: string, vs: AxeViolation[]): string[] {
  return vs.map(
    (v) =>
      `${where}: [${v.impact}] ${v.id} — ${v.help}\n` +
      v.nodes
        .slice(0, 5)
        .map((n) => `    ${n.target.join(' ')}: ${(n.failureSummary ?? '').split('\n').slice(0, 2).join(' ')}`)
        .join('\n') +
      (v.nodes.length > 5 ? `\n    … and ${v.nodes.length - 5} more` : ''),
  );
}

let browser: Browser;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});

describe('axe-core', () => {
  // Pages are checked several at once (each lane a page of its own in one context): a page spends
  // much of its time waiting (load, Expressive Code's idle callback), which the other lanes use.
  const LANES = 3;
  for (const scheme of ['light', 'dark'] as const) {
    it(`finds no serious or critical violation on any built page (${scheme} scheme)`, async () => {
      const { context } = await newPage(browser, { colorScheme: scheme });
      const pages = allPagePaths(distDir());
      expect(pages.length).toBeGreaterThan(10);
      const found = new Map<string, string[]>();
      let next = 0;
      await Promise.all(
        Array.from({ length: LANES }, async () => {
          const page = await context.newPage();
          for (let i = next++; i < pages.length; i = next++) {
            const p = pages[i]!;
            await page.goto(`${baseUrl()}${p}`, { waitUntil: 'load' });
            found.set(p, describeViolations(p, await axe(page)));
          }
          await page.close();
        }),
      );
      expect([...found.keys()].sort()).toEqual([...pages].sort());
      const report = pages.flatMap((p) => found.get(p)!);
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      fs.writeFileSync(path.join(ARTIFACTS, `axe-${scheme}.txt`), report.join('\n') + '\n');
      expect(report.join('\n')).toBe('');
      await context.close();
    }, 300_000);
  }

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
    const report = describeViolations(`/${ID} (editor open)`, await axe(page));
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
