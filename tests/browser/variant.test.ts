/**
 * Issue 15 in the built site: a course page opened with ?seed=… shows "Your variant: …" on the
 * race-schedule exercise, and "Run tests" grades that variant (a schedule solved for another seed
 * fails it); without a seed the page is unchanged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { deriveVariant, describeVariant, type RaceScheduleVariant } from '../../src/grading/variant.ts';
import { baseUrl, exercise, launch, newPage, openEditor, runWithShortcut, setCode, waitExerciseReady } from './helpers.ts';

const solve = (v: RaceScheduleVariant) => `import type { Schedule } from 'collapse-lab/engine';\nexport const schedule: Schedule = [{ at: 'alloc', actor: '${v.actor}', slot: ${v.slot} }];\n`;
let browser: Browser;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});

describe('?seed= on a course page', () => {
  it('shows the variant under the exercise title and grades that variant', async () => {
    const alice = deriveVariant('race-schedule', 'alice') as RaceScheduleVariant;
    const bob = deriveVariant('race-schedule', 'bob') as RaceScheduleVariant;
    const { page, context } = await newPage(browser);
    try {
      await page.goto(`${baseUrl()}/06-the-window/?seed=alice`);
      const banner = exercise(page, 'race-schedule').locator('.cl-variant');
      await banner.waitFor();
      expect(await banner.textContent()).toContain(describeVariant(alice));
      await openEditor(page, 'race-schedule');
      await setCode(page, 'race-schedule', solve(alice));
      await runWithShortcut(page, 'race-schedule');
      expect(await exercise(page, 'race-schedule').getAttribute('data-state'), "alice's schedule on alice's page").toBe('passed');
      await setCode(page, 'race-schedule', solve(bob));
      await runWithShortcut(page, 'race-schedule');
      expect(await exercise(page, 'race-schedule').getAttribute('data-state'), "bob's schedule on alice's page").toBe('failed');
    } finally {
      await context.close();
    }
  });

  it('without a seed there is no banner and any real race passes', async () => {
    const { page, context } = await newPage(browser);
    try {
      await page.goto(`${baseUrl()}/06-the-window/`);
      await waitExerciseReady(page, 'race-schedule');
      expect(await exercise(page, 'race-schedule').locator('.cl-variant').count()).toBe(0);
      await openEditor(page, 'race-schedule');
      await setCode(page, 'race-schedule', solve(deriveVariant('race-schedule', 'bob') as RaceScheduleVariant));
      await runWithShortcut(page, 'race-schedule');
      expect(await exercise(page, 'race-schedule').getAttribute('data-state')).toBe('passed');
    } finally {
      await context.close();
    }
  });
});
