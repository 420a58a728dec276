/**
 * The Playground (/playground/, issue 14) in Chromium, on the built site: a chapter picture's "Open
 * in Playground" link reproduces the picture exactly (same result, same grid cell by cell, same
 * timeline steps); the form writes the URL under the CLI flag names and the "copy as CLI" command
 * gives the same result in a terminal; several PMDs; the lock checker's bugs; bad input names the
 * item and never shows a stack trace; the page's first load stays within the 50 KB budget.
 * Screenshots go to test-artifacts/playground-*.png.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import { ROOT, baseUrl, distDir, launch, newPage, screenshot } from './helpers.ts';
import { pageWeight } from './page-weight.ts';
import { axeLines, axeSerious } from './quality-helpers.ts';

let browser: Browser;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});

/** Built chapter pages that have at least one "Open in Playground" link, in reading order. */
function pagesWithLinks(): string[] {
  const dir = distDir();
  return fs
    .readdirSync(dir)
    .filter((d) => /^\d\d-/.test(d) && fs.readFileSync(path.join(dir, d, 'index.html'), 'utf8').includes('cl-open-playground'))
    .sort()
    .map((d) => `/${d}/`);
}

async function waitDone(page: Page): Promise<string> {
  await page.waitForFunction(() => {
    const s = document.querySelector('[data-cl-playground]')?.getAttribute('data-state');
    return s === 'done' || s === 'error';
  }, undefined, { timeout: 30_000 });
  return (await page.locator('[data-cl-playground]').getAttribute('data-state'))!;
}

/** What a picture shows, read from its markup: the result and, per PMD, the cells, stop and changes. */
async function gridFacts(fig: Locator) {
  return {
    result: await fig.getAttribute('data-result'),
    pmds: await fig.locator('[data-cl-pmd]').evaluateAll((els) =>
      els.map((e) => {
        const d = (e as HTMLElement).dataset;
        return { runs: d.runs, ptes: d.ptes, stop: d.stop, changes: d.changes, shown: d.shown };
      }),
    ),
    cells: await fig.locator('svg.cl-ptegrid-svg rect[fill^="url("]').count(),
  };
}

describe('Playground', () => {
  it('every chapter grid’s "Open in Playground" link reproduces it: same result, same grid, same stop slot', async () => {
    const { context, page, errors } = await newPage(browser);
    const pages = pagesWithLinks();
    expect(pages.length).toBeGreaterThan(2);
    let checked = 0;
    for (const chapter of pages) {
      await page.goto(baseUrl() + chapter);
      const figs = page.locator('figure[data-cl-ptegrid]');
      const n = await figs.count();
      const wanted: { href: string; facts: Awaited<ReturnType<typeof gridFacts>> }[] = [];
      for (let i = 0; i < n; i++) {
        const fig = figs.nth(i);
        const href = (await fig.locator('.cl-open-playground a').getAttribute('href'))!;
        expect(href).toMatch(/^\/playground\/\?layout=/);
        wanted.push({ href, facts: await gridFacts(fig) });
      }
      for (const w of wanted) {
        await page.goto(baseUrl() + w.href);
        expect(await waitDone(page), `${chapter} → ${w.href}`).toBe('done');
        const got = await gridFacts(page.locator('[data-cl-pg-out] figure[data-cl-ptegrid]'));
        expect(got, `${chapter} → ${w.href}`).toEqual(w.facts);
        expect(await page.getByTestId('playground-result').innerText()).toBe(w.facts.result);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(5);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('a chapter timeline’s link reproduces its steps', async () => {
    const { context, page, errors } = await newPage(browser);
    const chapter = pagesWithLinks().find((p) => fs.readFileSync(path.join(distDir(), p, 'index.html'), 'utf8').includes('data-cl-timeline'))!;
    await page.goto(baseUrl() + chapter);
    const fig = page.locator('figure[data-cl-timeline]').first();
    const steps = await fig.locator('[data-cl-steps] > li').allTextContents();
    const result = await fig.getAttribute('data-result');
    const href = (await fig.locator('.cl-open-playground a').getAttribute('href'))!;
    await page.goto(baseUrl() + href);
    expect(await waitDone(page)).toBe('done');
    const tl = page.locator('[data-cl-pg-out] figure[data-cl-timeline]');
    expect(await tl.getAttribute('data-result')).toBe(result);
    expect(await tl.locator('[data-cl-steps] > li').allTextContents()).toEqual(steps);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('the form writes the URL with the CLI flag names, and the copied command gives the same result in a terminal', async () => {
    const { context, page, errors } = await newPage(browser);
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
    await page.goto(baseUrl() + '/playground/');
    expect(await page.locator('[data-cl-playground]').getAttribute('data-state')).toBeNull(); // nothing runs before intent
    await page.locator('input[name="layout"]').fill('page*448,swap*64');
    await page.locator('select[name="kernel"]').selectOption('before');
    await page.locator('input[name="knob:max_ptes_swap"]').fill('8');
    await page.getByRole('button', { name: 'Run' }).click();
    expect(await waitDone(page)).toBe('done');
    expect(await page.getByTestId('playground-result').innerText()).toBe('SCAN_EXCEED_SWAP_PTE');
    expect(new URL(page.url()).search).toBe('?layout=page*448,swap*64&kernel=before&knob=max_ptes_swap=8');
    const cli = await page.locator('[data-cl-pg-cli]').innerText();
    expect(cli).toBe("npm run --silent collapse -- --layout 'page*448,swap*64' --kernel before --knob max_ptes_swap=8");
    await page.getByRole('button', { name: 'Copy as CLI command' }).click();
    await page.waitForFunction(() => !!document.querySelector('[data-cl-pg-copied]')?.textContent);
    const copied = (await page.locator('[data-cl-pg-copied]').innerText()).startsWith('Copied')
      ? await page.evaluate(() => navigator.clipboard.readText())
      : await page.evaluate(() => String(document.getSelection()));
    expect(copied).toBe(cli);
    // the command, run for real (Node 24 running the CLI directly instead of through npm)
    const args = [...cli.replace('npm run --silent collapse -- ', '').matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]);
    const out = JSON.parse(execFileSync(process.execPath, ['src/cli/collapse.ts', ...args, '--json'], { cwd: ROOT, encoding: 'utf8' })) as { result: string };
    expect(out.result).toBe('SCAN_EXCEED_SWAP_PTE');
    // the grid marks the 9th swap PTE, slot 456
    expect(await page.locator('[data-cl-pg-out] [data-cl-pmd]').getAttribute('data-stop')).toBe('456:SCAN_EXCEED_SWAP_PTE');
    await screenshot(page, 'playground-form.png', { fullPage: true });
    expect(errors).toEqual([]);
    await context.close();
  });

  it('tells the story of the attempt in the CLI’s words, above the raw trace, which stays folded', async () => {
    const { context, page, errors } = await newPage(browser);
    await page.goto(baseUrl() + '/playground/?layout=page*448,swap*64&kernel=v3-as-posted&window=500=migration');
    expect(await waitDone(page)).toBe('done');
    const story = page.locator('[data-cl-pg-out] [data-cl-pg-story]');
    expect(await story.isVisible()).toBe(true);
    // the same lines `collapse` prints under "what happened, in order:" (the CLI run for real)
    const cli = execFileSync(process.execPath, ['src/cli/collapse.ts', '--layout', 'page*448,swap*64', '--kernel', 'v3-as-posted', '--window', '500=migration'], { cwd: ROOT, encoding: 'utf8' }).split('\n');
    const from = cli.indexOf('what happened, in order:');
    expect(from).toBeGreaterThan(0);
    expect((await story.textContent())!.split('\n')).toEqual(cli.slice(from + 1, cli.indexOf('', from)));
    // above the raw trace, which is still there and folded
    const trace = page.locator('[data-cl-pg-out] details.cl-pg-trace');
    expect(await trace.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(false);
    expect(await story.evaluate((el, t) => !!(el.compareDocumentPosition(t!) & Node.DOCUMENT_POSITION_FOLLOWING), await trace.elementHandle())).toBe(true);
    await story.scrollIntoViewIfNeeded();
    await screenshot(page, 'playground-story.png');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('draws several PMDs, one row each with its result, from repeated layout= parameters', async () => {
    const { context, page, errors } = await newPage(browser);
    await page.goto(baseUrl() + '/playground/?layout=page*300,guard,page*211&layout=page*512&kernel=after&madvise=1');
    expect(await waitDone(page)).toBe('done');
    const rows = page.locator('[data-cl-pg-out] [data-cl-pmd]');
    expect(await rows.count()).toBe(2);
    expect(await rows.nth(0).getAttribute('data-result')).toBe('SCAN_PTE_NON_PRESENT');
    expect(await rows.nth(0).getAttribute('data-stop')).toBe('300:SCAN_PTE_NON_PRESENT');
    expect(await rows.nth(1).getAttribute('data-result')).toBe('SCAN_SUCCEED');
    expect(await page.locator('input[name="layout"]').count()).toBe(2); // the form shows both PMDs
    expect(await page.locator('[data-cl-pg-cli]').innerText()).toContain("--layout 'page*300,guard,page*211' --layout 'page*512' --kernel after --madvise");
    await screenshot(page, 'playground-several-pmds.png', { fullPage: true });
    expect(errors).toEqual([]);
    await context.close();
  });

  it('v3 as posted: the bugs the lock checker found are listed with their call path', async () => {
    const { context, page, errors } = await newPage(browser);
    await page.goto(baseUrl() + '/playground/?layout=page*448,swap*64&kernel=v3-as-posted&window=500=migration');
    expect(await waitDone(page)).toBe('done');
    const bugs = page.locator('.cl-pg-bugs > li');
    expect(await bugs.count()).toBeGreaterThan(0);
    expect(await page.locator('.cl-pg-bugs').innerText()).toMatch(/leaked-lock/);
    expect(await page.locator('.cl-pg-summary h3').innerText()).toMatch(/^Bugs the lock checker found \([1-9]\d*\)$/);
    // the same URL with the fixed kernel: no bugs
    await page.goto(baseUrl() + '/playground/?layout=page*448,swap*64&kernel=after&window=500=migration');
    expect(await waitDone(page)).toBe('done');
    expect(await page.locator('.cl-pg-bugs > li').count()).toBe(0);
    expect(await page.locator('.cl-pg-summary h3').innerText()).toBe('Bugs the lock checker found (0)');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('bad input: a clear message naming the item and the total, no stack trace, the typed text kept', async () => {
    const { context, page, errors } = await newPage(browser);
    await page.goto(baseUrl() + '/playground/?layout=page*512&layout=page*500,swap*11');
    expect(await waitDone(page)).toBe('error');
    const msg = page.getByTestId('playground-error');
    expect(await msg.innerText()).toBe('layout of PMD 1 ("page*500,swap*11"): the layout adds up to 511 PTEs, not 512.');
    expect(await page.getByTestId('playground-result').count()).toBe(0);
    expect(await page.locator('input[name="layout"]').nth(1).inputValue()).toBe('page*500,swap*11');
    // typed in the form: an unknown kind and a knob out of range, both named
    await page.locator('input[name="layout"]').nth(1).fill('page*511,gaurd');
    await page.locator('input[name="knob:max_ptes_none"]').fill('600');
    await page.getByRole('button', { name: 'Run' }).click();
    expect(await waitDone(page)).toBe('error');
    const text = await msg.innerText();
    expect(text).toMatch(/^layout of PMD 1 \("page\*511,gaurd"\): layout item 2 "gaurd": unknown kind "gaurd"; known kinds: page, /);
    expect(text).toMatch(/knob.*max_ptes_none.*"600"/);
    expect(text).not.toMatch(/\bat \S+:\d+:\d+|Error:|undefined/);
    await screenshot(page, 'playground-error.png');
    // a flag given twice with different values
    await page.goto(baseUrl() + '/playground/?layout=page*512&kernel=before&kernel=after');
    expect(await waitDone(page)).toBe('error');
    expect(await msg.innerText()).toMatch(/kernel is given twice with different values \("before" and "after"\)/);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('every example link runs: the guard before and after the patch give the chapters’ results', async () => {
    const { context, page, errors } = await newPage(browser);
    await page.goto(baseUrl() + '/playground/');
    const hrefs = await page.locator('.cl-pg-examples a').evaluateAll((as) => as.map((a) => a.getAttribute('href')!));
    expect(hrefs.length).toBeGreaterThan(3);
    const results: string[] = [];
    for (const h of hrefs) {
      await page.goto(baseUrl() + h);
      expect(await waitDone(page), h).toBe('done');
      results.push(await page.getByTestId('playground-result').innerText());
    }
    expect(results.slice(0, 2)).toEqual(['SCAN_FAIL', 'SCAN_PTE_NON_PRESENT']);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('hostile links: markup in any parameter is shown as text, never parsed into the page', async () => {
    const { context, page } = await newPage(browser);
    const evil = '<img src=x id=pwned onerror=window.__pwned=1>'; // no double quotes: JSON keeps it as is
    const enc = encodeURIComponent(evil);
    const urls = [
      `?layout=${enc}`,
      `?layout=page*512&window=${enc}`,
      `?layout=page*512&knob=${enc}`,
      `?layout=page*512&kernel=${enc}`,
      `?layout=page*512&${enc}=1`,
      `?layout=page*512&schedule=${encodeURIComponent(JSON.stringify([{ at: 'alloc', actor: evil, slot: 3 }]))}`,
      `?layout=page*512&focus=${enc}`,
    ];
    // a valid scenario that carries the markup into the drawn result (the schedule is shown as given)
    const drawn = `?layout=page*448,swap*64&schedule=${encodeURIComponent(JSON.stringify([{ at: 'alloc', actor: 'migration_start', slot: 450, note: evil }]))}`;
    await page.goto(baseUrl() + '/playground/' + drawn);
    expect(await waitDone(page)).toBe('done');
    expect(await page.locator('[data-cl-pg-out] .cl-timeline-meta').innerText()).toContain(evil);
    urls.push(drawn);
    for (const q of urls) {
      await page.goto(baseUrl() + '/playground/' + q);
      const state = await waitDone(page);
      const injected = await page.evaluate(() => ({ img: !!document.querySelector('#pwned, img[src="x"]'), flag: (window as unknown as { __pwned?: number }).__pwned ?? 0 }));
      expect(injected, q).toEqual({ img: false, flag: 0 });
      if (state === 'error') expect(await page.getByTestId('playground-error').innerText(), q).toContain('<img');
    }
    await context.close();
  });

  for (const scheme of ['light', 'dark'] as const) {
    it(`no serious or critical axe violation with a result drawn and with an error shown (${scheme})`, async () => {
      const { context, page } = await newPage(browser, { colorScheme: scheme });
      await page.goto(baseUrl() + '/playground/?layout=page*448,swap*64&layout=page*511,guard&kernel=v3-as-posted&window=500=migration');
      expect(await waitDone(page)).toBe('done');
      await screenshot(page, `playground-result-${scheme}.png`, { fullPage: true });
      await page.locator('.cl-pg-trace summary').click(); // the trace, open, is checked too
      expect(axeLines(await axeSerious(page))).toEqual([]);
      await page.goto(baseUrl() + '/playground/?layout=page*511');
      expect(await waitDone(page)).toBe('error');
      expect(axeLines(await axeSerious(page))).toEqual([]);
      await context.close();
    });
  }

  it('ships ≤ 50 KB gzip of JS+CSS before a scenario runs (the engine loads on intent)', () => {
    const w = pageWeight(distDir(), 'playground/index.html');
    expect(w.files.map((f) => f.file).join(' ')).not.toMatch(/render|khugepaged|engine/);
    expect({ total: w.total, ok: w.total <= 50 * 1024 }).toMatchObject({ ok: true });
  });
});
