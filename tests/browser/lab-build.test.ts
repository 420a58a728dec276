/**
 * The lab build (COLLAPSE_LAB_LAB_BUILD=1, for graded course runs) must not ship the reference
 * solutions: no "Reveal solution" button, no solution text anywhere in the output.
 * Builds the site a second time into a temporary folder (about as long as the main build), so it
 * can be skipped while iterating with COLLAPSE_LAB_BROWSER_SKIP_LAB=1.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { distDir, ROOT } from './helpers.ts';

/** Lines of each solution that are not in its starter (what revealing would give away). */
function giveaways(): { id: string; lines: string[] }[] {
  const dir = path.join(ROOT, 'exercises');
  return fs
    .readdirSync(dir)
    .filter((id) => fs.existsSync(path.join(dir, id, 'solution.ts')) && fs.existsSync(path.join(dir, id, 'starter.ts')))
    .map((id) => {
      const starter = fs.readFileSync(path.join(dir, id, 'starter.ts'), 'utf8');
      const lines = fs
        .readFileSync(path.join(dir, id, 'solution.ts'), 'utf8')
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l.length > 30 && !starter.includes(l) && !/[<>&"']/.test(l));
      return { id, lines: lines.slice(0, 8) };
    })
    .filter((g) => g.lines.length > 0);
}

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

function findIn(dir: string, needles: string[]): string[] {
  const hits: string[] = [];
  for (const f of filesUnder(dir)) {
    if (!/\.(html|js|css|json|txt)$/.test(f)) continue;
    const text = fs.readFileSync(f, 'utf8');
    for (const n of needles) if (text.includes(n)) hits.push(`${path.relative(dir, f)}: ${n}`);
  }
  return hits;
}

describe.skipIf(process.env.COLLAPSE_LAB_BROWSER_SKIP_LAB === '1')('lab build', () => {
  it('ships no solution and no Reveal button (while the normal build does)', { timeout: 600_000 }, () => {
    const g = giveaways();
    expect(g.length).toBeGreaterThan(0);
    const needles = g.flatMap((x) => x.lines);
    // The normal build (the suite's) reveals: the check below can fail.
    expect(findIn(distDir(), needles).length).toBeGreaterThan(0);
    expect(findIn(distDir(), ['data-action="reveal"']).length).toBeGreaterThan(0);

    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'collapse-lab-lab-build-'));
    const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/astro/bin/astro.mjs'), 'build', '--outDir', out], {
      cwd: ROOT,
      env: { ...process.env, COLLAPSE_LAB_LAB_BUILD: '1', ASTRO_TELEMETRY_DISABLED: '1' },
      encoding: 'utf8',
      timeout: 590_000,
    });
    expect(r.status, r.stdout.slice(-2000) + r.stderr.slice(-2000)).toBe(0);
    try {
      expect(findIn(out, ['data-action="reveal"', 'data-part="solution"'])).toEqual([]);
      expect(findIn(out, needles)).toEqual([]);
      // the exercises themselves are still there
      expect(findIn(out, ['class="cl-exercise']).length).toBeGreaterThan(0);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});
