/**
 * src/grading/node/compiled.ts: the parent compiles each test file once (memory + disk cache) and
 * the child runs that code; a file that does not compile is left to the child, which reports it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileTs } from '../../src/grading/compile.ts';
import { freshCacheDir, ROOT } from './helpers.ts';

describe('test files compiled by the parent (node/compiled.ts)', { timeout: 120_000 }, () => {
  const cacheFolder = freshCacheDir('cl-compiled-');

  it("gives exactly compileTs's code, caches it on disk, and leaves a broken file to the child", async () => {
    const { withCompiledTests } = await import('../../src/grading/node/compiled.ts');
    const source = readFileSync(`${ROOT}exercises/early-abort/early-abort.test.ts`, 'utf8');
    const good = { file: 'early-abort.test.ts', source };
    const broken = { file: 'broken.test.ts', source: 'describe(( not TypeScript' };
    const [a, b] = await withCompiledTests([good, broken]);
    const want = compileTs(source, good.file);
    expect(want.ok).toBe(true);
    expect(a!.compiled).toBe(want.ok ? want.code : '');
    expect(b).toEqual(broken);
    const onDisk = readdirSync(join(cacheFolder(), 'tests'));
    expect(onDisk).toHaveLength(1);
    expect(readFileSync(join(cacheFolder(), 'tests', onDisk[0]!), 'utf8')).toBe(a!.compiled);
    // A file that already carries its code is kept as it is.
    const [c] = await withCompiledTests([{ ...good, compiled: '/* given */' }]);
    expect(c!.compiled).toBe('/* given */');
  });

  it('a grade with compiled tests gives the results of one without (every early-abort answer kind)', async () => {
    const { gradeCode } = await import('../../src/grading/node/grade.ts');
    const { loadExercise } = await import('../../src/grading/node/exercises.ts');
    const { runInRealm, EARLY_ABORT } = await import('./realm/harness.ts');
    const ex = loadExercise('early-abort', `${ROOT}exercises`);
    for (const which of ['solution.ts', 'starter.ts', 'wrong/plain-break.ts']) {
      const code = readFileSync(`${ROOT}exercises/early-abort/${which}`, 'utf8');
      const [graded, plain] = await Promise.all([gradeCode(ex, code), runInRealm(EARLY_ABORT, code)]);
      const strip = (r: typeof plain) => r.tests.map((t) => ({ ...t, durationMs: 0 }));
      expect(strip(graded), which).toEqual(strip(plain));
    }
  });
});
