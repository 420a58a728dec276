/** Shared helpers for the Chromium suite (tests/browser/*.test.ts). */
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Locator, type Page } from 'playwright-core';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { inject } from 'vitest';
import { CHROMIUM_LAUNCH } from './chromium.ts';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const ARTIFACTS = path.join(ROOT, 'test-artifacts');

export function baseUrl(): string {
  return inject('baseUrl');
}

export function distDir(): string {
  return inject('distDir');
}

/** The light grader test page (tests/grading/browser/): the runner alone, no chapter page, no Monaco. */
export function graderUrl(): string {
  return inject('graderUrl');
}

/**
 * A browser for one test file: a connection to the browser project's shared Chromium
 * (global-setup.ts starts one for the whole run; each file's contexts stay isolated, and `close()`
 * closes only this connection and its contexts). Starting and stopping Chromium costs ~0.65 s of
 * CPU, which every browser file paid on a CPU-bound run. Launches one of its own when there is no
 * shared browser (a file run outside the browser project).
 */
export function launch(): Promise<Browser> {
  let ws: string | undefined;
  try {
    ws = inject('browserWs');
  } catch {
    ws = undefined;
  }
  return ws ? chromium.connect(ws) : chromium.launch(CHROMIUM_LAUNCH);
}

export interface OpenedPage {
  context: BrowserContext;
  page: Page;
  /** Uncaught page errors and console errors seen so far. */
  errors: string[];
  /** Every URL the page requested. */
  requests: string[];
}

export async function newPage(browser: Browser, opts: BrowserContextOptions = {}): Promise<OpenedPage> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...opts });
  return openPage(context);
}

/**
 * One more page (a tab) in an existing context, with its own error and request lists: tabs of one
 * context share its storage and its HTTP and compiled-code caches, as tabs of a reader's browser do.
 */
export async function openPage(context: BrowserContext): Promise<OpenedPage> {
  const page = await context.newPage();
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('request', (r) => requests.push(r.url()));
  return { context, page, errors, requests };
}

export function readExerciseFile(id: string, file: string): string {
  return fs.readFileSync(path.join(ROOT, 'exercises', id, file), 'utf8');
}

export function exerciseMeta(id: string): { id: string; title: string; chapter: string; exports: string[] } {
  return JSON.parse(readExerciseFile(id, 'exercise.json')) as { id: string; title: string; chapter: string; exports: string[] };
}

export async function screenshot(page: Page, name: string, opts: { fullPage?: boolean; selector?: string } = {}): Promise<string> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, name);
  if (opts.selector) await page.locator(opts.selector).first().screenshot({ path: file });
  else await page.screenshot({ path: file, fullPage: opts.fullPage ?? false });
  return file;
}

/** The exercise block for `id` on the current page. */
export function exercise(page: Page, id: string) {
  return page.locator(`section.cl-exercise[data-exercise="${id}"]`);
}

/**
 * Scroll `target` to the middle of the window and wait until the layout around it has settled, so
 * that a click lands where it was aimed.
 *
 * Why: parts of a chapter are `content-visibility: auto` with a placeholder height (the static
 * starter listing right above "Open editor": 2000 px; PteGrid 780 px; Timeline 520 px). When a
 * click scrolls such a part near the window for the first time, Chromium lays it out for real a
 * frame or more later (100-300 ms measured, longer under load) and everything below moves — the
 * "Open editor" button by ~4,000 px. Playwright checks the hit target at pointerdown only: when
 * the move fell between pointerdown and pointerup, the click never happened, the test waited for an
 * editor nobody asked for, and a reload (which restores the scroll position, so nothing moves) made
 * it work. That was the openEditor "KNOWN ISSUE" and its reload-and-retry.
 *
 * Settled means: every `content-visibility: auto` element that intersects the window has its
 * contents laid out (not skipped), and `target` has not moved since the last scroll.
 */
export async function settleInView(target: Locator): Promise<void> {
  await target.waitFor({ state: 'visible' });
  const settled = await target.evaluate(async (el) => {
    const auto = [...document.querySelectorAll<HTMLElement>('body *')].filter((e) => getComputedStyle(e).contentVisibility === 'auto');
    const tick = () => new Promise((r) => setTimeout(r, 50));
    for (let i = 0; i < 400; i++) {
      el.scrollIntoView({ block: 'center' });
      const top = el.getBoundingClientRect().top;
      await tick();
      const skipped = auto.filter((e) => {
        const r = e.getBoundingClientRect();
        if (r.bottom < 0 || r.top > innerHeight || r.height === 0) return false;
        // a child with a box of its own (a <link> or <style> first child has none)
        const inner = [...e.children].find((c) => getComputedStyle(c).display !== 'none');
        return inner !== undefined && !inner.checkVisibility({ contentVisibilityAuto: true });
      });
      if (skipped.length === 0 && el.getBoundingClientRect().top === top) return true;
    }
    return false;
  });
  if (!settled) throw new Error('the layout around the target did not settle in 20 s (content-visibility: auto parts still skipped, or the target kept moving)');
}

/** Wait until the page's exercise block `id` has booted (its `data-ready`). */
export async function waitExerciseReady(page: Page, id: string, timeout?: number): Promise<void> {
  await page.waitForFunction(
    (x) => document.querySelector(`section.cl-exercise[data-exercise="${x}"]`)?.getAttribute('data-ready') === 'true',
    id,
    timeout === undefined ? {} : { timeout },
  );
}

/** Open the chapter of exercise `id` on the suite's built site and wait until the exercise has booted. */
export async function gotoChapter(page: Page, id: string): Promise<void> {
  await page.goto(`${baseUrl()}/${exerciseMeta(id).chapter}/`);
  await waitExerciseReady(page, id);
}

/** The Node grader's verdict on `file` for exercise `id` (`grade --format json`), to compare the page with. */
export function gradeInNode(id: string, file: string): { passed: number; total: number; tests: { name: string; status: string; message: string }[] } {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'src/cli/grade.ts'), id, file, '--format', 'json'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return JSON.parse(r.stdout) as { passed: number; total: number; tests: { name: string; status: string; message: string }[] };
}

/** Open the editor of exercise `id` and wait until Monaco (or the textarea) is ready. */
export async function openEditor(page: Page, id: string): Promise<void> {
  const ex = exercise(page, id);
  // A learner opens the editor in the tab they are looking at. With two pages in one context the
  // other one is a background tab, whose animation frames Chromium throttles.
  await page.bringToFront();
  await waitExerciseReady(page, id);
  const open = ex.locator('button[data-action="open"]');
  await settleInView(open);
  await open.click();
  // Generous: this is a liveness bound, not a speed budget (opening the editor is timed in
  // `npm run bench` and printed by exercise.test.ts); a full clean-clone run loads 2 cores heavily.
  await page.waitForFunction(
    (x) => !!document.querySelector(`section.cl-exercise[data-exercise="${x}"]`)?.getAttribute('data-editor-ms'),
    id,
    { timeout: 90_000, polling: 100 },
  );
}

/**
 * A new context on the chapter of exercise `id` with its editor open. Tests that share one opened
 * editor keep the promise (an opening costs ~3 CPU-s, docs/quality.md "Round 7").
 */
export async function openedEditorPage(browser: Browser, id: string, opts: BrowserContextOptions = {}): Promise<OpenedPage> {
  const opened = await newPage(browser, opts);
  await gotoChapter(opened.page, id);
  await openEditor(opened.page, id);
  return opened;
}

/** Replace the editor's whole text (Monaco model or textarea). */
export async function setCode(page: Page, id: string, code: string): Promise<void> {
  await page.evaluate(
    ([x, text]) => {
      const root = document.querySelector<HTMLElement>(`section.cl-exercise[data-exercise="${x}"]`)!;
      const ta = root.querySelector<HTMLTextAreaElement>('textarea.cl-textarea');
      if (ta) {
        ta.value = text;
        ta.dispatchEvent(new Event('input', { bubbles: true }));
        return;
      }
      // Monaco: the model registered for this exercise.
      const w = window as unknown as { __clMonaco?: { editor: { getModels(): { uri: { path: string }; setValue(v: string): void }[] } } };
      const model = w.__clMonaco?.editor.getModels().find((m) => m.uri.path === `/exercises/${x}/solution.ts`);
      if (!model) throw new Error('no Monaco model for ' + x);
      model.setValue(text);
    },
    [id, code] as const,
  );
}

export async function getCode(page: Page, id: string): Promise<string> {
  return page.evaluate((x) => {
    const root = document.querySelector<HTMLElement>(`section.cl-exercise[data-exercise="${x}"]`)!;
    const ta = root.querySelector<HTMLTextAreaElement>('textarea.cl-textarea');
    if (ta) return ta.value;
    const w = window as unknown as { __clMonaco?: { editor: { getModels(): { uri: { path: string }; getValue(): string }[] } } };
    return w.__clMonaco!.editor.getModels().find((m) => m.uri.path === `/exercises/${x}/solution.ts`)!.getValue();
  }, id);
}

/**
 * Put keyboard focus in the editor as a learner would (a click in the text). Monaco 0.57 in
 * Chromium takes input through a native EditContext element, not its hidden textarea.
 */
export async function focusEditor(page: Page, id: string): Promise<void> {
  const ex = exercise(page, id);
  if ((await ex.locator('textarea.cl-textarea').count()) > 0) {
    await ex.locator('textarea.cl-textarea').focus();
    return;
  }
  await ex.locator('.monaco-editor .view-lines').click();
  await page.waitForFunction((x) => !!document.activeElement?.closest(`section[data-exercise="${x}"] .monaco-editor`), id);
}

/** Run the tests with the keyboard shortcut from inside the editor and wait for the results. */
export async function runWithShortcut(page: Page, id: string, timeout = 30_000): Promise<void> {
  await page.evaluate((x) => document.querySelector(`section.cl-exercise[data-exercise="${x}"]`)?.removeAttribute('data-state'), id);
  await focusEditor(page, id);
  await page.keyboard.press('Control+Enter');
  await page.waitForFunction(
    (x) => {
      const s = document.querySelector(`section.cl-exercise[data-exercise="${x}"]`)?.getAttribute('data-state');
      return s === 'passed' || s === 'failed' || s === 'error';
    },
    id,
    { timeout },
  );
}

/**
 * Wait until the last run's late diffs are in (run-control.ts: the verdict is drawn first, the
 * failures' "- Expected / + Received" diffs join their messages after; data-diffs="done").
 */
export async function waitForDiffs(page: Page, id: string, timeout = 15_000): Promise<void> {
  await page.waitForFunction((x) => document.querySelector(`section.cl-exercise[data-exercise="${x}"] [data-part="results"]`)?.getAttribute('data-diffs') === 'done', id, { timeout });
}

/** Built pages (relative to distDir) that contain at least one exercise block. */
export function builtPagesWithExercises(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory() && e.name !== '_astro' && e.name !== 'pagefind') walk(p);
      else if (e.name.endsWith('.html') && fs.readFileSync(p, 'utf8').includes('class="cl-exercise')) out.push(path.relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

/** Put exercise `id`'s starter back with the page's own Reset button (a no-op when the editor already holds it). */
export async function resetToStarter(page: Page, id: string): Promise<void> {
  const starter = readExerciseFile(id, 'starter.ts');
  if ((await getCode(page, id)) === starter) return;
  await exercise(page, id).locator('button[data-action="reset"]').click();
  await page.waitForFunction(
    ([x, text]) => {
      const w = window as unknown as { __clMonaco: { editor: { getModels(): { uri: { path: string }; getValue(): string }[] } } };
      return w.__clMonaco.editor.getModels().find((m) => m.uri.path === `/exercises/${x}/solution.ts`)?.getValue() === text;
    },
    [id, starter] as const,
  );
}
