import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

const engine = fileURLToPath(new URL('./src/engine/index.ts', import.meta.url));

export default defineConfig({
  resolve: { alias: { 'collapse-lab/engine': engine } },
  test: {
    // Both projects run as ONE pool of two files at a time (Vitest puts projects with the same
    // sequence.groupOrder and maxWorkers in one group). Measured on this 2-core machine, whole
    // Vitest run: one file at a time (the default here, and `fileParallelism: false` put the browser
    // project in a sequential group of its own) 550 s; two at a time 488 s; three at a time 524 s
    // (three Chromium-heavy files at once saturate the two cores). docs/quality.md "Round 3".
    maxWorkers: 2,
    projects: [
      {
        resolve: { alias: { 'collapse-lab/engine': engine } },
        test: {
          name: 'unit',
          environment: 'node',
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
