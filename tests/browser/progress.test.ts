/**
 * The progress page: statuses from this browser's saved work, and Export → Import round trip in
 * the work format that `npm run grade -- --work` reads (src/grading/work.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseWork } from '../../src/grading/work.ts';
import { baseUrl, launch, newPage, readExerciseFile, screenshot } from './helpers.ts';

let browser: Browser;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});

const SEED = {
  'collapse-lab:v1:early-abort': { code: readExerciseFile('early-abort', 'solution.ts'), savedAt: '2026-11-20T10:00:00.000Z', starterHash: '0badf00d', passed: true, passedAt: '2026-11-20T10:00:00.000Z' },
  'collapse-lab:v1:uffd-wp': { code: '// half done\n', savedAt: '2026-11-21T09:30:00.000Z' },
};

describe('progress page', () => {
  it('lists every exercise with its status; Export → Import round-trips the work', async () => {
    const exerciseIds = fs.readdirSync(path.resolve('exercises')).filter((d) => fs.existsSync(path.resolve('exercises', d, 'exercise.json')));

    // Browser A: some saved work.
    const a = await newPage(browser, { acceptDownloads: true });
    await a.page.addInitScript((seed) => {
      if (sessionStorage.getItem('seeded')) return;
      for (const [k, v] of Object.entries(seed)) localStorage.setItem(k, JSON.stringify(v));
      sessionStorage.setItem('seeded', '1');
    }, SEED);
    await a.page.goto(`${baseUrl()}/progress/`);
    const rows = a.page.locator('.cl-progress tr[data-exercise]');
    expect((await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-exercise')))).sort()).toEqual(exerciseIds.sort());
    const status = (id: string) => a.page.locator(`.cl-progress tr[data-exercise="${id}"] [data-part="status"]`).innerText();
    expect(await status('early-abort')).toMatch(/^✓ Passed/);
    expect(await status('uffd-wp')).toMatch(/^Started/);
    expect(await a.page.locator('.cl-progress [data-part="continue"]').innerText()).toMatch(/Continue where you left off/);
    await screenshot(a.page, 'progress.png', { fullPage: true });

    const [download] = await Promise.all([a.page.waitForEvent('download'), a.page.locator('button[data-action="export"]').click()]);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cl-export-')), download.suggestedFilename());
    await download.saveAs(file);
    const work = parseWork(fs.readFileSync(file, 'utf8'));
    expect(work.course).toBe(JSON.parse(fs.readFileSync('package.json', 'utf8')).version);
    expect(Object.keys(work.exercises).sort()).toEqual(['early-abort', 'uffd-wp']);
    expect(work.exercises['early-abort']).toEqual({ code: SEED['collapse-lab:v1:early-abort'].code, savedAt: '2026-11-20T10:00:00.000Z', passed: true, starterHash: '0badf00d' });
    await a.context.close();

    // Browser B: empty, imports the file; one exercise already has different code here.
    const b = await newPage(browser);
    await b.page.addInitScript(() => {
      if (sessionStorage.getItem('seeded')) return;
      localStorage.setItem('collapse-lab:v1:uffd-wp', JSON.stringify({ code: '// other machine\n', savedAt: '2026-11-22T08:00:00.000Z' }));
      sessionStorage.setItem('seeded', '1');
    });
    await b.page.goto(`${baseUrl()}/progress/`);
    await b.page.locator('input[data-action="import"]').setInputFiles(file);
    const msg = b.page.locator('.cl-transfer [data-part="message"]');
    await msg.filter({ hasText: 'Imported' }).waitFor();
    expect(await msg.innerText()).toMatch(/Imported 2 exercises/);
    expect(await msg.innerText()).toMatch(/uffd-wp → “collapse-lab:v1:uffd-wp:backup:/);
    const stored = await b.page.evaluate(() => Object.fromEntries(Object.keys(localStorage).filter((k) => k.startsWith('collapse-lab:')).map((k) => [k, localStorage.getItem(k)])));
    expect(JSON.parse(stored['collapse-lab:v1:early-abort']!).code).toBe(SEED['collapse-lab:v1:early-abort'].code);
    expect(JSON.parse(stored['collapse-lab:v1:uffd-wp']!).code).toBe('// half done\n');
    const backup = Object.keys(stored).find((k) => k.startsWith('collapse-lab:v1:uffd-wp:backup:'))!;
    expect(JSON.parse(stored[backup]!).code).toBe('// other machine\n');
    expect(await b.page.locator('.cl-progress tr[data-exercise="early-abort"] [data-part="status"]').innerText()).toMatch(/^✓ Passed/);

    // A file that is not an export is refused with a reason, and changes nothing.
    const bad = path.join(path.dirname(file), 'not-work.json');
    fs.writeFileSync(bad, JSON.stringify({ hello: 'world' }));
    await b.page.locator('input[data-action="import"]').setInputFiles(bad);
    await msg.filter({ hasText: 'Nothing was imported' }).waitFor();
    expect(await msg.innerText()).toMatch(/format/);
    await b.context.close();
  });
});
