/**
 * The exercise UI in Chromium against the built site (issue 14 "Failures a learner can read",
 * "Room to work"; issue 9 item 7 "Saved work is never lost"): grouped and folded failures,
 * re-run failing only, the Next link only after a pass, wide mode and Esc, Reset → TODO, and one
 * exercise open in two pages of one browser.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import path from 'node:path';
import {
  baseUrl,
  exercise,
  exerciseMeta,
  focusEditor,
  getCode,
  gotoChapter,
  gradeInNode,
  launch,
  newPage,
  openEditor,
  openedEditorPage,
  type OpenedPage,
  readExerciseFile,
  ROOT,
  runWithShortcut,
  screenshot,
  setCode,
  waitForDiffs,
  resetToStarter,
} from './helpers.ts';
import { axeLines, axeSerious } from './quality-helpers.ts';

let browser: Browser;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});

const ID = 'early-abort';
const KEY = `collapse-lab:v1:${ID}`;

/** Type at the end of the editor's text, as a learner would (the page in front, as when the learner switches to it). */
async function typeAtEnd(page: Page, text: string): Promise<void> {
  await page.bringToFront();
  await focusEditor(page, ID);
  await page.keyboard.press('Control+End');
  await page.keyboard.type(text);
}

const stored = (page: Page, key: string) => page.evaluate((k) => localStorage.getItem(k), key);

/**
 * One page (1280x900, light) with the editor open, shared by the tests that need an opened editor
 * but no fresh storage or device: the grouped failures, wide mode (light, then dark as a reader's
 * system switches it), Reset to the first TODO.
 * Opening a chapter with Monaco costs ~3.5 CPU-s (docs/quality.md "Round 6"). Opened by the first
 * of them that runs; the others put the starter back with the page's own Reset first.
 */
let opened: Promise<OpenedPage> | undefined;
function sharedEditorPage(): Promise<OpenedPage> {
  opened ??= openedEditorPage(browser, ID);
  return opened;
}


describe('failures a learner can read', () => {
  it('groups failures by describe block, folds alike ones (the counts add up), re-runs failing only, and shows Next only after a pass', async () => {
    const expected = gradeInNode(ID, path.join(ROOT, 'exercises', ID, 'starter.ts'));
    const failures = expected.tests.filter((t) => t.status !== 'passed');
    expect(failures.length).toBeGreaterThan(1);
    const { page, errors } = await sharedEditorPage();
    await resetToStarter(page, ID);
    // First failure first: record whether it was on screen while the run was still going.
    await page.evaluate((x) => {
      const root = document.querySelector(`section[data-exercise="${x}"]`)!;
      const w = window as unknown as { __early?: string };
      new MutationObserver(() => {
        const el = root.querySelector('[data-part="first-failure"]');
        if (el && root.getAttribute('data-state') === 'running') w.__early ??= el.textContent ?? '';
      }).observe(root, { subtree: true, childList: true });
    }, ID);
    await runWithShortcut(page, ID);
    const ex = exercise(page, ID);
    expect(await ex.getAttribute('data-state')).toBe('failed');
    const early = await page.evaluate(() => (window as unknown as { __early?: string }).__early);
    expect(early, 'the first failure was shown before the run ended').toBeTruthy();
    expect(early!.startsWith(failures[0]!.name)).toBe(true);

    // Every failure is there exactly once (shown or folded), with the Node grader's message (the
    // late diffs joined in: run-control.ts).
    await waitForDiffs(page, ID);
    const shown = await ex.locator('[data-part="failures"] li.cl-test').evaluateAll((lis) =>
      lis.map((li) => ({ name: li.getAttribute('data-name') ?? '', message: li.querySelector('.cl-results-message')?.textContent ?? '' })),
    );
    expect(shown.map((s) => s.name).sort()).toEqual(failures.map((t) => t.name).sort());
    const byName = new Map(failures.map((t) => [t.name, t.message]));
    for (const s of shown) expect(s.message).toBe(byName.get(s.name));

    // One section per describe block that has failures, in file order.
    const blocks = [...new Set(failures.map((t) => t.name.slice(0, t.name.lastIndexOf(' > '))))];
    expect(await ex.locator('[data-part="failures"] section.cl-group').evaluateAll((ss) => ss.map((s) => s.getAttribute('data-group')))).toEqual(blocks);

    // Folding: "N more like this" counts add up with the ones shown in full.
    const folds = await ex.locator('[data-part="failures"] li.cl-alike').evaluateAll((lis) =>
      lis.map((li) => ({ n: Number(li.getAttribute('data-count')), inside: li.querySelectorAll('li.cl-test').length, label: li.querySelector('summary')?.textContent ?? '' })),
    );
    expect(folds.length).toBeGreaterThan(0); // the starter fails many layouts the same way
    for (const f of folds) {
      expect(f.inside).toBe(f.n);
      expect(f.label).toBe(`${f.n} more like this`);
    }
    const inFull = await ex.locator('[data-part="failures"] section.cl-group > ol.cl-results-list > li.cl-test').count();
    expect(inFull + folds.reduce((n, f) => n + f.n, 0)).toBe(failures.length);
    expect(inFull).toBeLessThan(failures.length);
    // the folded ones are closed, the first failure open
    expect(await ex.locator('[data-part="failures"] li.cl-alike > details[open]').count()).toBe(0);
    expect(await ex.locator('[data-part="failures"] li.cl-test details[open]').count()).toBe(1);
    // no Next link after a failing run
    expect(await ex.locator('[data-part="next"]').count()).toBe(0);

    await ex.locator('[data-part="failures"] li.cl-alike summary').first().click();
    await ex.locator('.cl-results-summary').evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await page.evaluate(() => window.scrollBy(0, -80));
    await screenshot(page, 'exercise-ui-grouped-failures.png');
    // long layout names wrap inside the results (nothing wider than the results area)
    const overflow = await ex.locator('[data-part="results"]').evaluate((el) => el.scrollWidth - el.clientWidth);
    expect(overflow).toBeLessThanOrEqual(1);

    // Re-run failing only: the button names how many; the run reports on those.
    const rerun = ex.locator('button[data-action="rerun-failing"]');
    expect(await rerun.innerText()).toBe(`Re-run the ${failures.length} failing tests only`);
    await page.evaluate((x) => document.querySelector(`section[data-exercise="${x}"]`)?.removeAttribute('data-state'), ID);
    await rerun.click();
    await page.waitForFunction((x) => ['failed', 'partial-passed', 'passed', 'error'].includes(document.querySelector(`section[data-exercise="${x}"]`)?.getAttribute('data-state') ?? ''), ID, { timeout: 30_000 });
    expect(await ex.getAttribute('data-state')).toBe('failed');
    const after = await ex.locator('[data-part="failures"] li.cl-test').count();
    expect(after).toBe(failures.length);
    expect(await ex.locator('[data-part="next"]').count()).toBe(0);

    // A pass: the Next link appears, pointing somewhere on this site.
    await setCode(page, ID, readExerciseFile(ID, 'solution.ts'));
    await runWithShortcut(page, ID);
    expect(await ex.getAttribute('data-state')).toBe('passed');
    const next = ex.locator('[data-part="next"] a');
    expect(await next.innerText()).toMatch(/^Next: (exercise|chapter) “.+” →$/);
    const href = await next.getAttribute('href');
    expect(href).toBeTruthy();
    expect(new URL(href!, page.url()).origin).toBe(new URL(baseUrl()).origin);
    await ex.locator('.cl-results-summary').evaluate((el) => el.scrollIntoView({ block: 'center' }));
    await screenshot(page, 'exercise-ui-next.png');
    expect(errors).toEqual([]);
  });
});

describe('on a phone', () => {
  it('long test names and layouts wrap: nothing in the results is wider than the screen', async () => {
    const { context, page } = await newPage(browser, { isMobile: true, hasTouch: true, viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 });
    await gotoChapter(page, ID);
    await openEditor(page, ID);
    await runWithShortcut(page, ID);
    const ex = exercise(page, ID);
    expect(await ex.getAttribute('data-state')).toBe('failed');
    // open every fold so every name and message is laid out
    await ex.locator('[data-part="results"] details').evaluateAll((ds) => ds.forEach((d) => ((d as HTMLDetailsElement).open = true)));
    const wide = await ex.locator('[data-part="results"] :is(.cl-test-name, .cl-group-name, .cl-results-message)').evaluateAll((els) =>
      els.filter((e) => e.scrollWidth > e.clientWidth + 1 || e.getBoundingClientRect().right > window.innerWidth).map((e) => (e.textContent ?? '').slice(0, 60)),
    );
    expect(wide).toEqual([]);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await ex.locator('[data-part="failures"]').evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await screenshot(page, 'exercise-ui-phone-failures.png');
    await context.close();
  });
});

describe('room to work', () => {
  it('wide mode gives the editor the window; Esc leaves it, from the editor and from the toolbar', async () => {
    const { page } = await sharedEditorPage();
    await resetToStarter(page, ID);
    const ex = exercise(page, ID);
    const editorBox = () => ex.locator('[data-part="editor"]').boundingBox();
    const narrow = (await editorBox())!;
    const toggle = ex.locator('button[data-action="focus"]');
    expect(await toggle.getAttribute('aria-pressed')).toBe('false');
    await toggle.click();
    expect(await ex.getAttribute('data-focus')).toBe('true');
    expect(await toggle.getAttribute('aria-pressed')).toBe('true');
    await page.waitForFunction((x) => {
      const r = document.querySelector(`section[data-exercise="${x}"] [data-part="editor"] .monaco-editor`)?.getBoundingClientRect();
      return !!r && r.height > 500;
    }, ID);
    const wide = (await editorBox())!;
    expect(wide.width).toBeGreaterThan(narrow.width);
    expect(wide.height).toBeGreaterThan(0.6 * 900);
    // the whole window is the exercise: its top-left corner is the viewport's
    expect(await ex.evaluate((el) => { const r = el.getBoundingClientRect(); return [r.left, r.top, r.width]; })).toEqual([0, 0, 1280]);
    // ... and drawn on top: nothing of the page (sidebar, header, table of contents) covers it
    const onTop = await ex.evaluate((el) =>
      [[5, 5], [150, 400], [640, 450], [1275, 450], [1100, 895]].map(([x, y]) => el.contains(document.elementFromPoint(x!, y!))),
    );
    expect(onTop).toEqual([true, true, true, true, true]);
    await screenshot(page, 'exercise-ui-wide.png');
    // with results, they sit beside the editor (wide screen), each scrolling on its own
    await page.evaluate((x) => document.querySelector(`section[data-exercise="${x}"]`)?.removeAttribute('data-state'), ID);
    await ex.locator('button[data-action="run"]').click();
    await page.waitForFunction((x) => document.querySelector(`section[data-exercise="${x}"]`)?.getAttribute('data-state') === 'failed', ID, { timeout: 30_000 });
    const side = (await ex.locator('[data-part="side"]').boundingBox())!;
    const ed2 = (await editorBox())!;
    expect(side.x).toBeGreaterThanOrEqual(ed2.x + ed2.width);
    expect(side.y + side.height).toBeLessThanOrEqual(900);
    await screenshot(page, 'exercise-ui-wide-results.png');
    // the new states are accessible: wide mode with grouped results and a fold open
    await ex.locator('[data-part="failures"] li.cl-alike summary').first().click();
    expect(axeLines(await axeSerious(page))).toEqual([]);
    // Esc in the editor: leaves wide mode and the editor (focus on Run tests)
    await focusEditor(page, ID);
    await page.keyboard.press('Escape');
    expect(await ex.getAttribute('data-focus')).toBeNull();
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-action'))).toBe('run');
    // Esc from a toolbar button
    await toggle.click();
    expect(await ex.getAttribute('data-focus')).toBe('true');
    await page.keyboard.press('Escape');
    expect(await ex.getAttribute('data-focus')).toBeNull();
    expect(await page.evaluate(() => document.documentElement.classList.contains('cl-focus-open'))).toBe(false);
  });

  it('in the dark theme too: wide mode with grouped results has no serious axe violation (outside the editor)', async () => {
    const { page } = await sharedEditorPage();
    await resetToStarter(page, ID);
    // The reader's system switches to dark (Starlight follows prefers-color-scheme live, and the
    // editor follows Starlight), as quality-pages.test.ts switches every page.
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.waitForFunction(() => document.documentElement.dataset.theme === 'dark', undefined, { timeout: 5000 });
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    const ex = exercise(page, ID);
    await page.waitForFunction((x) => !!document.querySelector(`section[data-exercise="${x}"] .monaco-editor.vs-dark`), ID);
    const toggle = ex.locator('button[data-action="focus"]');
    await toggle.click();
    await page.evaluate((x) => document.querySelector(`section[data-exercise="${x}"]`)?.removeAttribute('data-state'), ID);
    await ex.locator('button[data-action="run"]').click();
    await page.waitForFunction((x) => document.querySelector(`section[data-exercise="${x}"]`)?.getAttribute('data-state') === 'failed', ID, { timeout: 30_000 });
    await ex.locator('[data-part="failures"] li.cl-alike summary').first().click();
    // The editor's own text is left out: axe reports color-contrast on Monaco's vs-dark tokens
    // (.mtk7) with or without wide mode — the editor theme's matter, not this UI's (see the report).
    expect(axeLines(await axeSerious(page, { exclude: ['.monaco-editor'] }))).toEqual([]);
    await screenshot(page, 'exercise-ui-wide-dark.png');
    // the shared page back as it was: narrow, light
    await toggle.click();
    expect(await ex.getAttribute('data-focus')).toBeNull();
    await page.emulateMedia({ colorScheme: 'light' });
    await page.waitForFunction(() => document.documentElement.dataset.theme === 'light', undefined, { timeout: 5000 });
  });

  it('after Reset, the cursor is on the starter’s first TODO and that line is in view', async () => {
    const starter = readExerciseFile(ID, 'starter.ts');
    const todo = starter.split('\n').findIndex((l) => /\bTODO\b/.test(l)) + 1;
    expect(todo).toBeGreaterThan(0);
    const { page } = await sharedEditorPage();
    const ex = exercise(page, ID);
    // A long attempt, scrolled to its end (editor and page): the TODO is far out of view.
    const long = Array.from({ length: 300 }, (_, i) => `// my attempt, line ${i + 1}`).join('\n') + '\n';
    await setCode(page, ID, long);
    await page.evaluate(() => {
      const w = window as unknown as { __clMonaco: { editor: { getEditors(): { revealLine(n: number): void; setPosition(p: object): void }[] } } };
      const ed = w.__clMonaco.editor.getEditors()[0]!;
      ed.setPosition({ lineNumber: 300, column: 1 });
      ed.revealLine(300);
    });
    await ex.locator('button[data-action="reset"]').scrollIntoViewIfNeeded();
    await ex.locator('button[data-action="reset"]').click();
    expect(await getCode(page, ID)).toBe(starter);
    const where = await page.evaluate(() => {
      const w = window as unknown as { __clMonaco: { editor: { getEditors(): { getPosition(): { lineNumber: number }; getVisibleRanges(): { startLineNumber: number; endLineNumber: number }[] }[] } } };
      const ed = w.__clMonaco.editor.getEditors()[0]!;
      return { line: ed.getPosition().lineNumber, visible: ed.getVisibleRanges().map((r) => [r.startLineNumber, r.endLineNumber]) };
    });
    expect(where.line).toBe(todo);
    expect(where.visible.some(([a, b]) => a! <= todo && todo <= b!)).toBe(true);
    // and that line is on screen, not only inside the editor's own scroll area. Monaco draws its
    // view lines in animation frames and recycles their elements, so a located element can be
    // gone (boundingBox() null) by the time it is measured: find the drawn TODO line and measure
    // it in one step in the page, once Monaco has drawn it.
    const box = await page
      .waitForFunction(
        (x) => {
          const el = [...document.querySelectorAll(`section[data-exercise="${x}"] .monaco-editor .view-line`)].find((e) => /\bTODO\b/.test(e.textContent ?? ''));
          const r = el?.getBoundingClientRect();
          return r && r.height > 0 ? { y: r.y, height: r.height } : null;
        },
        ID,
        { timeout: 15_000, polling: 50 },
      )
      .then((h) => h.jsonValue() as Promise<{ y: number; height: number }>);
    expect(box.y).toBeGreaterThanOrEqual(0);
    expect(box.y + box.height).toBeLessThanOrEqual(900);
    await screenshot(page, 'exercise-ui-reset-todo.png');
  });
});

describe('saved work is never lost (two pages, one exercise)', () => {
  it('an edit in a stale page that missed every storage event keeps the newer code of the other page as a backup, restorable from the progress page', async () => {
    const { context, page: b } = await newPage(browser);
    const a = await context.newPage();
    // Page A hears nothing from other pages (a frozen tab, a missed event): the guarantee must not depend on it.
    await a.addInitScript(() => {
      window.addEventListener('storage', (e) => e.stopImmediatePropagation(), true);
    });
    await gotoChapter(a, ID);
    await gotoChapter(b, ID);
    await openEditor(a, ID);
    await openEditor(b, ID);

    await typeAtEnd(b, '\n// newer work typed in page B\n');
    await b.waitForFunction((k) => (localStorage.getItem(k) ?? '').includes('newer work typed in page B'), KEY, { timeout: 15_000 });
    expect(await getCode(a, ID)).not.toContain('page B'); // A is stale

    await typeAtEnd(a, '\n// stale edit typed in page A\n');
    await a.waitForFunction((k) => (localStorage.getItem(k) ?? '').includes('stale edit typed in page A'), KEY, { timeout: 15_000 });
    const main = JSON.parse((await stored(a, KEY))!) as { code: string };
    expect(main.code).toContain('stale edit typed in page A');
    expect(main.code).not.toContain('page B');
    const ring = JSON.parse((await stored(a, `${KEY}:backups`)) ?? '{"entries":[]}') as { entries: { code: string; reason: string }[] };
    expect(ring.entries.map((e) => e.reason)).toEqual(['other-page']);
    expect(ring.entries[0]!.code).toContain('newer work typed in page B');
    // page A says so
    const note = exercise(a, ID).locator('[data-notice="other-tab"]');
    await note.waitFor();
    expect(await note.innerText()).toMatch(/kept the other version as a backup/);
    // page B, which does hear storage events, is told its code was saved over (and how it is kept)
    const heard = exercise(b, ID).locator('[data-notice="other-tab"]');
    await heard.waitFor();
    expect(await heard.innerText()).toMatch(/just saved from another tab/);
    await exercise(a, ID).locator('[data-part="notices"]').evaluate((el) => el.scrollIntoView({ block: 'center' }));
    await screenshot(a, 'exercise-ui-two-pages-notice.png');

    // The progress page lists it; Restore brings B's code back and keeps A's.
    const p = await context.newPage();
    await p.goto(`${baseUrl()}/progress/`);
    const item = p.locator(`.cl-backups li.cl-backup[data-exercise="${ID}"]`);
    await item.first().waitFor();
    expect(await item.count()).toBe(1);
    await item.locator('summary').click();
    expect(await item.locator('pre').innerText()).toContain('newer work typed in page B');
    await item.evaluate((el) => el.scrollIntoView({ block: 'center' }));
    await screenshot(p, 'progress-backups.png');
    expect(axeLines(await axeSerious(p))).toEqual([]);
    await item.locator('button[data-action="restore"]').click();
    await p.locator('.cl-backups [data-part="backup-message"]').filter({ hasText: 'Restored' }).waitFor();
    const restored = JSON.parse((await stored(p, KEY))!) as { code: string };
    expect(restored.code).toContain('newer work typed in page B');
    expect(restored.code).not.toContain('page A');
    const kept = p.locator(`.cl-backups li.cl-backup[data-exercise="${ID}"]`);
    expect(await kept.count()).toBe(1);
    await kept.locator('summary').click();
    expect(await kept.locator('pre').innerText()).toContain('stale edit typed in page A');
    await context.close();
  });
});

describe('saved work is never lost (the page hears the other one)', () => {
  it('"Keep mine" saves this page’s code and keeps the other page’s in the backups', async () => {
    const { context, page: a } = await newPage(browser);
    const b = await context.newPage();
    await gotoChapter(a, ID);
    await gotoChapter(b, ID);
    await openEditor(a, ID);
    await openEditor(b, ID);
    await typeAtEnd(a, '\n// mine, typed in page A\n');
    await a.waitForFunction((k) => (localStorage.getItem(k) ?? '').includes('mine, typed in page A'), KEY, { timeout: 15_000 });
    await typeAtEnd(b, '\n// theirs, typed in page B\n');
    await b.waitForFunction((k) => (localStorage.getItem(k) ?? '').includes('theirs, typed in page B'), KEY, { timeout: 15_000 });
    // A heard B's save
    await a.bringToFront();
    const note = exercise(a, ID).locator('[data-notice="other-tab"]');
    await note.waitFor();
    expect(await note.innerText()).toMatch(/just saved from another tab/);
    await note.getByRole('button', { name: 'Keep mine' }).click();
    await a.waitForFunction((k) => (localStorage.getItem(k) ?? '').includes('mine, typed in page A'), KEY, { timeout: 15_000 });
    const main = JSON.parse((await stored(a, KEY))!) as { code: string };
    expect(main.code).not.toContain('theirs, typed in page B');
    const ring = JSON.parse((await stored(a, `${KEY}:backups`))!) as { entries: { code: string }[] };
    expect(ring.entries.some((e) => e.code.includes('theirs, typed in page B'))).toBe(true);
    await note.filter({ hasText: 'kept the other version as a backup' }).waitFor();
    await context.close();
  });
});

describe('an imported pass', () => {
  it('shows as "imported — not run here" until the tests pass in this browser', async () => {
    const { context, page } = await newPage(browser);
    await page.addInitScript(
      ([k, code]) => {
        if (sessionStorage.getItem('seeded')) return;
        localStorage.setItem(k!, JSON.stringify({ code, savedAt: '2026-11-20T10:00:00.000Z', passed: true, passedImported: true, passedAt: '2026-11-20T10:00:00.000Z' }));
        sessionStorage.setItem('seeded', '1');
      },
      [KEY, readExerciseFile(ID, 'solution.ts')] as const,
    );
    await gotoChapter(page, ID);
    const ex = exercise(page, ID);
    const badge = ex.locator('[data-part="status"]');
    expect(await badge.innerText()).toBe('imported — not run here');
    expect(await badge.getAttribute('data-status')).toBe('imported');
    // the sidebar does not count it
    const chapter = exerciseMeta(ID).chapter;
    expect(await page.locator(`#starlight__sidebar a[href$="/${chapter}/"] .cl-mark`).count()).toBe(0);
    await openEditor(page, ID);
    await runWithShortcut(page, ID);
    expect(await ex.getAttribute('data-state')).toBe('passed');
    await page.waitForFunction((x) => document.querySelector(`section[data-exercise="${x}"] [data-part="status"]`)?.textContent === '✓ passed', ID);
    const rec = JSON.parse((await stored(page, KEY))!) as { passed?: boolean; passedImported?: boolean; passedAt?: string };
    expect(rec.passed).toBe(true);
    expect(rec.passedImported).toBeUndefined();
    expect(rec.passedAt).not.toBe('2026-11-20T10:00:00.000Z');
    await page.locator(`#starlight__sidebar a[href$="/${chapter}/"] .cl-mark`).waitFor();
    await context.close();
  });
});
