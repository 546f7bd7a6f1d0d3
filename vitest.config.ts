import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// Two projects: unit tests sit beside their code and touch nothing outside a temp dir;
// system tests (in system-tests/ folders) drive the real engines as root.
export default defineConfig({
  test: {
    // Vitest leaves a core free by default, which on a two-core machine halves the unit run:
    // the unit files only compute, so every core takes one.
    maxWorkers: availableParallelism(),
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src-shared/**/*.test.ts', 'resources/**/*.test.ts', 'src-main/**/*.test.ts', 'src-preload/**/*.test.ts', 'helper/**/*.test.ts', 'src-renderer/**/*.test.ts', 'src-renderer/**/*.test.tsx'],
          exclude: ['**/system-tests/**', '**/node_modules/**'],
          testTimeout: 15_000,
        },
      },
      {
        test: {
          name: 'system',
          include: ['**/system-tests/**/*.test.ts'],
          exclude: ['**/node_modules/**'],
          globalSetup: ['helper/system-tests/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
