// End-to-end tests: the real renderer in Debian's Chromium, against the real helper
// and `nova web` (started by global-setup.ts). The specs on that one shared stack run one
// at a time, as they see each other's guests; the specs that bring two test hosts of their
// own (each pair in network namespaces of its own) run one at a time beside them, as the
// shared specs leave part of two cores idle.
import { defineConfig } from '@playwright/test';

/** Specs with a pair of test hosts of their own: nothing of theirs is on the shared stack. */
const OWN_HOSTS = ['**/vm-move.spec.ts', '**/guest-cold-move.spec.ts', '**/project-hosts.spec.ts', '**/remote-hosts.spec.ts', '**/remote-spice-viewer.spec.ts'];

export default defineConfig({
  testDir: '.',
  testMatch: '**/*.spec.ts',
  outputDir: './artifacts/test-results',
  globalSetup: './global-setup.ts',
  workers: 2,
  fullyParallel: false,
  projects: [
    { name: 'shared', testIgnore: OWN_HOSTS, workers: 1 },
    { name: 'two-hosts', testMatch: OWN_HOSTS, workers: 1 },
  ],
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
