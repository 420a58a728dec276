/**
 * Bench (Chromium, the built site): what the learner waits for on a chapter page.
 * - editor-open: click "Open editor" → Monaco usable (the page's own data-editor-ms: from the click
 *   to the editor focused with the code in it), fresh browser context each time; budget ≤ 2 s.
 * - run-tests-cold: the first "Run tests" on a page, right after the editor opened (runner bundle
 *   fetched and parsed, worker started); budget ≤ 600 ms.
 * - run-tests-warm: a later click after the previous results have been on screen for 2 s (a learner
 *   reads them first; a fresh worker per run, started and primed in advance); budget ≤ 150 ms median.
 * - run-tests-back-to-back: clicks with no pause (the next spare may still be starting or
 *   priming); budget ≤ 300 ms median.
 * Run time is measured in the page: from the click on "Run tests" to the moment the verdict is
 * written (data-state passed/failed), observed with a MutationObserver.
 */
import { chromium, type Page } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';
import type { BenchResult } from './run.ts';
import { CHROMIUM, CHROMIUM_ARGS, ensureBuild, machine, median, ROOT, serve } from './site.ts';

const ID = 'early-abort';
const COLD_SAMPLES = 5;
const WARM_SAMPLES = 11;
const BACK_TO_BACK_SAMPLES = 11;
/** How long the results stay on screen before a "warm" click. */
const READ_MS = 2000;

async function clickRun(page: Page): Promise<number> {
  return page.evaluate(
    (id) =>
      new Promise<number>((resolve, reject) => {
        const root = document.querySelector<HTMLElement>(`section.cl-exercise[data-exercise="${id}"]`)!;
        root.removeAttribute('data-state');
        const btn = root.querySelector<HTMLButtonElement>('button[data-action="run"]')!;
        let t0 = 0;
        const obs = new MutationObserver(() => {
          const s = root.getAttribute('data-state');
          if (s === 'passed' || s === 'failed' || s === 'error') {
            obs.disconnect();
            if (s === 'error') reject(new Error('the run ended in error'));
            else resolve(performance.now() - t0);
          }
        });
        obs.observe(root, { attributes: true, attributeFilter: ['data-state'] });
        t0 = performance.now();
        btn.click();
      }),
    ID,
  );
}

export async function run(): Promise<BenchResult[]> {
  const { dir } = await ensureBuild();
  const meta = JSON.parse(fs.readFileSync(path.join(ROOT, 'exercises', ID, 'exercise.json'), 'utf8')) as { chapter: string };
  const server = await serve(dir);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const editorMs: number[] = [];
  const coldMs: number[] = [];
  const warmMs: number[] = [];
  const backToBackMs: number[] = [];
  const solutionMs: number[] = [];
  try {
    for (let i = 0; i < COLD_SAMPLES; i++) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const page = await context.newPage();
      await page.goto(`${server.base}/${meta.chapter}/`, { waitUntil: 'load' });
      await page.waitForFunction((id) => document.querySelector(`section[data-exercise="${id}"]`)?.getAttribute('data-ready') === 'true', ID);
      await page.locator(`section[data-exercise="${ID}"] button[data-action="open"]`).click();
      const ms = await page.waitForFunction((id) => document.querySelector(`section[data-exercise="${id}"]`)?.getAttribute('data-editor-ms'), ID, { timeout: 60_000 });
      editorMs.push(Number(await ms.jsonValue()));
      if ((await page.locator(`section[data-exercise="${ID}"]`).getAttribute('data-editor')) !== 'monaco') throw new Error('the editor that opened is not Monaco');
      coldMs.push(await clickRun(page));
      if (i === 0) {
        for (let j = 0; j < WARM_SAMPLES; j++) {
          await page.waitForTimeout(READ_MS);
          warmMs.push(await clickRun(page));
        }
        for (let j = 0; j < BACK_TO_BACK_SAMPLES; j++) backToBackMs.push(await clickRun(page));
        // the same with the reference solution in the editor (every test passes)
        const solution = fs.readFileSync(path.join(ROOT, 'exercises', ID, 'solution.ts'), 'utf8');
        await page.evaluate(([id, code]) => {
          const w = window as unknown as { __clMonaco: { editor: { getModels(): { uri: { path: string }; setValue(v: string): void }[] } } };
          w.__clMonaco.editor.getModels().find((m) => m.uri.path === `/exercises/${id}/solution.ts`)!.setValue(code!);
        }, [ID, solution]);
        for (let j = 0; j < 5; j++) {
          await page.waitForTimeout(READ_MS);
          solutionMs.push(await clickRun(page));
        }
      }
      await context.close();
    }
  } finally {
    await browser.close();
    await server.close();
  }
  const m = machine();
  const ms = (xs: number[]) => xs.map((x) => Math.round(x));
  const p90 = (xs: number[]) => Math.round([...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.9)]!);
  return [
    { name: 'editor-open', value: Math.round(median(editorMs)), unit: 'ms', budget: 2000, details: { samples: ms(editorMs), page: meta.chapter, ...m } },
    { name: 'run-tests-cold', value: Math.round(median(coldMs)), unit: 'ms', budget: 600, details: { samples: ms(coldMs), exercise: ID, code: 'starter' } },
    { name: 'run-tests-warm', value: Math.round(median(warmMs)), unit: 'ms', budget: 150, details: { samples: ms(warmMs), exercise: ID, code: 'starter', readMs: READ_MS, solution_samples: ms(solutionMs), solution_median: Math.round(median(solutionMs)), p90: p90(warmMs) } },
    { name: 'run-tests-back-to-back', value: Math.round(median(backToBackMs)), unit: 'ms', budget: 300, details: { samples: ms(backToBackMs), exercise: ID, code: 'starter', p90: p90(backToBackMs) } },
  ];
}
