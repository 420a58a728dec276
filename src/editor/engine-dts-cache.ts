/**
 * A disk cache in front of {@link buildEngineDts} (./engine-dts.ts), for the Vite plugin.
 *
 * Why: generating the declarations loads the TypeScript compiler and emits the whole engine, about
 * 1.4 s of CPU. Every Astro build and every dev server paid it, and the test suite starts three of
 * them (its site build, the lab build, the dev-server test) on an unchanged engine.
 *
 * An entry is used only when the generator is the same (this folder's engine-dts.ts and the
 * installed TypeScript, by content), every file the compiler read still has the text it read then
 * (hashed as read, so a file saved during generation makes the entry stale at once), and every path
 * it looked for in vain is still absent (an import of a file created later). Both lists come from
 * {@link buildEngineDts} (`sources`). Anything unreadable (no cache yet, a broken entry, a full
 * disk) means "generate", never an error.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { EngineDts } from './engine-dts.ts';

/** Where the entry lives by default (one entry: the last engine generated). */
export const ENGINE_DTS_CACHE = path.resolve(import.meta.dirname, '../../node_modules/.cache/collapse-lab/engine-dts.json');

interface Entry {
  generator: string;
  index: string;
  /** [absolute path, sha-256 of the text the compiler read] for every file it read. */
  inputs: [string, string][];
  /** Paths the compiler looked for and did not find. */
  absent: string[];
  dts: string;
  files: string[];
}

function sha(file: string): string | null {
  try {
    return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
  } catch {
    return null;
  }
}

/** The generator's identity: ./engine-dts.ts and the TypeScript package, by content. */
function generatorKey(): string {
  const tsPackage = path.join(path.dirname(createRequire(import.meta.url).resolve('typescript')), '..', 'package.json');
  return `${sha(path.join(import.meta.dirname, 'engine-dts.ts'))}:${sha(tsPackage)}`;
}

function readEntry(file: string): Entry | null {
  try {
    const e = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<Entry>;
    const ok =
      typeof e.generator === 'string' &&
      typeof e.index === 'string' &&
      typeof e.dts === 'string' &&
      Array.isArray(e.files) &&
      e.files.every((f) => typeof f === 'string') &&
      Array.isArray(e.absent) &&
      e.absent.every((f) => typeof f === 'string') &&
      Array.isArray(e.inputs) &&
      e.inputs.length > 0 &&
      e.inputs.every((x) => Array.isArray(x) && x.length === 2 && typeof x[0] === 'string' && typeof x[1] === 'string');
    return ok ? (e as Entry) : null;
  } catch {
    return null;
  }
}

function writeEntry(file: string, entry: Entry): void {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    // Write then rename: two builds at once (the suite's site build and its lab build) never read
    // half an entry.
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(entry));
    fs.renameSync(tmp, file);
  } catch {
    /* no cache this time */
  }
}

/**
 * The engine's declarations for `indexFile`, from the cache when nothing they were made from has
 * changed, else from `build` (default: {@link buildEngineDts}), then stored. `cached` says which.
 */
export async function cachedEngineDts(
  indexFile: string,
  opts: { cacheFile?: string; build?: (indexFile: string) => EngineDts } = {},
): Promise<EngineDts & { cached: boolean }> {
  const cacheFile = opts.cacheFile ?? ENGINE_DTS_CACHE;
  const index = path.resolve(indexFile);
  const generator = generatorKey();
  const entry = readEntry(cacheFile);
  if (
    entry &&
    entry.generator === generator &&
    entry.index === index &&
    entry.inputs.every(([f, h]) => sha(f) === h) &&
    entry.absent.every((f) => !fs.existsSync(f))
  ) {
    return { dts: entry.dts, files: entry.files, cached: true };
  }
  const build = opts.build ?? (await import('./engine-dts.ts')).buildEngineDts;
  const made = build(indexFile);
  // No record of what it was made from (no engine yet): nothing to check an entry against.
  if (made.sources) {
    writeEntry(cacheFile, { generator, index, inputs: made.sources.read, absent: made.sources.absent, dts: made.dts, files: made.files });
  }
  return { dts: made.dts, files: made.files, cached: false };
}
