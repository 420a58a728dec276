/**
 * Test files compiled once, by the trusted parent, instead of by every sandboxed child: each child
 * otherwise ran sucrase over early-abort's 25 KB test file (≈35 ms cold) before the learner's first
 * test, and a class run, the meta-suite and the test suite start hundreds of children.
 *
 * The code is exactly `compileTs(source, file).code` (the compiler the child itself would use) and
 * rides in `TestSource.compiled`; the child runs it as given (runtime/session.ts). A file that does
 * not compile gets no `compiled`, so the child compiles it and reports the error as before.
 *
 * Cached in memory and on disk (cacheDir()/tests/<sha256>.js, keyed by the child bundle — which
 * contains the compiler — the file name and the source). Only the parent writes the cache; the
 * compiler is loaded only on a miss (`npm run grade -- --prepare` fills it, as the kit's setup does).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestSource } from '../types.ts';
import { cacheDir, ensureChildBundle, writeCacheFile } from './bundle.ts';

const memo = new Map<string, string | null>();

function cached(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/** `tests` with `compiled` filled in where the file compiles (a copy; entries that have it are kept). */
export async function withCompiledTests(tests: readonly TestSource[]): Promise<TestSource[]> {
  if (tests.every((t) => typeof t.compiled === 'string')) return [...tests];
  const bundleHash = ensureChildBundle().hash;
  const dir = join(cacheDir(), 'tests');
  let compileTs: typeof import('../compile.ts').compileTs | null = null;
  const out: TestSource[] = [];
  for (const t of tests) {
    if (typeof t.compiled === 'string') {
      out.push(t);
      continue;
    }
    const key = createHash('sha256').update(JSON.stringify([bundleHash, t.file, t.source])).digest('hex');
    // The memo is per cache file, so a process that changes its cache folder reads and fills that one.
    const file = join(dir, `${key.slice(0, 32)}.js`);
    let code = memo.get(file);
    if (code === undefined) {
      code = cached(file);
      if (code === null) {
        compileTs ??= (await import('../compile.ts')).compileTs;
        const r = compileTs(t.source, t.file);
        code = r.ok ? r.code : null;
        // (a read-only cache folder: kept in memory only)
        if (code !== null) writeCacheFile(file, code);
      }
      memo.set(file, code);
    }
    out.push(code === null ? t : { ...t, compiled: code });
  }
  return out;
}
