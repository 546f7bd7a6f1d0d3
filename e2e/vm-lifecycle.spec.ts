// A VM through the UI in web mode, against the real helper and QEMU under TCG: create
// it with the wizard (a Debian kernel + busybox initramfs for direct boot), start it,
// watch the graphs fill, read the serial console, see its screen in the noVNC console
// window, take and restore a snapshot, and delete it. Screenshots go to e2e/artifacts/.
import { randomBytes } from 'node:crypto';
import { ensureTestGuest, GUEST_READY_MARKER, type TestGuest } from '../helper/system-tests/fixtures/guest-builder.js';
import { ConsoleWindowPage, VmDetailPage, VmListPage, VmWizardPage } from './pages/vm-pages.js';
import { expect, test } from './support/fixtures.js';
import { callOverWeb } from './support/web-api.js';

const ARTIFACTS = new URL('./artifacts/', import.meta.url);
const shot = (name: string) => ({ path: new URL(`vm-${name}.png`, ARTIFACTS).pathname });

let guest: TestGuest;
const vmName = `nv3u-${randomBytes(3).toString('hex')}`;

test.describe('Virtual machines', () => {
  test.describe.configure({ timeout: 300_000 });

  test.beforeAll(async () => {
    test.setTimeout(320_000);
    guest = await ensureTestGuest();
  });

  // Whatever happened, no VM of ours stays behind in the shared stack.
  test.afterAll(async ({ nova }) => {
    await callOverWeb(nova.origin, nova.token, 'vm.delete', { name: vmName, force: true }).catch(() => undefined);
  });

  test('create with the wizard, start, graphs, consoles, snapshot and restore, delete', async ({ page, context, nova, pageProblems }) => {
    const list = new VmListPage(page);
    await list.open(nova.url);
    await list.goTo('Virtual machines');
    await expect(list.heading).toHaveText('Virtual machines');

    // The wizard checks as you type, with the contract's own messages.
    await list.newVm.click();
    const wizard = new VmWizardPage(page);
    await expect(wizard.heading).toHaveText('New virtual machine');
    await wizard.field('Name').fill('Bad/Name');
    await expect(wizard.errorOf('Name')).toContainText('lowercase letters');
    await wizard.field('Memory').fill('16Zi');
    await expect(wizard.errorOf('Memory')).toContainText('unit "Zi" is not supported');
    await wizard.field('CPUs').fill('0');
    await expect(wizard.errorOf('CPUs')).toContainText('at least one CPU');
    await page.screenshot(shot('wizard-errors-light'));
    await wizard.field('CPUs').fill('1');
    await wizard.fillKernelVm({
      name: vmName,
      kernel: guest.vmlinux,
      initrd: guest.initrdAcpi,
      // console=tty0 puts the boot on the VGA screen too; ttyS0 last keeps the shell on serial.
      cmdline: `console=tty0 ${guest.cmdline}`,
      memory: '256Mi',
      diskSize: '64Mi',
    });
    await expect(wizard.form.locator('.vm-field__error')).toHaveCount(0);
    await wizard.create.click();

    const vm = new VmDetailPage(page, vmName);
    await expect(vm.heading).toHaveText(vmName, { timeout: 60_000 });
    await expect(vm.state).toHaveText('Stopped');

    await vm.action('Start').click();
    await expect(vm.state).toHaveText('Running', { timeout: 120_000 });
    await page.screenshot(shot('overview-light'));

    // The graphs move: the CPU series gains points second by second.
    await vm.tab('Graphs');
    await expect.poll(() => vm.chartPoints('cpu'), { timeout: 20_000 }).toBeGreaterThanOrEqual(3);
    const before = await vm.chartPoints('cpu');
    await expect.poll(() => vm.chartPoints('cpu'), { timeout: 10_000 }).toBeGreaterThan(before);
    await expect(vm.chart('cpu').locator('.recharts-line-curve')).toHaveCount(1);
    await page.screenshot(shot('graphs-light'));

    // The serial console: the log's tail first (the boot marker), then a live round trip.
    await vm.tab('Serial console');
    await expect(page.getByRole('status').filter({ hasText: 'Connected to ttyS0' })).toBeVisible({ timeout: 15_000 });
    await expect(vm.serialTerminal).toContainText(GUEST_READY_MARKER, { timeout: 15_000 });
    await vm.serialTerminal.click();
    await page.keyboard.type('echo nv3u-$((6*7))\r');
    await expect(vm.serialTerminal).toContainText('nv3u-42', { timeout: 15_000 });
    await page.screenshot(shot('serial-light'));

    // The console window: noVNC over main's proxy, with the guest's screen on it.
    await vm.tab('Overview');
    const [popup] = await Promise.all([context.waitForEvent('page'), vm.action('Open console').click()]);
    const consoleProblems: string[] = [];
    popup.on('console', (m) => m.type() === 'error' && !/frame-ancestors/.test(m.text()) && consoleProblems.push(m.text()));
    const consoleWindow = new ConsoleWindowPage(popup);
    await expect(consoleWindow.status).toHaveText('Connected', { timeout: 20_000 });
    await expect.poll(() => consoleWindow.screenVariance(), { timeout: 30_000 }).toBeGreaterThan(50);
    await consoleWindow.sendKeys.click();
    await expect(popup.getByRole('menuitem', { name: 'Ctrl+Alt+Del' })).toBeVisible();
    await popup.keyboard.press('Escape');
    await popup.screenshot(shot('console-window-light'));
    await consoleWindow.screen.locator('canvas').screenshot(shot('console-canvas'));
    await popup.emulateMedia({ colorScheme: 'dark' });
    await popup.screenshot(shot('console-window-dark'));
    expect(consoleProblems).toEqual([]);
    await popup.close();

    // A snapshot with RAM, then restore it: each an operation shown in place while it
    // runs, and how it ended after (too quick here to check the VM busy meanwhile: the
    // clone in operations-ui.spec holds its worker for that).
    await vm.tab('Snapshots');
    await vm.takeSnapshot('nv3u-first', 'before the test changes anything');
    await vm.operationInPlace("Snapshot 'nv3u-first'").expectState('Succeeded', 120_000);
    await expect(vm.snapshot('nv3u-first')).toBeVisible();
    await expect(vm.snapshot('nv3u-first')).toContainText('with RAM');
    await expect(vm.action('Stop')).not.toHaveAttribute('aria-disabled');
    await vm.restoreSnapshot('nv3u-first');
    await vm.operationInPlace("Restore of snapshot 'nv3u-first'").expectState('Succeeded', 120_000);
    await expect(vm.state).not.toHaveAttribute('data-busy');
    await expect(page.getByRole('alert')).toHaveCount(0);
    await expect(vm.snapshot('nv3u-first')).toContainText('you are here');
    await expect(vm.state).toHaveText('Running');
    await page.screenshot(shot('snapshots-light'));

    // Both themes of the pages, for review.
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot(shot('snapshots-dark'));
    await vm.tab('Graphs');
    await expect.poll(() => vm.chartPoints('cpu'), { timeout: 10_000 }).toBeGreaterThan(2);
    await page.screenshot(shot('graphs-dark'));
    await list.goTo('Virtual machines');
    await expect(list.state(vmName)).toHaveText('Running');
    await page.screenshot(shot('list-dark'));
    await page.emulateMedia({ colorScheme: 'light' });
    await page.screenshot(shot('list-light'));

    // Delete: a running VM asks to be forced off first.
    await list.row(vmName).getByRole('link', { name: vmName }).click();
    await vm.deleteForced();
    await expect(list.heading).toHaveText('Virtual machines', { timeout: 60_000 });
    await expect(list.row(vmName)).toHaveCount(0);
    expect(pageProblems).toEqual([]);
  });
});
