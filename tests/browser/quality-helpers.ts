/** Helpers shared by the quality gates (tests/browser/quality-*.test.ts, helper Q). */
import type { BrowserContext, Page } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';
import { exercise, exerciseMeta, ROOT, waitExerciseReady } from './helpers.ts';
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

const AXE_SOURCE = fs.readFileSync(path.join(ROOT, 'node_modules/axe-core/axe.min.js'), 'utf8');

/** One axe-core violation, as the tests report it. */
export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; failureSummary?: string }[];
}

/**
 * Serious or critical axe-core violations in the page as it is now. axe is evaluated through the
 * DevTools protocol (so the page's CSP does not block it), once per document. `include`: CSS
 * selectors to check (default the whole document); `exclude`: selectors to leave out. Monaco's
 * faded unused code (`.squiggly-inline-unnecessary`, drawn faint on purpose; the same fact is in
 * the hover and the problems count) is always left out.
 */
export async function axeSerious(page: Page, opts: { include?: string[]; exclude?: string[] } = {}): Promise<AxeViolation[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async ({ include, exclude }) => {
    const a = (window as unknown as { axe: { run(ctx: object, o: object): Promise<{ violations: AxeViolation[] }> } }).axe;
    const ctx = { include: include ? include.map((s) => [s]) : [document], exclude: [['.monaco-editor .squiggly-inline-unnecessary'], ...exclude.map((s) => [s])] };
    const r = await a.run(ctx, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target, failureSummary: n.failureSummary })) }));
  }, { include: opts.include ?? null, exclude: opts.exclude ?? [] });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** Violations as short "rule: first targets" lines (for assertions on one UI state). */
export function axeLines(vs: AxeViolation[]): string[] {
  return vs.map((v) => `${v.id}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
}

/** Violations as a report naming the page, the rule, its impact and up to five offending nodes. */
export function describeViolations(where: string, vs: AxeViolation[]): string[] {
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

/**
 * Wait (up to 5 s) until Expressive Code has made its wide code blocks focusable (tabindex=0, from
 * an idle callback after load): a keyboard user would only arrive after that. Polled on a timer:
 * with several pages at once, only one is the foreground page.
 */
export async function codeBlocksSettled(page: Page): Promise<void> {
  await page
    .waitForFunction(
      () => [...document.querySelectorAll<HTMLElement>('.expressive-code pre')].every((p) => p.scrollWidth <= p.clientWidth || p.hasAttribute('tabindex')),
      undefined,
      { timeout: 5000, polling: 100 },
    )
    .catch(() => undefined);
}
