/**
 * The lab build (COLLAPSE_LAB_LAB_BUILD=1, for graded course runs) must not ship the reference
 * solutions: no "Reveal solution" button, no <AfterExercise> answer block, and no line that only a
 * solution.ts has (beyond one-token lines) anywhere in its HTML text or its JS — the same check the
 * instructor guide tells instructors to run. The matcher is scripts/lab-leaks.ts (unit-tested
 * in tests/chapters/lab-leaks.test.ts).
 * Builds the site once more, in lab mode, into a temporary folder (about as long as the main build),
 * so it can be skipped while iterating with COLLAPSE_LAB_BROWSER_SKIP_LAB=1.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { distDir, ROOT } from './helpers.ts';
import { filesUnder, findLeaks, giveaways, htmlText } from '../../scripts/lab-leaks.ts';

/** Files of a build whose raw text contains a marker string. */
function filesWith(dir: string, marker: string): string[] {
  return filesUnder(dir).filter((f) => /\.(html|js)$/.test(f) && fs.readFileSync(f, 'utf8').includes(marker));
}

/** The text inside each <details data-after-exercise> block of the built pages. */
function afterExerciseTexts(dir: string): string[] {
  const out: string[] = [];
  for (const f of filesWith(dir, 'data-after-exercise')) {
    const html = fs.readFileSync(f, 'utf8');
    for (const m of html.matchAll(/<details[^>]*data-after-exercise[^>]*>([\s\S]*?)<\/details>/g)) out.push(htmlText(m[1]!));
  }
  return out;
}

describe.skipIf(process.env.COLLAPSE_LAB_BROWSER_SKIP_LAB === '1')('lab build', () => {
  it('ships no solution line, no Reveal button and no after-exercise answer (while the normal build does)', { timeout: 600_000 }, () => {
    const g = giveaways(ROOT);
    expect(g.length, 'every exercise with a solution.ts has lines only the solution has').toBeGreaterThan(0);
    const needles = [...new Set(g.flatMap((x) => x.lines))];

    // The normal build (the suite's) reveals, so each check below can fail:
    // solutions as Reveal templates, and answers in <AfterExercise> blocks, rendered by Expressive
    // Code into many spans — the text matcher must still see them there.
    const normal = distDir();
    expect(findLeaks(normal, needles).length).toBeGreaterThan(0);
    expect(filesWith(normal, 'data-action="reveal"').length).toBeGreaterThan(0);
    const blocks = afterExerciseTexts(normal);
    expect(blocks.length, 'the normal build has <AfterExercise> answer blocks').toBeGreaterThan(0);
    expect(
      blocks.some((t) => needles.some((n) => t.includes(n))),
      'a solution-only line is found as text inside an after-exercise code block of the normal build',
    ).toBe(true);

    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'collapse-lab-lab-build-'));
    const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/astro/bin/astro.mjs'), 'build', '--outDir', out], {
      cwd: ROOT,
      env: { ...process.env, COLLAPSE_LAB_LAB_BUILD: '1', ASTRO_TELEMETRY_DISABLED: '1' },
      encoding: 'utf8',
      timeout: 590_000,
    });
    expect(r.status, r.stdout.slice(-2000) + r.stderr.slice(-2000)).toBe(0);
    try {
      expect(filesWith(out, 'data-action="reveal"')).toEqual([]);
      expect(filesWith(out, 'data-part="solution"')).toEqual([]);
      expect(afterExerciseTexts(out), 'no <AfterExercise> block is rendered open or folded').toEqual([]);
      expect(findLeaks(out, needles)).toEqual([]);
      // the exercises themselves are still there, and the chapters say where the answer went
      expect(filesWith(out, 'class="cl-exercise').length).toBeGreaterThan(0);
      expect(filesWith(out, 'cl-after-exercise--lab').length).toBeGreaterThan(0);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});
