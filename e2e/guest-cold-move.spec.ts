// Cold moves with the Move dialog, against two real test hosts joined by a veth pair (the
// second reached by real OpenSSH): a stopped VM with a disk moves and is on the second host,
// stopped, and gone from the first; a running busybox capsule moves from its page, is stopped
// on the first and runs on the second.
import { makeBusyboxRootfs } from '../helper/system-tests/fixtures/capsule-harness.js';
import { ensureTestGuest } from '../helper/system-tests/fixtures/guest-builder.js';
import { AppShell } from './pages/app-shell.js';
import { VmDetailPage } from './pages/vm-pages.js';
import { VmMoveDialog } from './pages/vm-move-dialog.js';
import { expect } from './support/fixtures.js';
import { guestStateOn, twoHostsTest } from './support/two-hosts-test.js';
import { remoteName, type TwoHostsLayout } from './support/two-test-hosts.js';

const LAYOUT: TwoHostsLayout = { prefix: 'nv7k', firstAddress: '10.217.12.1', secondAddress: '10.217.12.2', sshPort: 2252 };
const CLOSET = remoteName(LAYOUT);
const VM = 'nv7k-cold';
const CAPSULE = 'nv7k-box';
const IMAGE = 'nv7k-busybox';
/** A new ssh connection and the helper's answer, plus the switcher's poll, on a busy machine. */
const LINK_MS = 30_000;
/** A small disk's or image's files over TLS on two busy cores, with the steps around them. */
const MOVE_MS = 120_000;

const test = twoHostsTest(LAYOUT);

test('moves a stopped VM to the saved host with the Move dialog: it is there, stopped, and gone from here', async ({ page, hosts }, testInfo) => {
  test.setTimeout(300_000);
  const first = hosts.first;
  const second = hosts.second;
  if (!first || !second) throw new Error('the test hosts did not start');
  const guest = await ensureTestGuest();
  await hosts.nova(first, ['vm', 'create', VM, '--cpus', '1', '--memory', '128Mi', '--accel', 'tcg', '--display', 'none', '--disk-size', '16Mi', '--kernel', guest.vmlinux, '--initrd', guest.initrdAcpi, '--cmdline', guest.cmdline]);
  try {
    const shell = new AppShell(page);
    await shell.open(first.url);
    const switcher = page.getByRole('combobox', { name: 'Host' });
    await expect(switcher.locator('option', { hasText: `${CLOSET} (connected)` })).toHaveCount(1, { timeout: LINK_MS });
    await shell.goTo('Virtual machines');
    await page.locator(`tr[data-vm="${VM}"]`).getByRole('link', { name: VM }).click();
    const vmPage = new VmDetailPage(page, VM);
    await expect(vmPage.state).toHaveAttribute('data-state', 'stopped', { timeout: LINK_MS });

    // A stopped VM is offered a cold move: no post-copy, and the dialog says what happens.
    const move = new VmMoveDialog(page, VM);
    await move.open();
    await expect(move.destination(`${CLOSET} (connected)`)).toBeChecked();
    await expect(move.listen).toHaveValue(LAYOUT.secondAddress);
    await expect(move.postcopy).toHaveCount(0);
    await expect(move.dialog.getByRole('note')).toHaveText(`${VM} is stopped, so it moves cold: its disks and firmware state are copied, and it stays stopped there.`);
    await move.recordSteps();
    await move.move.click();

    await expect(move.outcome).toHaveAttribute('data-move-outcome', 'moved', { timeout: MOVE_MS });
    await expect(move.outcome).toContainText(new RegExp(`^${VM} is on ${CLOSET} now, moved stopped: \\d+ files?, [0-9.]+ [KMG]?i?B copied in [0-9.]+ s\\.$`));
    const seen = await move.recordedSteps();
    console.log(`steps the dialog showed: ${[...new Set(seen)].join(' | ')}`);
    expect(seen).toContain('step:sending');
    await page.screenshot({ path: testInfo.outputPath('cold-move-done.png') });

    // It is on the saved host, stopped, and this machine has it no more.
    await move.dialog.getByRole('button', { name: `Show it on ${CLOSET}` }).click();
    await expect(switcher).toHaveValue(CLOSET);
    await expect(page.locator(`main[data-host="${CLOSET}"] h1`)).toHaveText(VM);
    await shell.goTo('Virtual machines');
    await expect(page.locator(`main[data-host="${CLOSET}"] tr[data-vm="${VM}"] [data-state]`)).toHaveAttribute('data-state', 'stopped', { timeout: LINK_MS });
    await switcher.selectOption('local');
    await expect(page.locator('main[data-host="local"]').getByText('No virtual machines yet.')).toBeVisible();
    expect(await guestStateOn(hosts, second, 'vm', VM)).toBe('stopped');
    expect(await guestStateOn(hosts, first, 'vm', VM)).toBeNull();
  } finally {
    await hosts.nova(second, ['vm', 'rm', '--force', VM]).catch(() => undefined);
    await hosts.nova(first, ['vm', 'rm', '--force', VM]).catch(() => undefined);
  }
});

test('moves a running capsule to the saved host from its page: stopped here, it runs there', async ({ page, hosts }, testInfo) => {
  test.setTimeout(300_000);
  const first = hosts.first;
  const second = hosts.second;
  if (!first || !second) throw new Error('the test hosts did not start');
  await hosts.nova(first, ['image', 'import', await makeBusyboxRootfs(first.importDir), IMAGE]);
  await hosts.nova(first, ['capsule', 'create', CAPSULE, '--image', IMAGE, '--stop-timeout', '1', '--', 'sleep', '600']);
  await hosts.nova(first, ['capsule', 'start', CAPSULE]);
  try {
    const shell = new AppShell(page);
    await shell.open(first.url);
    const switcher = page.getByRole('combobox', { name: 'Host' });
    await expect(switcher.locator('option', { hasText: `${CLOSET} (connected)` })).toHaveCount(1, { timeout: LINK_MS });
    await shell.goTo('Capsules');
    await page.locator(`main[data-host="local"] tr[data-capsule="${CAPSULE}"]`).getByRole('link', { name: CAPSULE }).click();
    await expect(page.locator('main h1')).toHaveText(CAPSULE);
    await expect(page.locator('main header [data-state]')).toHaveAttribute('data-state', 'running', { timeout: LINK_MS });

    // The same Move dialog as a VM's, saying what happens to a running capsule.
    const move = new VmMoveDialog(page, CAPSULE);
    await move.open();
    await expect(move.destination(`${CLOSET} (connected)`)).toBeChecked();
    await expect(move.listen).toHaveValue(LAYOUT.secondAddress);
    await expect(move.postcopy).toHaveCount(0);
    await expect(move.dialog.getByRole('note')).toHaveText(`${CAPSULE} runs, so it is stopped here and started there: its files, volumes and image are copied while it is stopped.`);
    await move.recordSteps();
    await move.move.click();

    await expect(move.outcome).toHaveAttribute('data-move-outcome', 'moved', { timeout: MOVE_MS });
    await expect(move.outcome).toContainText(new RegExp(`^${CAPSULE} runs on ${CLOSET} now, stopped here and started there: \\d+ files?, [0-9.]+ [KMG]?i?B copied in [0-9.]+ s\\.$`));
    const seen = await move.recordedSteps();
    console.log(`steps the dialog showed: ${[...new Set(seen)].join(' | ')}`);
    expect(seen).toContain('step:sending');
    await page.screenshot({ path: testInfo.outputPath('capsule-move-done.png') });

    // It runs on the saved host, and this machine has it no more.
    await move.dialog.getByRole('button', { name: `Show it on ${CLOSET}` }).click();
    await expect(switcher).toHaveValue(CLOSET);
    await expect(page.locator(`main[data-host="${CLOSET}"] h1`)).toHaveText(CAPSULE);
    await expect(page.locator(`main[data-host="${CLOSET}"] header [data-state]`)).toHaveAttribute('data-state', 'running', { timeout: LINK_MS });
    expect(await guestStateOn(hosts, second, 'capsule', CAPSULE)).toBe('running');
    expect(await guestStateOn(hosts, first, 'capsule', CAPSULE)).toBeNull();
  } finally {
    await hosts.nova(second, ['capsule', 'rm', '--force', CAPSULE]).catch(() => undefined);
    await hosts.nova(first, ['capsule', 'rm', '--force', CAPSULE]).catch(() => undefined);
  }
});
