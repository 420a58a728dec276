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
    // Reading progress: a chapter read to its end, and a quiz answer reported the way the Quiz
    // component reports it (the `collapse-lab:quiz` event on document).
    const chapter = fs.readdirSync(path.resolve('content')).filter((f) => /^\d\d-.*\.mdx$/.test(f)).sort()[1]!.replace(/\.mdx$/, '');
    await a.page.goto(`${baseUrl()}/${chapter}/`);
    await a.page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
    await a.page.waitForFunction((c) => JSON.parse(localStorage.getItem('collapse-lab:progress:v1') ?? '{"chapters":{}}').chapters[c], chapter, { timeout: 15_000 });
    await a.page.evaluate(
      (c) => document.dispatchEvent(new CustomEvent('collapse-lab:quiz', { detail: { page: `/${c}/`, quiz: 'cl-quiz-test1', correct: true } })),
      chapter,
    );
    await a.page.goto(`${baseUrl()}/progress/`);
    const readRow = a.page.locator(`.cl-reading tr[data-page="${chapter}"]`);
    expect(await readRow.locator('[data-part="read"]').innerText()).toMatch(/^✓ Read/);
    expect(await readRow.locator('[data-part="quizzes"]').innerText()).toMatch(/^1 of \d+ answered, 1 right$/);
    expect(await a.page.locator('.cl-reading [data-part="reading-summary"]').innerText()).toMatch(/^1 of \d+ chapters read to the end; 1 of \d+ quizzes answered/);
    await a.page.locator('.cl-reading').evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await screenshot(a.page, 'progress-reading.png');
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
    const exported = JSON.parse(fs.readFileSync(file, 'utf8')) as { progress?: { chapters: Record<string, unknown>; quizzes: Record<string, Record<string, unknown>> } };
    // the optional progress field carries the reading progress; the rest is a valid v1 work file
    expect(Object.keys(exported.progress!.chapters)).toEqual([chapter]);
    expect(Object.keys(exported.progress!.quizzes[chapter]!)).toEqual(['cl-quiz-test1']);
    const { progress: _p, ...workOnly } = exported;
    const work = parseWork(workOnly);
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
    expect(await msg.innerText()).toMatch(/previous code for uffd-wp is kept under “Backups”/);
    expect(await msg.innerText()).toMatch(/Reading progress: 1 chapter read and 1 quiz answer added/);
    const stored = await b.page.evaluate(() => Object.fromEntries(Object.keys(localStorage).filter((k) => k.startsWith('collapse-lab:')).map((k) => [k, localStorage.getItem(k)])));
    expect(JSON.parse(stored['collapse-lab:v1:early-abort']!).code).toBe(SEED['collapse-lab:v1:early-abort'].code);
    expect(JSON.parse(stored['collapse-lab:v1:uffd-wp']!).code).toBe('// half done\n');
    const ring = JSON.parse(stored['collapse-lab:v1:uffd-wp:backups']!) as { entries: { code: string; reason: string }[] };
    expect(ring.entries).toMatchObject([{ code: '// other machine\n', reason: 'import' }]);
    // A pass that only came with the file is not a pass here.
    const eaStatus = b.page.locator('.cl-progress tr[data-exercise="early-abort"] [data-part="status"]');
    expect(await eaStatus.innerText()).toMatch(/imported — not run here/);
    expect(await eaStatus.innerText()).not.toMatch(/✓/);
    expect(await b.page.locator('.cl-progress [data-part="summary"]').innerText()).toMatch(/^0 of \d+ exercises passed/);
    expect(await b.page.locator(`.cl-reading tr[data-page="${chapter}"] [data-part="read"]`).innerText()).toMatch(/^✓ Read/);
    // the replaced code is listed under Backups
    expect(await b.page.locator('.cl-backups li.cl-backup[data-exercise="uffd-wp"]').count()).toBe(1);
    await screenshot(b.page, 'progress-after-import.png', { fullPage: true });

    // Unknown exercise ids are ignored and named, and take no storage.
    const flood = path.join(path.dirname(file), 'flood.json');
    const ids = Array.from({ length: 3000 }, (_, i) => `made-up-${i}`);
    fs.writeFileSync(flood, JSON.stringify({ ...workOnly, exercises: { ...Object.fromEntries(ids.map((id) => [id, { code: 'x'.repeat(1000), savedAt: '2026-11-20T10:00:00.000Z' }])) } }));
    await b.page.locator('input[data-action="import"]').setInputFiles(flood);
    await msg.filter({ hasText: 'Ignored' }).waitFor();
    expect(await msg.innerText()).toMatch(/Imported 0 exercises.*Ignored 3000 exercise ids this course does not have: made-up-0, made-up-1, made-up-2, made-up-3, made-up-4, and 2995 more\./s);
    expect(await b.page.evaluate(() => Object.keys(localStorage).filter((k) => k.includes('made-up')).length)).toBe(0);

    // A file that is not an export is refused with a reason, and changes nothing.
    const bad = path.join(path.dirname(file), 'not-work.json');
    fs.writeFileSync(bad, JSON.stringify({ hello: 'world' }));
    await b.page.locator('input[data-action="import"]').setInputFiles(bad);
    await msg.filter({ hasText: 'Nothing was imported' }).waitFor();
    expect(await msg.innerText()).toMatch(/format/);
    await b.context.close();
  });
});
