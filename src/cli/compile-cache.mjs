// Preloaded by the `grade` npm script (`node --import ./src/cli/compile-cache.mjs src/cli/grade.ts`):
// turns on Node's compile cache BEFORE the entry is loaded, so the type-stripped code of grade.ts and
// of everything it imports comes from the cache and Node never starts its TypeScript stripper
// (its WebAssembly start-up alone is ~0.2 s of CPU per run). Plain JavaScript on purpose: it must
// run before any TypeScript is stripped. NODE_COMPILE_CACHE, when set, wins.
import { enableCompileCache } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

if (!process.env.NODE_COMPILE_CACHE) {
  const base = process.env.COLLAPSE_LAB_CACHE_DIR ?? fileURLToPath(new URL('../../node_modules/.cache/collapse-lab', import.meta.url));
  enableCompileCache(join(base, 'node-compile'));
}
