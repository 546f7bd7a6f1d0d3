// When the helper goes away and comes back, the UI says so in words, a Re-check in
// between fails with its code and what to do, and the page recovers by itself. This
// spec runs its own stack, so stopping its helper cannot disturb the other specs.
import { fileURLToPath } from 'node:url';
import { HostPage } from './pages/host-page.js';
import { test as base, expect } from './support/fixtures.js';
import { NovaStack, type NovaStackInfo } from './support/nova-stack.js';

const ARTIFACTS = new URL('./artifacts/', import.meta.url);

const test = base.extend<{ ownStack: { stack: NovaStack; info: NovaStackInfo } }>({
  // eslint-disable-next-line no-empty-pattern
  ownStack: async ({}, use) => {
    const stack = new NovaStack({
      repoRoot: fileURLToPath(new URL('..', import.meta.url)),
      artifactsDir: fileURLToPath(ARTIFACTS),
      name: 'restart',
      rendererDir: process.env.NOVA_E2E_RENDERER_DIR,
    });
    try {
      await use({ stack, info: await stack.start() });
    } finally {
      await stack.stop();
    }
  },
});

test('the helper stopping and restarting is shown, explained and recovered from', async ({ page, ownStack }) => {
  const { stack, info } = ownStack;
  const host = new HostPage(page);
  await host.open(info.url);
  await host.waitForReport();
  await expect(host.connection).toContainText('Helper connected');

  await stack.stopHelper();
  await expect(host.connection).toContainText('Helper not running: reconnecting…', { timeout: 15_000 });
  await expect(host.connection).toContainText('Connected to Nova');

  await host.recheck();
  await expect(host.error).toBeVisible({ timeout: 30_000 });
  await expect(host.error).toContainText('unavailable');
  await expect(host.error).toContainText('Start the helper');
  // The last good report stays on screen under the error.
  await expect(host.summary).toBeVisible();
  await page.screenshot({ path: new URL('host-helper-down.png', ARTIFACTS).pathname });

  await stack.startHelper();
  await expect(host.connection).toContainText('Helper connected', { timeout: 20_000 });
  await expect(host.error).toHaveCount(0, { timeout: 30_000 });
  await expect(host.summary).toBeVisible();
});
