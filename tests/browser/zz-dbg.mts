import { chromium } from 'playwright-core';
import { serveStatic } from '/work/wt-ui/tests/browser/global-setup.ts';
const server = await serveStatic('/work/wt-ui/node_modules/.cache/collapse-lab/ui-dist');
const port = (server.address() as any).port;
const b = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
const ctx = await b.newContext();
const a = await ctx.newPage();
for (const pg of [a]) { pg.on('console', (m) => console.log('A console', m.type(), m.text())); pg.on('pageerror', (e) => console.log('A pageerror', e.message)); }
await a.goto(`http://127.0.0.1:${port}/04-the-scan/`);
await a.waitForFunction(() => document.querySelector('section[data-exercise="early-abort"]')?.getAttribute('data-ready') === 'true');
const mode = process.argv[2];
if (mode !== 'noeditor') {
  await a.locator('section[data-exercise="early-abort"] button[data-action="open"]').click();
  await a.waitForFunction(() => !!document.querySelector('section[data-exercise="early-abort"]')?.getAttribute('data-editor-ms'), undefined, { timeout: 60000 });
  console.log('editor open');
}
const b2 = await ctx.newPage();
await b2.goto(`http://127.0.0.1:${port}/04-the-scan/`);
await b2.waitForFunction(() => document.querySelector('section[data-exercise="early-abort"]')?.getAttribute('data-ready') === 'true');
await b2.locator('section[data-exercise="early-abort"] button[data-action="open"]').click();
await b2.waitForFunction(() => !!document.querySelector('section[data-exercise="early-abort"]')?.getAttribute('data-editor-ms'), undefined, { timeout: 60000 });
for (const [n, pg] of [['a', a], ['b2', b2]] as const) {
  const t0 = Date.now();
  console.log('RESP', n, await Promise.race([pg.evaluate(() => document.visibilityState + ' ' + document.hasFocus()), new Promise((r) => setTimeout(() => r('TIMEOUT'), 5000))]), Date.now() - t0);
}
for (const [pg, text] of [[b2, '// from B'], [a, '// from A']] as const) {
  await pg.bringToFront();
  await pg.locator('section[data-exercise="early-abort"] .monaco-editor .view-lines').click();
  await pg.keyboard.press('Control+End');
  await pg.keyboard.type(text);
  await pg.waitForTimeout(1500);
}
console.log('typed');
const p = await ctx.newPage();
p.on('console', (m) => console.log('P console', m.type(), m.text()));
p.on('pageerror', (e) => console.log('P pageerror', e.message));
const t0 = Date.now();
await p.goto(`http://127.0.0.1:${port}/progress/`, { waitUntil: 'domcontentloaded' });
console.log('dcl', Date.now() - t0);
const r = await Promise.race([p.evaluate(() => document.querySelectorAll('.cl-backups').length), new Promise((r) => setTimeout(() => r('TIMEOUT'), 15000))]);
console.log('eval', r, Date.now() - t0);
await b.close(); server.close();
