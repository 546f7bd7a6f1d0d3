// Moving a running VM to another host from its page, against two real test hosts joined by
// a veth pair (the second reached by real OpenSSH): a TCG guest on the first is moved with the
// Move dialog and cancelled halfway (it runs on where it was), then moved for good, the dialog
// showing the send's progress and then how long it took; the guest then runs in the second
// host's list and is gone from the first's. A guest on a network the second
// host lacks is refused in the dialog's words before anything moves, and runs on where it was.
import { execa } from 'execa';
import { ensureTestGuest } from '../helper/system-tests/fixtures/guest-builder.js';
import { AppShell } from './pages/app-shell.js';
import { CommandPaletteDialog } from './pages/command-palette.js';
import { VmDetailPage } from './pages/vm-pages.js';
import { VmMoveDialog } from './pages/vm-move-dialog.js';
import { expect } from './support/fixtures.js';
import { guestStateOn, twoHostsTest } from './support/two-hosts-test.js';
import { remoteName, type TwoHostsLayout } from './support/two-test-hosts.js';

const LAYOUT: TwoHostsLayout = { prefix: 'nv7u', firstAddress: '10.217.9.1', secondAddress: '10.217.9.2', sshPort: 2249 };
const CLOSET = remoteName(LAYOUT);
const VM = 'nv7u-mover';
const VM_NET = 'nv7u-netbound';
/** Under 15 characters: it names the bridge. */
const NET = 'nv7ulan';
/** A new ssh connection and the helper's answer, plus the switcher's poll, on a busy machine. */
const LINK_MS = 30_000;
/** A 128 MiB TCG guest's memory over TLS on two busy cores, with the steps around it. */
const MOVE_MS = 180_000;

/** Slows (or restores) what leaves a host's namespace by `dev`, so a migration's send takes a while. */
async function throttle(netns: string, dev: string, on: boolean): Promise<void> {
  const args = on ? ['qdisc', 'add', 'dev', dev, 'root', 'tbf', 'rate', '4mbit', 'burst', '32kbit', 'latency', '400ms'] : ['qdisc', 'del', 'dev', dev, 'root'];
  await execa('ip', ['netns', 'exec', netns, 'tc', ...args], { timeout: 10_000 });
}

const test = twoHostsTest(LAYOUT);

test('moves a running guest to the saved host with the Move dialog (after one move cancelled halfway), and shows a refusal before anything moves', async ({ page, hosts }, testInfo) => {
  test.setTimeout(420_000);
  const first = hosts.first;
  const second = hosts.second;
  if (!first || !second) throw new Error('the test hosts did not start');
  const guest = await ensureTestGuest();
  const kernelArgs = ['--cpus', '1', '--memory', '128Mi', '--accel', 'tcg', '--display', 'none', '--kernel', guest.vmlinux, '--initrd', guest.initrdAcpi, '--cmdline', guest.cmdline];
  await hosts.nova(first, ['vm', 'create', VM, ...kernelArgs]);
  await hosts.nova(first, ['vm', 'start', VM]);

  const shell = new AppShell(page);
  await shell.open(first.url);
  const switcher = page.getByRole('combobox', { name: 'Host' });
  await expect(switcher.locator('option', { hasText: `${CLOSET} (connected)` })).toHaveCount(1, { timeout: LINK_MS });
  await shell.goTo('Virtual machines');
  await page.locator(`tr[data-vm="${VM}"]`).getByRole('link', { name: VM }).click();
  const vmPage = new VmDetailPage(page, VM);
  await expect(vmPage.state).toHaveAttribute('data-state', 'running', { timeout: LINK_MS });

  // The dialog offers the saved host with its link, and the address it listens on as the CLI picks it.
  const move = new VmMoveDialog(page, VM);
  await move.open();
  await expect(move.destination(`${CLOSET} (connected)`)).toBeChecked();
  await expect(move.listen).toHaveValue(LAYOUT.secondAddress);
  await expect(move.postcopy).not.toBeChecked();
  await page.screenshot({ path: testInfo.outputPath('move-dialog-light.png') });

  // First cancelled halfway, over a link slowed to a few Mbit/s so that the send lasts: the
  // guest runs on here and the saved host keeps nothing of it.
  await throttle(first.netns, `${LAYOUT.prefix}a0`, true);
  try {
    await move.move.click();
    await expect(move.running).toHaveAttribute('data-move-step', 'sending', { timeout: LINK_MS });
    await expect(move.running.getByRole('progressbar')).toHaveAttribute('aria-valuetext', /^copying the memory/, { timeout: LINK_MS });
    await move.cancel.click();
    await expect(move.outcome).toHaveAttribute('data-move-outcome', 'cancelled', { timeout: LINK_MS });
    await expect(move.outcome).toContainText(`The move of VM ${VM} was cancelled; it runs on this machine as before`);
  } finally {
    await throttle(first.netns, `${LAYOUT.prefix}a0`, false);
  }
  await expect(vmPage.state).toHaveAttribute('data-state', 'running');
  expect(await guestStateOn(hosts, first, 'vm', VM)).toBe('running');
  expect(await guestStateOn(hosts, second, 'vm', VM)).toBeNull();

  // Then for good.
  await move.dialog.getByRole('button', { name: 'Back' }).click();
  await expect(move.destination(`${CLOSET} (connected)`)).toBeChecked();
  await move.recordSteps();
  await move.move.click();

  // Progress while it runs, then the outcome: the time and the pause at the switch.
  await expect(move.running).toBeVisible();
  await expect(move.outcome).toHaveAttribute('data-move-outcome', 'moved', { timeout: MOVE_MS });
  await expect(move.outcome).toContainText(new RegExp(`${VM} now runs on ${CLOSET}: moved in [0-9.]+ s, paused \\d+ ms at the switch`));
  const seen = await move.recordedSteps();
  console.log(`steps the dialog showed: ${[...new Set(seen)].join(' | ')}`);
  expect(seen).toContain('step:sending');
  // The send's operation: its phase and the bytes sent on the bar.
  expect(seen.some((s) => /^bar:copying the (disks|memory).*\d/.test(s))).toBe(true);
  await page.screenshot({ path: testInfo.outputPath('move-done-light.png') });

  // The guest runs on the saved host now, and this machine has it no more.
  await move.dialog.getByRole('button', { name: `Show it on ${CLOSET}` }).click();
  await expect(switcher).toHaveValue(CLOSET);
  await expect(page.locator(`main[data-host="${CLOSET}"] h1`)).toHaveText(VM);
  await shell.goTo('Virtual machines');
  await expect(page.locator(`main[data-host="${CLOSET}"] tr[data-vm="${VM}"] [data-state]`)).toHaveAttribute('data-state', 'running', { timeout: LINK_MS });
  await switcher.selectOption('local');
  // It was this machine's only guest.
  await expect(page.locator('main[data-host="local"]').getByText('No virtual machines yet.')).toBeVisible();
  await expect(page.locator(`main[data-host="local"] tr[data-vm="${VM}"]`)).toHaveCount(0);
  expect(await guestStateOn(hosts, second, 'vm', VM)).toBe('running');
  expect(await guestStateOn(hosts, first, 'vm', VM)).toBeNull();

  // A guest on a network the saved host lacks: refused in words, and it runs on here.
  await hosts.nova(first, ['net', 'create', NET, '--type', 'bridge', '--profile', 'internal', '--subnet', '192.168.219.1/24', '--no-dhcp', '--no-dns']);
  await hosts.nova(first, ['vm', 'create', VM_NET, ...kernelArgs, '--network', `nova:${NET}`]);
  await hosts.nova(first, ['vm', 'start', VM_NET]);
  await page.reload();
  await expect(page.locator(`main[data-host="local"] tr[data-vm="${VM_NET}"] [data-state]`)).toHaveAttribute('data-state', 'running', { timeout: LINK_MS });
  // This time from the command palette, which opens the VM's page with its Move dialog.
  const palette = new CommandPaletteDialog(page);
  await palette.openWithKeyboard();
  await palette.type(`move vm ${VM_NET}`);
  await expect(palette.options).toHaveText([new RegExp(`^Move VM ${VM_NET} to another host`)]);
  await page.keyboard.press('Enter');
  const refused = new VmMoveDialog(page, VM_NET);
  await expect(refused.dialog).toBeVisible();
  await expect(page.locator('main h1')).toHaveText(VM_NET);
  await expect(refused.destination(`${CLOSET} (connected)`)).toBeChecked();
  await refused.move.click();
  await expect(refused.outcome).toHaveAttribute('data-move-outcome', 'failed', { timeout: LINK_MS });
  await expect(refused.dialog.getByRole('alert')).toContainText(`Not moved: VM ${VM_NET} is on network ${NET}, which this host does not have: create it here first (nothing was moved; ${VM_NET} runs on this machine)`);
  await page.screenshot({ path: testInfo.outputPath('move-refused-light.png') });
  expect(await guestStateOn(hosts, first, 'vm', VM_NET)).toBe('running');
  expect(await guestStateOn(hosts, second, 'vm', VM_NET)).toBeNull();

  await hosts.nova(second, ['vm', 'rm', '--force', VM]).catch(() => undefined);
  await hosts.nova(first, ['vm', 'rm', '--force', VM_NET]).catch(() => undefined);
});
