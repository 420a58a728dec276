import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

const engine = fileURLToPath(new URL('./src/engine/index.ts', import.meta.url));

export default defineConfig({
  resolve: { alias: { 'collapse-lab/engine': engine } },
  test: {
    projects: [
      {
        resolve: { alias: { 'collapse-lab/engine': engine } },
        test: {
          name: 'unit',
          environment: 'node',
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
          fileParallelism: false,
        },
      },
    ],
  },
});
