/** Build the throwaway grader test page with Vite (same runner plugin as astro.config.mjs). */
import { build } from 'vite';
import { graderRunner } from '../../../src/grading/browser/vite-plugin.ts';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export async function buildGraderPage(outDir: string): Promise<void> {
  await build({
    configFile: false,
    root: ROOT,
    logLevel: 'warn',
    resolve: { alias: { 'collapse-lab/engine': `${ROOT}src/engine/index.ts` } },
    plugins: [graderRunner({ engine: `${ROOT}src/engine/index.ts` })],
    worker: { format: 'iife' },
    build: {
      outDir,
      emptyOutDir: true,
      minify: true,
      rolldownOptions: { input: { page: `${ROOT}tests/grading/browser/index.html` } },
    },
  });
}
