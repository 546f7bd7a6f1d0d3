// How the UI answers, tried as a keyboard and screen-reader user would, in light and dark:
// axe-core finds no serious or critical problem on any page; a destructive action asks
// through a confirmation used by keyboard alone, with focus checked after each step, and
// says when it is done; a path the helper cannot open is said under its field with the
// folders Nova may open; a browser without the token gets a page that asks for it, and
// "remember on this computer" keeps it for a new tab but never in a cookie.
import { randomBytes } from 'node:crypto';
import type { Page } from '@playwright/test';
import { ensureTestGuest, type TestGuest } from '../helper/system-tests/fixtures/guest-builder.js';
import { AppShell, SECTIONS } from './pages/app-shell.js';
import { ImagesPage } from './pages/images-page.js';
import { VmWizardPage } from './pages/vm-pages.js';
import { seriousAxeViolations } from './support/axe.js';
import { expect, test } from './support/fixtures.js';
import { callOverWeb, callOverWebOk } from './support/web-api.js';

const RUN = randomBytes(2).toString('hex');
const NET = `nv16u-${RUN}`;
const OCTET = 20 + (parseInt(RUN, 16) % 60);
const ARTIFACTS = new URL('./artifacts/', import.meta.url);

async function shootBoth(page: Page, name: string): Promise<void> {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    await page.screenshot({ path: new URL(`feedback-${name}-${colorScheme}.png`, ARTIFACTS).pathname });
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

/** What has focus now, said as its role and accessible name would be read. */
function focused(page: Page): Promise<string> {
  // A string: these specs compile without the DOM's types, and this runs in the page.
  return page.evaluate(`(() => {
    const el = document.activeElement;
    return el ? el.tagName.toLowerCase() + ':' + (el.getAttribute('aria-label') ?? el.textContent?.trim() ?? '') : 'none';
  })()`);
}

test.describe('Every action answers', () => {
  test.afterAll(async ({ nova }) => {
    await callOverWeb(nova.origin, nova.token, 'network.delete', { name: NET }).catch(() => undefined);
  });

  test('axe-core finds no serious or critical violation on any page, light or dark', async ({ page, nova, pageProblems }) => {
    const shell = new AppShell(page);
    await shell.open(nova.url);
    await expect(shell.connection).toContainText('Connected to Nova');
    const found: string[] = [];
    for (const section of SECTIONS) {
      await shell.goTo(section);
      await expect(shell.heading).toBeVisible();
      // Lists settle (loading rows give way to content) before they are judged.
      await expect(page.locator('[aria-busy="true"]')).toHaveCount(0, { timeout: 20_000 });
      for (const colorScheme of ['light', 'dark'] as const) {
        await page.emulateMedia({ colorScheme });
        found.push(...(await seriousAxeViolations(page)).map((v) => `${section} (${colorScheme}): ${v}`));
      }
      await page.emulateMedia({ colorScheme: 'light' });
    }
    // The token page too, which a browser without the token sees instead of the app.
    await page.goto(`${nova.origin}/`);
    await page.evaluate('sessionStorage.clear()');
    await page.reload();
    await expect(page.getByRole('heading', { name: 'Nova needs its access token' })).toBeVisible();
    found.push(...(await seriousAxeViolations(page)).map((v) => `token page: ${v}`));
    expect(found).toEqual([]);
    expect(pageProblems).toEqual([]);
  });

  test('deleting a network asks through a dialog used by keyboard alone, and says when it is done', async ({ page, nova }) => {
    await callOverWebOk(nova.origin, nova.token, 'network.create', { name: NET, profile: 'internal', subnet: `10.${OCTET}.16.1/24` });
    const shell = new AppShell(page);
    await shell.open(`${nova.url}#/networks/${NET}`);
    await expect(shell.heading).toHaveText(NET);
    const remove = page.getByRole('button', { name: 'Delete network' });
    await remove.focus();
    expect(await focused(page)).toBe('button:Delete network');

    // Enter opens it; focus starts on Cancel, so a second Enter cannot delete by accident.
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('alertdialog', { name: `Delete network ${NET}?` });
    await expect(dialog).toBeVisible();
    await expect(dialog).toContainText('Nothing is attached to it.');
    expect(await focused(page)).toBe('button:Cancel');
    await shootBoth(page, 'confirm-network');
    await page.keyboard.press('Enter');
    await expect(dialog).toBeHidden();
    expect(await focused(page)).toBe('button:Delete network');
    await expect(shell.heading).toHaveText(NET);

    // Escape cancels, and focus comes back to the button that asked.
    await page.keyboard.press('Enter');
    await expect(dialog).toBeVisible();
    await page.keyboard.press('Escape');
    await expect(dialog).toBeHidden();
    expect(await focused(page)).toBe('button:Delete network');

    // Tab reaches the confirming button; Enter there deletes, and the result is said.
    await page.keyboard.press('Enter');
    await expect(dialog).toBeVisible();
    await page.keyboard.press('Tab');
    expect(await focused(page)).toBe('button:Delete');
    // Focus stays inside the dialog: Tab from its last button comes back to Cancel, not the page.
    await page.keyboard.press('Tab');
    expect(await focused(page)).toBe('button:Cancel');
    await page.keyboard.press('Shift+Tab');
    expect(await focused(page)).toBe('button:Delete');
    await page.keyboard.press('Enter');
    const done = page.getByRole('status').filter({ hasText: `Deleted network '${NET}'` });
    await expect(done).toBeVisible({ timeout: 30_000 });
    await expect(shell.heading).toHaveText('Networks');
    await shootBoth(page, 'toast-deleted');
    const { networks } = (await callOverWebOk(nova.origin, nova.token, 'network.list', {})) as { networks: Array<{ name: string }> };
    expect(networks.some((n) => n.name === NET)).toBe(false);
    // A success fades by itself.
    await expect(done).toBeHidden({ timeout: 15_000 });
  });

  test('a file that cannot be read is said under its field, and focus goes there', async ({ page, nova }) => {
    const images = new ImagesPage(page);
    await images.open(nova.url);
    await images.goTo('Images');
    await images.importDisk.click();
    // Nova opens the file with the user's own rights and hands it to the helper, so
    // wherever it lies, what is said is whether it can be read.
    const missing = `${nova.importDir}/nv16u-${RUN}-missing.qcow2`;
    await images.dialog.path.fill(missing);
    await images.dialog.name.fill(`nv16u-${RUN}`);
    await images.dialog.submit.click();
    const fieldError = images.dialog.root.locator('[data-field="path"] .form-field__error');
    await expect(fieldError).toContainText(missing);
    await expect(fieldError).toContainText('does not exist');
    await expect(images.dialog.root).not.toContainText('refresh');
    await expect(images.dialog.root).not.toContainText('not_found');
    await expect(images.dialog.root).not.toContainText('ENOENT');
    await expect(images.dialog.path).toBeFocused();
    await expect(images.dialog.path).toHaveAttribute('aria-invalid', 'true');
    await shootBoth(page, 'path-error');
    await page.keyboard.press('Escape');
    await expect(images.dialog.root).toBeHidden();
  });

  test('a refused submit puts focus on the first field in error', async ({ page, nova }) => {
    const wizard = new VmWizardPage(page);
    await wizard.open(`${nova.url}#/vms/new`);
    await expect(wizard.form).toBeVisible();
    // Memory is wrong and Name is empty: Name comes first, so focus goes there, not to Memory.
    await wizard.field('Memory').fill('16Zi');
    await wizard.create.focus();
    await page.keyboard.press('Enter');
    await expect(wizard.errorOf('Name')).toBeVisible();
    await expect(wizard.field('Name')).toBeFocused();
    await wizard.field('Name').fill(`nv16u-${RUN}`);
    await wizard.create.focus();
    await page.keyboard.press('Enter');
    // Name is right now: focus goes on to the first field still in error, in the form's order.
    await expect(wizard.field('Memory')).toHaveAttribute('aria-invalid', 'true');
    await expect(wizard.form.locator('[aria-invalid="true"]').first()).toBeFocused();
    await expect(wizard.field('Name')).not.toBeFocused();
  });

  test('without the token, a page asks for it; remembered, it opens a new tab; never a cookie', async ({ page, context, nova }) => {
    await page.goto(`${nova.origin}/#/networks`);
    const ask = page.getByRole('heading', { name: 'Nova needs its access token' });
    await expect(ask).toBeVisible();
    const field = page.getByLabel('Access token or address');
    await expect(field).toBeFocused();
    await expect(page.getByRole('main')).toContainText('nova web --print-url');

    // A wrong token is tried and refused here, with focus back on the field.
    await field.fill('nv16u-not-the-token');
    await page.getByRole('button', { name: 'Open Nova' }).click();
    await expect(page.getByRole('alert')).toContainText('Nova did not accept this token');
    await expect(field).toBeFocused();
    await shootBoth(page, 'token-page-refused');

    // The whole printed address works too; "remember" keeps it for the next tab.
    await field.fill(nova.url);
    await page.getByLabel(/Remember on this computer/).check();
    await page.getByRole('button', { name: 'Open Nova' }).click();
    const shell = new AppShell(page);
    await expect(shell.connection).toContainText('Connected to Nova');
    await expect(shell.heading).toHaveText('Networks');

    const second = await context.newPage();
    await second.goto(`${nova.origin}/#/host`);
    await expect(new AppShell(second).connection).toContainText('Connected to Nova');
    expect(await second.evaluate('document.cookie')).toBe('');
    expect((await context.cookies()).length).toBe(0);
    await second.close();
  });

  test('not remembered, the token stays in its tab: a new tab asks again', async ({ page, context, nova }) => {
    const shell = new AppShell(page);
    await shell.open(nova.url);
    await expect(shell.connection).toContainText('Connected to Nova');
    const second = await context.newPage();
    await second.goto(`${nova.origin}/`);
    await expect(second.getByRole('heading', { name: 'Nova needs its access token' })).toBeVisible();
    expect(await second.evaluate('localStorage.length')).toBe(0);
    await second.close();
  });
});

test.describe('A VM answers', () => {
  test.describe.configure({ timeout: 300_000 });
  const VM = `nv16u-vm-${RUN}`;
  let guest: TestGuest;

  test.beforeAll(async () => {
    test.setTimeout(320_000);
    guest = await ensureTestGuest();
  });

  test.afterAll(async ({ nova }) => {
    await callOverWeb(nova.origin, nova.token, 'vm.delete', { name: VM, force: true }).catch(() => undefined);
  });

  test('restoring a snapshot asks with what is lost; a stop the guest ignores counts down and Force off ends it', async ({ page, nova, pageProblems }) => {
    const call = <M extends Parameters<typeof callOverWebOk>[2]>(method: M, params: Parameters<typeof callOverWebOk<M>>[3]) => callOverWebOk(nova.origin, nova.token, method, params);
    // The plain initramfs has no power-button handler: the guest ignores a graceful stop.
    await call('vm.create', { name: VM, kernel: guest.vmlinux, initrd: guest.initrdPlain, cmdline: guest.cmdline, memory: '128Mi', accel: 'tcg', display: 'none', network: 'none', diskSize: '32Mi' });
    await call('vm.start', { name: VM });
    await call('vm.snapshotCreate', { name: VM, snapshot: 'nv16u-first' });

    const shell = new AppShell(page);
    await shell.open(`${nova.url}#/vms/${VM}/snapshots`);
    const restore = page.getByRole('treeitem').filter({ hasText: 'nv16u-first' }).getByRole('button', { name: 'Restore nv16u-first' });
    await restore.click();
    const dialog = page.getByRole('alertdialog', { name: "Restore 'nv16u-first'?" });
    await expect(dialog).toContainText(/All changes since \S.*, including the running state, will be lost\./);
    expect(await focused(page)).toBe('button:Cancel');
    await shootBoth(page, 'confirm-restore');
    await page.keyboard.press('Tab');
    expect(await focused(page)).toBe('button:Restore nv16u-first');
    await page.keyboard.press('Enter');
    await expect(page.getByRole('status').filter({ hasText: "Restored 'nv16u-first'" })).toBeVisible({ timeout: 120_000 });
    await expect(restore).toBeFocused();

    // The serial console takes every key, Tab included; Ctrl+Shift+Escape gives the keyboard back.
    await page.getByRole('link', { name: 'Serial console' }).click();
    const terminal = page.getByTestId('serial-terminal');
    await expect(page.getByText('Ctrl+Shift+Escape moves the keyboard out of the terminal')).toBeVisible();
    await terminal.click();
    const inTerminal = () => terminal.evaluate((el) => el.contains(el.ownerDocument.activeElement));
    await expect.poll(inTerminal).toBe(true);
    await page.keyboard.press('Tab');
    expect(await inTerminal()).toBe(true);
    await page.keyboard.press('Control+Shift+Escape');
    expect(await inTerminal()).toBe(false);
    expect(await focused(page)).not.toMatch(/^body:/);
    await page.getByRole('link', { name: 'Snapshots' }).click();

    // Stop: the grace period counts down, with Force off beside it.
    await page.getByRole('group', { name: `Actions for ${VM}` }).getByRole('button', { name: 'Stop' }).click();
    const countdown = page.getByRole('timer', { name: `Stopping ${VM}` });
    const seconds = countdown.locator('[data-seconds-left]');
    await expect(countdown).toContainText(/Forced off in \d+ s/, { timeout: 20_000 });
    const first = Number(await seconds.getAttribute('data-seconds-left'));
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThanOrEqual(30);
    await expect.poll(async () => Number(await seconds.getAttribute('data-seconds-left')), { timeout: 10_000 }).toBeLessThan(first);
    await shootBoth(page, 'stop-countdown');
    await countdown.getByRole('button', { name: 'Force off' }).click();
    await expect(page.getByRole('status').filter({ hasText: new RegExp(`Forced '${VM}' off after \\d+ s`) })).toBeVisible({ timeout: 30_000 });
    await expect(countdown).toBeHidden();
    const vm = (await call('vm.get', { name: VM })) as { state: string };
    expect(vm.state).toBe('stopped');
    expect(pageProblems).toEqual([]);
  });
});
