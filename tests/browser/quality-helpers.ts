/** Helpers shared by the quality gates (tests/browser/quality-*.test.ts, helper Q). */
import type { BrowserContext, Page } from 'playwright-core';
import { exercise, exerciseMeta, waitExerciseReady } from './helpers.ts';
import { builtPages } from './page-weight.ts';

/** The page URL (path) of a built HTML file: "04-the-scan/index.html" → "/04-the-scan/". */
export function pagePath(html: string): string {
  if (html === 'index.html') return '/';
  if (html.endsWith('/index.html')) return `/${html.slice(0, -'index.html'.length)}`;
  return `/${html}`;
}

/** Every built page as a URL path (404.html included: hosts serve it). */
export function allPagePaths(distDir: string): string[] {
  return builtPages(distDir).map(pagePath);
}

/** Record CSP violations in the page (securitypolicyviolation), readable with {@link cspViolations}. */
export async function watchCsp(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const w = window as unknown as { __cspViolations?: string[] };
    w.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      w.__cspViolations!.push(`${e.effectiveDirective} blocked ${e.blockedURI || '(inline)'} at ${e.sourceFile}:${e.lineNumber} sample=${e.sample}`);
    });
  });
}

export async function cspViolations(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { __cspViolations?: string[] }).__cspViolations ?? []);
}

/** Every request the context makes (pages, workers, service worker), as URLs. */
export function recordRequests(context: BrowserContext): string[] {
  const urls: string[] = [];
  context.on('request', (r) => urls.push(r.url()));
  return urls;
}

/** Requests that leave the site: not same-origin and not an in-memory data:/blob: URL. */
export function foreign(urls: string[], origin: string): string[] {
  return urls.filter((u) => {
    if (/^(data|blob):/.test(u)) return false;
    try {
      return new URL(u).origin !== origin;
    } catch {
      return true;
    }
  });
}

export async function gotoExercise(page: Page, base: string, id: string): Promise<void> {
  await page.goto(`${base}/${exerciseMeta(id).chapter}/`);
  await waitExerciseReady(page, id);
}

/** Click "Run tests" and wait for a verdict; returns the results area's text. */
export async function runTests(page: Page, id: string, timeout = 60_000): Promise<{ state: string; text: string }> {
  const ex = exercise(page, id);
  await page.evaluate((x) => document.querySelector(`section.cl-exercise[data-exercise="${x}"]`)?.removeAttribute('data-state'), id);
  await ex.locator('button[data-action="run"]').click();
  const h = await page.waitForFunction(
    (x) => {
      const s = document.querySelector(`section.cl-exercise[data-exercise="${x}"]`)?.getAttribute('data-state');
      return s === 'passed' || s === 'failed' || s === 'error' ? s : null;
    },
    id,
    { timeout },
  );
  const state = String(await h.jsonValue());
  const text = await ex.locator('[data-part="results"]').innerText();
  return { state, text };
}
