/**
 * Vite plugin: the editor contributions are the ones src/editor/monaco.ts imports, not all of them.
 *
 * Monaco 0.57's TypeScript support creates its worker through `internal/common/workers.js`, and that
 * file imports EVERY editor contribution for its side effects (the same list as
 * `features/register.all`: sticky scroll, inlay hints, code lens, colour picker, diff editor, GPU
 * actions…). So importing only some `features/<name>/register` entries changes nothing: the
 * TypeScript mode brings the rest back. This plugin removes those side-effect imports from that one
 * file (its `createWebWorker` stays as is), which leaves monaco.ts's imports as the list of what the
 * editor does. docs/quality.md "Round 6" has the measured cost.
 *
 * If a Monaco update moves or reshapes that file, the build fails here instead of silently
 * registering everything again (see src/editor/monaco-features.test.ts).
 *
 * Built site only: `astro dev` pre-bundles Monaco with esbuild (node_modules/.vite/deps), which
 * Vite plugins do not see, so the dev server's editor still has every contribution. Harmless (a
 * superset), and the suite and the learners use the build.
 */
import type { Plugin } from 'vite';

/** The file, as Vite resolves it (any OS path separator). */
export const MONACO_WORKERS_FILE = /[\\/]node_modules[\\/]monaco-editor[\\/]esm[\\/]vs[\\/]internal[\\/]common[\\/]workers\.js$/;

/** A side-effect import of an editor contribution or a standalone editor action. */
const CONTRIBUTION_IMPORT =
  /^import\s+(['"])\.\.\/\.\.\/editor\/(?:contrib\/[^'"\n]+|standalone\/browser\/[^'"\n]+|browser\/widget\/diffEditor\/diffEditor\.contribution\.js)\1;?[ \t]*$/gm;

/** Remove the contribution imports from `internal/common/workers.js`'s code; throws if there were none. */
export function stripContributionImports(code: string): { code: string; removed: string[] } {
  const removed: string[] = [];
  const out = code.replace(CONTRIBUTION_IMPORT, (line) => {
    removed.push(line);
    return '';
  });
  if (removed.length === 0 || !/\bexport\s*\{\s*createWebWorker\s*\}/.test(out)) {
    throw new Error(
      'collapse-lab-monaco-features: monaco-editor/esm/vs/internal/common/workers.js no longer looks as expected ' +
        '(no contribution imports, or no createWebWorker export): check which editor contributions the TypeScript mode loads now',
    );
  }
  return { code: out, removed };
}

export function monacoFeaturesPlugin(): Plugin {
  return {
    name: 'collapse-lab-monaco-features',
    enforce: 'pre',
    transform(code, id) {
      if (!MONACO_WORKERS_FILE.test(id.split('?')[0]!)) return undefined;
      return { code: stripContributionImports(code).code, map: null };
    },
  };
}
