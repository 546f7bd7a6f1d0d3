// The console window's USB menu in web mode, against the real helper and QEMU under TCG:
// the emulated tablet is attached to the running VM from the menu (hot-plugged through
// QMP), shows as attached there and in vm.usbList, and is detached again from the menu.
// Screenshots in both themes go to e2e/artifacts/.
import { randomBytes } from 'node:crypto';
import { ensureTestGuest } from '../helper/system-tests/fixtures/guest-builder.js';
import { AppShell } from './pages/app-shell.js';
import { ConsoleWindowPage } from './pages/vm-pages.js';
import { expect, test } from './support/fixtures.js';
import { callOverWeb } from './support/web-api.js';

const ARTIFACTS = new URL('./artifacts/', import.meta.url);
const shot = (name: string) => ({ path: new URL(`console-usb-${name}.png`, ARTIFACTS).pathname });
const vmName = `nv10u-${randomBytes(3).toString('hex')}`;

test.describe('Console USB menu', () => {
  test.describe.configure({ timeout: 240_000 });

  test.afterAll(async ({ nova }) => {
    await callOverWeb(nova.origin, nova.token, 'vm.delete', { name: vmName, force: true }).catch(() => undefined);
  });

  test('attaches the emulated tablet to the running VM and detaches it', async ({ page, context, nova }) => {
    test.setTimeout(240_000);
    const guest = await ensureTestGuest();
    const usbList = () => callOverWeb(nova.origin, nova.token, 'vm.usbList', { name: vmName });
    const created = await callOverWeb(nova.origin, nova.token, 'vm.create', { name: vmName, memory: '256Mi', kernel: guest.vmlinux, initrd: guest.initrdAcpi, cmdline: guest.cmdline }, 120_000);
    expect(created).toMatchObject({ ok: true });
    expect(await callOverWeb(nova.origin, nova.token, 'vm.start', { name: vmName }, 120_000)).toMatchObject({ ok: true });

    const shell = new AppShell(page);
    await shell.open(nova.url);
    await expect(shell.connection).toContainText('Connected to Nova');
    const [popup] = await Promise.all([
      context.waitForEvent('page'),
      page.evaluate(`void window.open('console.html#${vmName}', 'nova-console-${vmName}', 'popup,width=900,height=640')`),
    ]);
    const consoleWindow = new ConsoleWindowPage(popup);
    await expect(consoleWindow.status).toHaveText('Connected', { timeout: 30_000 });

    const usb = popup.getByRole('button', { name: 'USB' });
    // The menu's entry point, for the parity table: it lists, and its items attach and detach.
    await expect(usb).toHaveAttribute('data-method', 'vm.usbList vm.usbAttach vm.usbDetach');
    await usb.click();
    const attach = popup.getByRole('menuitem', { name: 'Attach Tablet (emulated)' });
    await expect(attach).toHaveAttribute('data-method', 'vm.usbAttach');
    await attach.click();
    const detach = popup.getByRole('menuitem', { name: 'Detach Tablet (emulated)' });
    await expect(detach).toBeVisible({ timeout: 20_000 });
    await expect(detach).toHaveAttribute('data-method', 'vm.usbDetach');
    expect(await usbList()).toMatchObject({ ok: true, value: { devices: [{ device: 'usb:tablet', plugged: true }] } });
    await popup.screenshot(shot('menu-light'));
    await popup.emulateMedia({ colorScheme: 'dark' });
    await popup.screenshot(shot('menu-dark'));
    await popup.emulateMedia({ colorScheme: 'light' });

    await detach.click();
    await expect(popup.getByRole('menuitem', { name: 'Attach Tablet (emulated)' })).toBeVisible({ timeout: 20_000 });
    expect(await usbList()).toMatchObject({ ok: true, value: { devices: [] } });
    await expect(popup.getByRole('alert')).toHaveCount(0);
    await popup.close();
  });
});
