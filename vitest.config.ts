import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const engine = fileURLToPath(new URL('./src/engine/index.ts', import.meta.url));

// Node's compile cache for every process the suite starts (Vitest's workers, the realm harness's
// worker threads, the CLI processes tests spawn, the Astro builds): the type-stripped and compiled
// code of a module is reused instead of redone by each of hundreds of short-lived workers and
// processes. The folder the `grade` script uses (src/cli/compile-cache.mjs). Grading children are
// not affected (they start with an empty environment and load no module file). Measured on
// prime + runtime + cli.test, empty cache at the start: 61.2 -> 50.2 CPU-s.
process.env.NODE_COMPILE_CACHE ??= fileURLToPath(new URL('./node_modules/.cache/collapse-lab/node-compile', import.meta.url));

/**
 * Seconds a file takes in a whole run (Vitest's JSON report, `npx vitest run` on this 2-core
 * machine, rounded; docs/quality.md "Round 4"; exercise and exercise-ui scaled by their CPU after
 * round 6's shared editor pages). Only the ORDER depends on these: a stale figure costs a little
 * time, never a result.
 */
const SECONDS: Record<string, number> = {
  'tests/browser/quality-pages.test.ts': 70,
  'tests/browser/playground.test.ts': 67,
  'tests/browser/exercise.test.ts': 66,
  'tests/browser/exercise-ui.test.ts': 62,
  'tests/grading/prime.test.ts': 47,
  'tests/grading/hostile-redteam.test.ts': 43,
  'tests/browser/quality-hostile.test.ts': 36,
  'tests/browser/quality-offline.test.ts': 33,
  'tests/browser/quality-csp.test.ts': 14,
  'tests/browser/quality-a11y.test.ts': 17,
  'tests/grading/hostile-round5.test.ts': 21,
  'tests/browser/draw-my-run.test.ts': 25,
  'tests/browser/lab-build.test.ts': 24,
  'tests/grading/runtime.test.ts': 23,
  'tests/browser/quality-mobile.test.ts': 22,
  'tests/grading/meta.test.ts': 19,
  'tests/browser/pictures.test.ts': 17,
  'tests/grading/cli.test.ts': 15,
  'tests/grading/hostile-node.test.ts': 13,
  'tests/grading/hostile-round4.test.ts': 11,
  'tests/browser/dev-server.test.ts': 12,
  'tests/grading/browser-runner.test.ts': 16,
  'tests/browser/variant.test.ts': 9,
  'tests/browser/reading.test.ts': 7,
  'tests/kernel/differential.test.ts': 7,
  'tests/grading/variant.test.ts': 6,
  'tests/browser/progress.test.ts': 4,
  'tests/grading/autograder.test.ts': 3,
  'tests/grading/class.test.ts': 3,
  'tests/grading/orphans.test.ts': 3,
  'tests/grading/compiled.test.ts': 3,
  'src/editor/engine-dts.test.ts': 2,
  'src/editor/monaco-features.test.ts': 1,
  'tests/engine/explore.test.ts': 2,
  'tests/cli/collapse.test.ts': 1,
};

/**
 * Longest file first over BOTH projects (they share one pool of two, see below), so the run does
 * not end on one long file while the other worker idles. Vitest's own order runs the projects one
 * after the other (browser, then unit: the sequencer compares project names first) and, in a
 * clean clone without its results cache, orders files by size; here the order is the same in every
 * checkout. Files not in the table (all under a second or two) follow, in path order.
 */
class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const root = this.ctx.config.root;
    const key = (f: TestSpecification) => path.relative(root, f.moduleId).split(path.sep).join('/');
    const secs = (f: TestSpecification) => SECONDS[key(f)] ?? 0;
    return [...files].sort((a, b) => secs(b) - secs(a) || (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0) || (a.project.name < b.project.name ? -1 : 1));
  }
}

export default defineConfig({
  resolve: { alias: { 'collapse-lab/engine': engine } },
  test: {
    // Both projects run as ONE pool of two files at a time (Vitest puts projects with the same
    // sequence.groupOrder and maxWorkers in one group). Measured on this 2-core machine, whole
    // Vitest run: one file at a time (the default here, and `fileParallelism: false` put the browser
    // project in a sequential group of its own) 550 s; two at a time 488 s; three at a time 524 s
    // (three Chromium-heavy files at once saturate the two cores). docs/quality.md "Round 3".
    maxWorkers: 2,
    sequence: { sequencer: LongestFirst },
    projects: [
      {
        resolve: { alias: { 'collapse-lab/engine': engine } },
        test: {
          name: 'unit',
          environment: 'node',
          // Files share their worker's module cache instead of a fresh one each: 33 small files took
          // 12.7 CPU-s isolated and 6.5 CPU-s not (the module graph loaded once per worker, not per
          // file). The files keep no state between them that matters (each grade, realm and browser
          // is their own); node/compiled.ts keys its memo by cache folder for the two that change it.
          isolate: false,
          // Must equal the browser project's, or Vitest runs the two projects one after the other.
          maxWorkers: 2,
          // Generous limits: these are correctness tests, not timings (budgets live in
          // `npm run bench`). CLI tests spawn Node 24 processes, slow on a loaded 2-core box.
          testTimeout: 60_000,
          hookTimeout: 120_000,
          include: ['tests/**/*.test.ts', 'exercises/*/*.test.ts', 'src/**/*.test.ts'],
          exclude: ['tests/browser/**', 'node_modules/**'],
        },
      },
      {
        resolve: { alias: { 'collapse-lab/engine': engine } },
        test: {
          name: 'browser',
          environment: 'node',
          // As in the unit project: the files share their worker's modules (Playwright's client
          // included); each file still has its own browser connection and contexts.
          isolate: false,
          include: ['tests/browser/**/*.test.ts'],
          globalSetup: ['tests/browser/global-setup.ts'],
          testTimeout: 150_000,
          // No retries: a flaky browser test is fixed at its cause (docs/quality.md, "Round 3").
          hookTimeout: 300_000,
          // Shared with the unit project (see the top): at most two files of either kind at once.
          maxWorkers: 2,
        },
      },
    ],
  },
});
