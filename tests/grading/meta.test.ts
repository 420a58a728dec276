/**
 * META-SUITE: every exercise folder, through the grading core (a sandboxed child process per run, the same runtime
 * the browser uses — not plain Vitest):
 *   - the solution passes every test,
 *   - the starter compiles, loads (exports the right names) and fails at least one test,
 *   - every wrong/*.ts compiles, loads and fails at least one test.
 * Folders are discovered at run time; folders without exercise.json are skipped.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_EXERCISES_DIR, listExerciseIds, loadExercise } from '../../src/grading/node/exercises.ts';
import { gradeCode } from '../../src/grading/node/grade.ts';
import type { RunResult } from '../../src/grading/types.ts';
import { lanes } from './lanes.ts';

const ids = listExerciseIds(DEFAULT_EXERCISES_DIR);
// Tests are declared concurrent — across exercises too, so one exercise's last long run does not
// leave a core idle — but at most two grading runs go at once (the machine has 2 cores). Each run
// still has its own sandboxed child.
const limited = lanes();
// Generous limits: the machine is shared; a real infinite loop still ends the test.
const limits = { perTestMs: 5000, perRunMs: 60_000 };

function summary(r: RunResult): string {
  if (r.compileError) return `does not compile: line ${r.compileError.line}:${r.compileError.column} ${r.compileError.message}`;
  if (r.loadError) return `does not load: ${r.loadError}`;
  const bad = r.tests.filter((t) => t.status !== 'passed');
  return `${r.passed}/${r.total} passed${bad.length ? `; first problem: ${bad[0].name}: ${bad[0].status}: ${bad[0].message}` : ''}`;
}

describe.concurrent('meta-suite: exercises', () => {
  it('finds the exercise folders', () => {
    expect(existsSync(DEFAULT_EXERCISES_DIR)).toBe(true);
    // Not asserting six: folders appear while the course is written. Each found one is checked below.
    expect(Array.isArray(ids)).toBe(true);
  });

  for (const id of ids) {
    describe.concurrent(id, () => {
      const exercise = loadExercise(id);
      const file = (rel: string) => readFileSync(join(exercise.dir, rel), 'utf8');

      it('the solution passes every test', { timeout: 120_000 }, async () => {
        const r = await limited(() => gradeCode(exercise, file('solution.ts'), limits));
        expect(r.total, summary(r)).toBeGreaterThan(0);
        expect(r.passed, summary(r)).toBe(r.total);
      });

      it('the starter compiles, loads and fails at least one test', { timeout: 120_000 }, async () => {
        const r = await limited(() => gradeCode(exercise, file('starter.ts'), { ...limits, bail: true }));
        expect(r.compileError, summary(r)).toBeUndefined();
        expect(r.loadError, summary(r)).toBeUndefined();
        expect(r.failed, summary(r)).toBeGreaterThan(0);
      });

      it('follows the folder contract (exercise.json, Vitest subset, hints)', () => {
        expect(exercise.meta.id, 'exercise.json "id" must equal the folder name').toBe(id);
        const chapterFile = join(DEFAULT_EXERCISES_DIR, '..', 'content', `${exercise.meta.chapter}.mdx`);
        expect(existsSync(chapterFile), `exercise.json "chapter" must be a content slug (${chapterFile})`).toBe(true);
        expect(existsSync(join(exercise.dir, `${id}.test.ts`)), `${id}.test.ts`).toBe(true);
        // Every export has a kind, so a learner exporting the wrong kind gets one clear load error
        // (that the kinds are right is checked by the solution passing: a wrong kind would not load).
        expect(Object.keys(exercise.meta.exportKinds ?? {}).sort(), 'exercise.json "exportKinds" must give the kind of every name in "exports"').toEqual([...exercise.meta.exports].sort());
        for (const t of exercise.tests) {
          const imports = [...t.source.matchAll(/import\s*(type\s*)?\{([^}]*)\}\s*from\s*['"]vitest['"]/g)].flatMap((m) => m[2].split(',').map((x) => x.trim()).filter(Boolean));
          const allowed = ['describe', 'it', 'test', 'expect', 'beforeEach', 'afterEach'];
          expect(imports.filter((x) => !allowed.includes(x)), `${t.file} may import only ${allowed.join(', ')} from 'vitest'`).toEqual([]);
          expect(t.source, `${t.file}: the grader has no vi.*, snapshots or fake timers`).not.toMatch(/\bvi\.|toMatch(Inline)?Snapshot|toThrowErrorMatchingSnapshot|useFakeTimers/);
        }
        const hints = existsSync(join(exercise.dir, 'hints.md')) ? file('hints.md') : '';
        const numbers = [...hints.matchAll(/^## Hint (\d+)\s*$/gm)].map((m) => Number(m[1]));
        expect(numbers.length, 'hints.md: 2–4 "## Hint N" sections').toBeGreaterThanOrEqual(2);
        expect(numbers.length, 'hints.md: 2–4 "## Hint N" sections').toBeLessThanOrEqual(4);
        expect(numbers, 'hints.md: hints numbered 1, 2, …').toEqual(numbers.map((_, i) => i + 1));
      });

      const wrongDir = join(exercise.dir, 'wrong');
      const wrongs = existsSync(wrongDir) ? readdirSync(wrongDir).filter((f) => f.endsWith('.ts')).sort() : [];
      for (const w of wrongs) {
        it(`wrong/${w} compiles, loads and fails at least one test`, { timeout: 120_000 }, async () => {
          const r = await limited(() => gradeCode(exercise, file(`wrong/${w}`), { ...limits, bail: true }));
          expect(r.compileError, summary(r)).toBeUndefined();
          expect(r.loadError, summary(r)).toBeUndefined();
          expect(r.failed, `wrong/${w} should fail a test but: ${summary(r)}`).toBeGreaterThan(0);
        });
      }
    });
  }
});
