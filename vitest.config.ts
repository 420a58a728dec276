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
          testTimeout: 60_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
