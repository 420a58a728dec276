/**
 * The TRUSTED list of test names for a grading run: collected by loading the exercise's tests
 * against its reference solution in a separate sealed child (never the learner's), so the parent
 * can accept exactly one result per name it knows (orchestrate `expectedNames`).
 *
 * Cached per exercise on disk (cacheDir()/names/<sha256>.json, keyed by the bundle, the tests, the
 * solution and the exports) and in memory, so a run usually starts only the learner's child. Only
 * the parent writes the cache, from a child that never saw learner code.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { collectNames } from '../orchestrate.ts';
import type { TestSource } from '../types.ts';
import { cacheDir, ensureChildBundle, writeCacheFile } from './bundle.ts';
import type { ExerciseOnDisk } from './exercises.ts';
import { spawnChild } from './process.ts';

const memo = new Map<string, Promise<string[] | null>>();

function readCached(file: string): string[] | null {
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    return Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : null;
  } catch {
    return null;
  }
}

/**
 * Names of the tests `tests` declare when run against `exercise`'s solution.ts, in order; null when
 * the exercise has no solution.ts or its solution does not load (the run then falls back to the
 * runner's own list, still refusing duplicates). Never rejects.
 */
export function trustedNames(exercise: ExerciseOnDisk, tests: TestSource[], perTestMs = 2000): Promise<string[] | null> {
  const solutionFile = join(exercise.dir, 'solution.ts');
  if (!existsSync(solutionFile)) return Promise.resolve(null);
  const solution = readFileSync(solutionFile, 'utf8');
  const bundle = ensureChildBundle();
  const key = createHash('sha256')
    .update(JSON.stringify([bundle.hash, exercise.meta.id, exercise.meta.exports, exercise.meta.exportKinds ?? null, tests, solution]))
    .digest('hex');
  const known = memo.get(key);
  if (known) return known;
  const dir = join(cacheDir(), 'names');
  const file = join(dir, `${key.slice(0, 32)}.json`);
  const found = readCached(file);
  const p = found
    ? Promise.resolve(found)
    : collectNames(
        () => spawnChild(bundle),
        { exercise: exercise.meta.id, exports: exercise.meta.exports, exportKinds: exercise.meta.exportKinds, code: solution, tests },
        Math.max(perTestMs, 5000),
      )
        .then((names) => {
          // (a read-only cache: collected again next time)
          if (names) writeCacheFile(file, JSON.stringify(names));
          return names;
        })
        .catch(() => null);
  memo.set(key, p);
  return p;
}
