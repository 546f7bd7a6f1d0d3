// The Hosts page against a real helper and real ssh: this machine is listed first and
// answers; a host whose ssh port is closed is saved, listed as unreachable with ssh's
// reason within its bound, without holding up the page; an address the CLI would refuse
// is refused beside its field; and a host is removed through the confirmation. `nova web`
// gets a config folder of its own, so the user's saved hosts are never touched.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppShell } from './pages/app-shell.js';
import { seriousAxeViolations } from './support/axe.js';
import { test as base, expect } from './support/fixtures.js';
import { NovaStack, type NovaStackInfo } from './support/nova-stack.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const ARTIFACTS = new URL('./artifacts/', import.meta.url);
const HOST = 'nv16h-closed';
const CLOSED = 'ssh://nobody@127.0.0.1:1';
/** ssh's connect bound (NOVA_SSH_CONNECT_TIMEOUT) plus the probe's margin, with room for a slow machine. */
const PROBE_BOUND_MS = 25_000;

const test = base.extend<{ hostsStack: { info: NovaStackInfo; config: string } }>({
  // eslint-disable-next-line no-empty-pattern
  hostsStack: async ({}, use) => {
    const config = await mkdtemp(join(tmpdir(), 'nv16h-config-'));
    const stack = new NovaStack({
      repoRoot: REPO,
      artifactsDir: fileURLToPath(ARTIFACTS),
      name: 'nv16h-hosts',
      rendererDir: process.env.NOVA_E2E_RENDERER_DIR,
      webEnv: { XDG_CONFIG_HOME: config, NOVA_SSH_CONNECT_TIMEOUT: '5' },
    });
    try {
      await use({ info: await stack.start(), config });
    } finally {
      await stack.stop();
      await rm(config, { recursive: true, force: true });
    }
  },
});

test('lists this machine first, saves an unreachable host and shows why, refuses a bad address beside its field, and removes a host after asking', async ({ page, hostsStack, pageProblems }) => {
  test.setTimeout(120_000);
  const shell = new AppShell(page);
  await shell.open(hostsStack.info.url);
  await shell.goTo('Hosts');
  await expect(shell.heading).toHaveText('Hosts');
  const table = page.getByRole('table', { name: 'Hosts' });
  const local = table.locator('tr[data-host="local"]');
  await expect(local.locator('[data-column="state"]')).toHaveText(/Reachable/, { timeout: 20_000 });
  await expect(local.locator('[data-column="version"]')).not.toBeEmpty();

  await page.getByRole('button', { name: 'Add host' }).click();
  const dialog = page.getByRole('dialog', { name: 'Add a host' });
  await dialog.getByLabel('Name').fill(HOST);
  // Refused as typed, beside the field, by the CLI's own parser.
  const address = dialog.getByLabel('Address');
  await address.fill('http://127.0.0.1');
  await expect(address).toHaveAttribute('aria-invalid', 'true');
  await expect(dialog.locator('.form-field__error')).toContainText('only ssh:// is supported');
  await dialog.getByRole('button', { name: 'Add host' }).click();
  await expect(address).toBeFocused();
  await expect(dialog).toBeVisible();
  await address.fill(CLOSED);
  await expect(address).not.toHaveAttribute('aria-invalid', 'true');

  const started = Date.now();
  await dialog.getByRole('button', { name: 'Add host' }).click();
  await expect(dialog).toBeHidden({ timeout: PROBE_BOUND_MS });
  await expect(page.getByRole('status').filter({ hasText: `Added host '${HOST}'` })).toBeVisible();
  const row = table.locator(`tr[data-host="${HOST}"]`);
  await expect(row.locator('[data-column="state"]')).toContainText('Unreachable');
  await expect(row.locator('[data-column="reason"]')).toContainText(/refused/i);
  expect(JSON.parse(await readFile(join(hostsStack.config, 'nova', 'hosts.json'), 'utf8')).hosts).toEqual({ [HOST]: CLOSED });

  // A reload asks every host again; the unreachable one answers within its bound and holds up no other.
  await page.reload();
  await expect(local.locator('[data-column="state"]')).toHaveText(/Reachable/, { timeout: 20_000 });
  await expect(row.locator('[data-column="reason"]')).toContainText(/refused/i, { timeout: PROBE_BOUND_MS });
  expect(Date.now() - started).toBeLessThan(PROBE_BOUND_MS * 3);
  expect(await seriousAxeViolations(page)).toEqual([]);
  await page.screenshot({ path: new URL('hosts-page-light.png', ARTIFACTS).pathname });
  await page.emulateMedia({ colorScheme: 'dark' });
  expect(await seriousAxeViolations(page)).toEqual([]);
  await page.screenshot({ path: new URL('hosts-page-dark.png', ARTIFACTS).pathname });

  // Remove asks first; Cancel keeps it, Remove forgets it.
  await row.getByRole('button', { name: `Remove host ${HOST}` }).click();
  const confirm = page.getByRole('alertdialog', { name: `Remove host ${HOST}?` });
  await expect(confirm).toContainText('Nothing changes on the host itself');
  await confirm.getByRole('button', { name: 'Cancel' }).click();
  await expect(row).toBeVisible();
  await row.getByRole('button', { name: `Remove host ${HOST}` }).click();
  await confirm.getByRole('button', { name: 'Remove' }).click();
  await expect(row).toHaveCount(0);
  await expect(page.getByRole('status').filter({ hasText: `Removed host '${HOST}'` })).toBeVisible();
  expect(JSON.parse(await readFile(join(hostsStack.config, 'nova', 'hosts.json'), 'utf8')).hosts).toEqual({});
  expect(pageProblems).toEqual([]);
});
