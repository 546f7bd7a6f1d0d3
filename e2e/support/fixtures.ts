// Test fixtures: Debian's Chromium (Playwright's own browser cannot be downloaded
// here) as a persistent context per test in the run's temp dir, the address of the
// Nova stack, and a collector of console errors so CSP violations fail tests.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { test as base, type BrowserContext, type Page } from '@playwright/test';
import type { NovaStackInfo } from './nova-stack.js';
import { stackInfo } from './stack-env.js';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Chromium says this for any <meta> CSP with frame-ancestors; the server sends it as a header too. */
const EXPECTED_CONSOLE = [/'frame-ancestors' is ignored when delivered via a <meta> element/];

export interface NovaFixtures {
  readonly nova: NovaStackInfo;
  readonly context: BrowserContext;
  readonly page: Page;
  /** Console errors and uncaught exceptions of `page`, minus the expected ones. */
  readonly pageProblems: string[];
}

export const test = base.extend<NovaFixtures>({
  // eslint-disable-next-line no-empty-pattern
  nova: async ({}, use) => {
    await use(stackInfo());
  },

  context: async ({ playwright, nova, colorScheme, viewport }, use, testInfo) => {
    const profile = join(nova.runDir, `chromium-${testInfo.testId}`);
    const context = await playwright.chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      // Chromium aborts when a system bus it joined goes away, and the polkit system tests
      // start and stop one: kept off every bus, the browser never depends on it.
      env: { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: 'disabled:', DBUS_SESSION_BUS_ADDRESS: 'disabled:' },
      colorScheme,
      viewport,
      timeout: 30_000,
    });
    try {
      await use(context);
      if (testInfo.status !== testInfo.expectedStatus) {
        for (const [i, page] of context.pages().entries()) {
          const path = testInfo.outputPath(`failure-${i}.png`);
          await page.screenshot({ path, fullPage: true, timeout: 5_000 }).catch(() => {});
          await testInfo.attach(`failure-${i}`, { path, contentType: 'image/png' }).catch(() => {});
        }
      }
    } finally {
      await context.close().catch(() => {});
      await rm(profile, { recursive: true, force: true });
    }
  },

  page: async ({ context }, use) => {
    await use(context.pages()[0] ?? (await context.newPage()));
  },

  pageProblems: async ({ page }, use) => {
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() !== 'error') return;
      const text = message.text();
      if (!EXPECTED_CONSOLE.some((re) => re.test(text))) problems.push(`console: ${text}`);
    });
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
    await use(problems);
  },
});

export { expect } from '@playwright/test';
