/**
 * The offline build step (Astro integration, `astro:build:done`): turn src/offline/sw.js into
 * dist/sw.js — bundled with the Workbox modules it imports (esbuild) and given the precache manifest
 * of the built site (workbox-build `injectManifest`: every page, bundle, worker, font and the
 * Pagefind index, each with a content revision). It must run after every step that rewrites built
 * files (Starlight's Pagefind index, the CSP meta tags), so it goes last in `integrations`.
 *
 * Options: `maxFileBytes` — files larger than this are left out of the precache (default 12 MiB:
 * Monaco's TypeScript worker is ~7 MB and the editor is needed offline).
 * Errors: a failed bundle or manifest fails the build with Workbox's/esbuild's message.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { injectManifest } from 'workbox-build';

const SOURCE = fileURLToPath(new URL('./sw.js', import.meta.url));

/** What goes into the precache, relative to the build folder. */
export const PRECACHE_GLOBS = ['**/*.{html,js,mjs,css,svg,png,webp,ico,woff,woff2,ttf,json,wasm,txt,pf_meta,pf_index,pf_fragment,pagefind}'];
/** Never precached: the worker itself and the file that registers it (both must come from the network). */
export const PRECACHE_IGNORES = ['sw.js', 'sw-register.js', '**/node_modules/**'];

export interface OfflineBuildResult {
  count: number;
  size: number;
  warnings: string[];
}

/** Write `<dir>/sw.js` for the built site in `dir`. */
export async function buildServiceWorker(dir: string, maxFileBytes = 12 * 1024 * 1024): Promise<OfflineBuildResult> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'collapse-lab-sw-'));
  try {
    const bundled = path.join(tmp, 'sw.js');
    await build({
      entryPoints: [SOURCE],
      bundle: true,
      format: 'iife',
      minify: true,
      target: 'es2020',
      outfile: bundled,
      logLevel: 'silent',
      // Workbox modules log in development builds only
      define: { 'process.env.NODE_ENV': '"production"' },
    });
    const r = await injectManifest({
      swSrc: bundled,
      swDest: path.join(dir, 'sw.js'),
      globDirectory: dir,
      globPatterns: PRECACHE_GLOBS,
      globIgnores: PRECACHE_IGNORES,
      maximumFileSizeToCacheInBytes: maxFileBytes,
      // /_astro/ names carry a content hash already: no cache-busting query needed
      dontCacheBustURLsMatching: /^_astro\//,
    });
    return { count: r.count, size: r.size, warnings: r.warnings };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** The Astro integration: `integrations: [..., offlineIntegration()]` (last). */
export function offlineIntegration() {
  return {
    name: 'collapse-lab:offline',
    hooks: {
      'astro:build:done': async ({ dir, logger }: { dir: URL; logger: { info(m: string): void; warn(m: string): void } }) => {
        const r = await buildServiceWorker(fileURLToPath(dir));
        for (const w of r.warnings) logger.warn(w);
        logger.info(`sw.js precaches ${r.count} files (${(r.size / 1024 / 1024).toFixed(1)} MiB) for offline use`);
      },
    },
  };
}
