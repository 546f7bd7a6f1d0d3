// End-to-end tests: the real renderer in Debian's Chromium, against the real helper
// and `nova web` (started by global-setup.ts). One worker: the machine has two cores
// and the helper's host check is not something to run several times at once.
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: '.',
  testMatch: '**/*.spec.ts',
  outputDir: './artifacts/test-results',
  globalSetup: './global-setup.ts',
  workers: 1,
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  retries: 0,
  timeout: 90_000,
  // Bounds the whole suite (a hang cannot run CI to its limit); the two-host specs made it longer than 10 minutes.
  globalTimeout: 20 * 60_000,
  expect: { timeout: 10_000 },
  reporter: [['list'], ['html', { outputFolder: './artifacts/report', open: 'never' }]],
  use: {
    actionTimeout: 10_000,
    navigationTimeout: 20_000,
    viewport: { width: 1280, height: 860 },
    colorScheme: 'light',
  },
});
