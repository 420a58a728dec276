/**
 * The grading child's code, prebuilt: child.ts and everything it imports (runtime, engine, sucrase,
 * chai, @vitest/expect, ses once the realm lands) bundled by esbuild into ONE script, so no grading
 * run pays Node's type stripping or module resolution, and the sandboxed child needs no file at all
 * (the parent pipes the code in; see process.ts).
 *
 * Built lazily into a cache folder when any input is newer than the bundle (`ensureChildBundle`), or
 * ahead of time (`npm run grade -- --prepare`, which the Gradescope kit's setup.sh runs). Nothing is
 * committed. Folder: $COLLAPSE_LAB_CACHE_DIR, else node_modules/.cache/collapse-lab/. When that folder
 * cannot be written (read-only checkout) the bundle is built in memory for this process only.
 *
 * Also kept there: the V8 code cache of the bundle (`<hash>.v8cache`), produced by a child right after
 * its warm-up and before any learner code could run (process.ts), so later children skip most of
 * the parse/compile of the ~1 MB script. Node's `module.enableCompileCache()` does not apply: the
 * child loads no module file and may write nothing.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Bump when the build options below change, so old bundles are rebuilt. */
const BUILD_VERSION = 1;
const ROOT = resolve(fileURLToPath(new URL('../../../', import.meta.url)));
const ENTRY = fileURLToPath(new URL('./child.ts', import.meta.url));
const NAME = 'grader-child';

export interface ChildBundle {
  /** The script the child evaluates: `(function (module, exports) { … })` returning child.ts's exports. */
  code: string;
  /** sha256 of `code` (hex), names its code cache. */
  hash: string;
  /** Folder of the bundle and its code cache, or null when built in memory only. */
  dir: string | null;
}

export function cacheDir(): string {
  return process.env.COLLAPSE_LAB_CACHE_DIR ? resolve(process.env.COLLAPSE_LAB_CACHE_DIR) : join(ROOT, 'node_modules', '.cache', 'collapse-lab');
}

/**
 * Write `data` to the cache file `file` (its folder made as needed) through a temporary file and a
 * rename, so a concurrent grader never reads half of it. Best effort: false when the cache folder
 * cannot be written (a read-only checkout), which only costs speed.
 */
export function writeCacheFile(file: string, data: string | Buffer): boolean {
  try {
    mkdirSync(dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, data);
    renameSync(tmp, file);
    return true;
  } catch {
    return false;
  }
}

interface Manifest {
  version: number;
  hash: string;
  /** Inputs relative to the repository root (from esbuild's metafile). */
  inputs: string[];
}

let memo: ChildBundle | null = null;

const mtime = (p: string): number => {
  try {
    return statSync(p).mtimeMs;
  } catch {
    return Number.POSITIVE_INFINITY; // a vanished input forces a rebuild
  }
};

/** The bundle on disk if it is at least as new as every input it was built from, else null. */
function fresh(dir: string): ChildBundle | null {
  try {
    const file = join(dir, `${NAME}.js`);
    const manifest = JSON.parse(readFileSync(join(dir, `${NAME}.json`), 'utf8')) as Manifest;
    if (manifest.version !== BUILD_VERSION) return null;
    const built = statSync(file).mtimeMs;
    if (manifest.inputs.some((p) => mtime(resolve(ROOT, p)) > built)) return null;
    const code = readFileSync(file, 'utf8');
    return { code, hash: manifest.hash, dir };
  } catch {
    return null;
  }
}

function build(): { code: string; inputs: string[] } {
  // esbuild is a devDependency (also installed by the kit's `npm ci`); loaded only when building.
  // Synchronous so that starting a runner stays synchronous (orchestrate's SpawnWorker).
  const esbuild = createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
  const out = esbuild.buildSync({
    entryPoints: [ENTRY],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node22',
    write: false,
    metafile: true,
    legalComments: 'none',
    logLevel: 'silent',
    // Not minified: error messages from the runtime (shown to learners) keep their names.
  });
  const cjs = out.outputFiles[0].text;
  const code = `(function (module, exports) {'use strict';\n${cjs}\nreturn module.exports;\n})`;
  const inputs = Object.keys(out.metafile.inputs).map((p) => relative(ROOT, resolve(p)));
  return { code, inputs };
}

/** Build (if needed) and return the child bundle. Throws only if esbuild itself fails. */
export function ensureChildBundle(opts: { force?: boolean } = {}): ChildBundle {
  if (memo && !opts.force) return memo;
  const dir = cacheDir();
  if (!opts.force) {
    const found = fresh(dir);
    if (found) return (memo = found);
  }
  const { code, inputs } = build();
  const hash = createHash('sha256').update(code).digest('hex');
  const manifest: Manifest = { version: BUILD_VERSION, hash, inputs };
  // Read-only cache folder: this process keeps the bundle in memory.
  const kept = writeCacheFile(join(dir, `${NAME}.js`), code) && writeCacheFile(join(dir, `${NAME}.json`), JSON.stringify(manifest)) ? dir : null;
  return (memo = { code, hash, dir: kept });
}

/** The saved V8 code cache for `bundle`, or null. */
export function readCodeCache(bundle: ChildBundle): Buffer | null {
  if (!bundle.dir) return null;
  try {
    return readFileSync(join(bundle.dir, `${bundle.hash.slice(0, 16)}.v8cache`));
  } catch {
    return null;
  }
}

/** Save a code cache produced by a child (before any learner code ran there). Best effort. */
export function writeCodeCache(bundle: ChildBundle, data: Buffer): void {
  if (!bundle.dir || !writeCacheFile(join(bundle.dir, `${bundle.hash.slice(0, 16)}.v8cache`), data)) return;
  try {
    // Caches of older bundles are useless (V8 rejects them): keep only this one.
    for (const f of readdirSync(bundle.dir)) if (f.endsWith('.v8cache') && !f.startsWith(bundle.hash.slice(0, 16))) rmSync(join(bundle.dir, f), { force: true });
  } catch {
    /* a read-only cache folder only costs speed */
  }
}
