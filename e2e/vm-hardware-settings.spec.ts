// The VM page's Settings tab changes a stopped VM's hardware, in real Chromium against
// the real helper: memory is saved, a disk is added and listed, and the helper's
// definition says the same. And every `nova vm` hardware command has its control there:
// a disk grows (a shrink is refused beside the field) and changes bus, a CD drive goes
// (by keyboard through the confirmation), the NIC goes and comes back, the QEMU command
// line names the VM and its memory, and a PCI device is refused with the reason (this
// host has no IOMMU). A host folder is shared read-only from there, listed with how the
// guest mounts it, and removed. Light and dark screenshots go to e2e/artifacts/.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { ensureTestGuest } from '../helper/system-tests/fixtures/guest-builder.js';
import { VmDetailPage, VmListPage } from './pages/vm-pages.js';
import { expect, test } from './support/fixtures.js';
import { callOverWeb } from './support/web-api.js';
import type { VmDefinition, VmInfo } from '../src-shared/vm.js';

const ARTIFACTS = new URL('./artifacts/', import.meta.url);
const shot = (name: string) => ({ path: new URL(`vm-hardware-${name}.png`, ARTIFACTS).pathname, fullPage: true });
const vmName = `nv11h-${randomBytes(3).toString('hex')}`;
const parityVm = `nv16v-${randomBytes(3).toString('hex')}`;
const MIB = 1024 * 1024;

/** The VM's definition as the helper has it, over the same web API the page uses. */
async function definitionOf(origin: string, token: string, name = vmName): Promise<VmDefinition> {
  const answer = await callOverWeb(origin, token, 'vm.get', { name });
  if (!answer.ok) throw new Error(`vm.get ${name}: ${JSON.stringify(answer)}`);
  return (answer.value as VmInfo).definition;
}

/** What qemu-img says the disk file's size is, as a user checking by hand would. */
function virtualSize(path: string): number {
  const info = JSON.parse(execFileSync('qemu-img', ['info', '-U', '--output=json', path], { encoding: 'utf8', timeout: 20_000 })) as { 'virtual-size': number };
  return info['virtual-size'];
}

/** The VM's Settings tab, reached as a user does: the list, the VM, the tab. */
async function openSettings(page: Page, url: string, name: string): Promise<void> {
  const list = new VmListPage(page);
  await list.open(url);
  await list.goTo('Virtual machines');
  await list.row(name).getByRole('link', { name }).click();
  await new VmDetailPage(page, name).tab('Settings');
}

const toast = (page: Page, text: string) => page.getByRole('status').filter({ hasText: text });

test.describe('VM hardware settings', () => {
  test.describe.configure({ timeout: 240_000 });

  test.afterAll(async ({ nova }) => {
    for (const name of [vmName, parityVm]) await callOverWeb(nova.origin, nova.token, 'vm.delete', { name, force: true }).catch(() => undefined);
  });

  test('the Settings tab changes memory and adds a disk on a stopped VM', async ({ page, nova, pageProblems }) => {
    const guest = await ensureTestGuest();
    await callOverWeb(nova.origin, nova.token, 'vm.create', { name: vmName, memory: '256Mi', diskSize: '64Mi', kernel: guest.vmlinux, initrd: guest.initrdAcpi, cmdline: guest.cmdline, display: 'none' });

    await openSettings(page, nova.url, vmName);

    const resources = page.getByRole('form', { name: 'Resources' });
    await expect(resources.getByText('Takes effect when it starts.')).toHaveCount(2);
    await resources.getByLabel('Memory', { exact: true }).fill('384Mi');
    await resources.getByRole('button', { name: 'Save resources' }).click();
    await expect.poll(async () => (await definitionOf(nova.origin, nova.token)).memoryMiB, { timeout: 15_000 }).toBe(384);
    await expect(resources.getByLabel('Memory', { exact: true })).toHaveValue('384Mi');

    const addDisk = page.getByRole('form', { name: 'Add a disk' });
    await addDisk.getByLabel('New disk size', { exact: true }).fill('32Mi');
    await addDisk.getByLabel('Bus', { exact: true }).selectOption('sata');
    await addDisk.getByRole('button', { name: 'Add disk' }).click();
    const disks = page.getByRole('table', { name: 'Disks' });
    await expect(disks.locator('tr[data-disk="disk1"]')).toContainText('sata');
    const def = await definitionOf(nova.origin, nova.token);
    expect(def.disks.map((d) => [d.id, d.bus ?? 'virtio'])).toEqual([
      ['disk0', 'virtio'],
      ['disk1', 'sata'],
    ]);
    await page.emulateMedia({ colorScheme: 'light' });
    await page.screenshot(shot('light'));
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot(shot('dark'));
    expect(pageProblems).toEqual([]);
  });

  test('the Settings tab shares a host folder read-only, says how the guest mounts it, and removes it', async ({ page, nova, pageProblems }) => {
    // In a folder the helper allows (its --allowed-root), as a user sets it up.
    const folder = join(nova.importDir, `${vmName}-src`);
    await mkdir(folder, { recursive: true });
    await openSettings(page, nova.url, vmName);

    const shares = page.getByRole('region', { name: 'Shared folders' });
    await expect(shares).toContainText('No host folders are shared with this VM.');
    const form = page.getByRole('form', { name: 'Share a folder' });
    // A relative folder is refused beside the field before anything is sent.
    await form.getByLabel('Host folder').fill('src');
    await expect(form.getByLabel('Host folder')).toHaveAttribute('aria-invalid', 'true');
    await form.getByLabel('Host folder').fill(folder);
    await form.getByLabel('Path in the guest').fill('/mnt/src');
    await form.getByLabel(/Read-only/).check();
    await form.getByRole('button', { name: 'Share folder' }).click();

    await expect.poll(async () => (await definitionOf(nova.origin, nova.token)).shares?.map((x) => [x.source, x.target, x.readOnly]), { timeout: 15_000 }).toEqual([[folder, '/mnt/src', true]]);
    const share = (await definitionOf(nova.origin, nova.token)).shares![0]!;
    const row = shares.locator('li', { hasText: share.tag });
    await expect(row).toContainText(`${folder} → /mnt/src (read-only)`);
    // How it is carried (virtiofs on q35 where virtiofsd exists, 9p otherwise) and the guest's mount line.
    await expect(row).toContainText(`via ${share.via ?? '9p'}`);
    await expect(row.locator('code').nth(1)).toContainText(share.via === 'virtiofs' ? `mount -t virtiofs ${share.tag} /mnt/src` : `mount -t 9p`);
    await page.screenshot(shot('shares'));

    await row.getByRole('button', { name: `Remove ${share.tag}` }).click();
    await expect(shares).toContainText('No host folders are shared with this VM.', { timeout: 15_000 });
    expect((await definitionOf(nova.origin, nova.token)).shares ?? []).toEqual([]);
    await rm(folder, { recursive: true, force: true });
    expect(pageProblems).toEqual([]);
  });

  test('every vm hardware command: disk, CD drive, NIC, QEMU command line and PCI device from the Settings tab', async ({ page, nova, pageProblems }) => {
    const guest = await ensureTestGuest();
    const made = await callOverWeb(nova.origin, nova.token, 'vm.create', { name: parityVm, memory: '256Mi', diskSize: '64Mi', kernel: guest.vmlinux, initrd: guest.initrdAcpi, cmdline: guest.cmdline, display: 'none', network: 'user' });
    expect(made.ok, JSON.stringify(made)).toBe(true);
    const cd = await callOverWeb(nova.origin, nova.token, 'vm.update', { name: parityVm, devices: [{ op: 'cd.insert', drive: 'cd1', path: guest.initrdAcpi }] });
    expect(cd.ok, JSON.stringify(cd)).toBe(true);

    await openSettings(page, nova.url, parityVm);
    const disk0 = (await definitionOf(nova.origin, nova.token, parityVm)).disks[0]!;

    // A shrink is refused in the helper's words beside the field; growing works.
    const resize = page.getByRole('form', { name: 'Resize disk0' });
    await resize.getByLabel('New size of disk0').fill('32Mi');
    await resize.getByRole('button', { name: 'Resize disk0' }).click();
    await expect(resize.getByRole('alert')).toContainText(/shrink|smaller|grow/i, { timeout: 20_000 });
    await expect(resize.getByLabel('New size of disk0')).toHaveAttribute('aria-invalid', 'true');
    await resize.getByLabel('New size of disk0').fill('96Mi');
    await resize.getByRole('button', { name: 'Resize disk0' }).click();
    await expect(toast(page, 'disk0 grown to 96Mi')).toBeVisible({ timeout: 20_000 });
    await expect(resize.getByRole('alert')).toHaveCount(0);
    expect(virtualSize(disk0.path)).toBe(96 * MIB);

    // The bus waits for the next start; the definition has it at once.
    await page.getByLabel('Bus of disk0').selectOption('sata');
    await page.getByRole('button', { name: 'Apply to disk0' }).click();
    await expect(toast(page, 'disk0: sata, cache writeback')).toBeVisible({ timeout: 20_000 });
    await expect.poll(async () => (await definitionOf(nova.origin, nova.token, parityVm)).disks[0]?.bus, { timeout: 15_000 }).toBe('sata');
    await expect(page.getByLabel('Bus of disk0')).toHaveValue('sata');

    // Removing the drive cd1, by keyboard: Enter asks, focus starts on Cancel, Tab reaches the verb.
    const removeCd = page.getByRole('button', { name: 'Remove drive cd1' });
    await removeCd.focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('alertdialog', { name: 'Remove drive cd1?' });
    await expect(dialog).toContainText('the ISO file stays where it is');
    await page.emulateMedia({ colorScheme: 'light' });
    await page.screenshot(shot('parity-confirm-light'));
    await page.keyboard.press('Escape');
    await expect(dialog).toBeHidden();
    await expect(removeCd).toBeFocused();
    await page.keyboard.press('Enter');
    await page.keyboard.press('Tab');
    await expect(dialog.getByRole('button', { name: 'Remove cd1' })).toBeFocused();
    await page.keyboard.press('Enter');
    await expect(toast(page, 'Drive cd1 removed')).toBeVisible({ timeout: 20_000 });
    await expect(page.locator('li[data-cd="cd1"]')).toHaveCount(0);
    expect((await definitionOf(nova.origin, nova.token, parityVm)).cdroms ?? []).toEqual([]);

    // The NIC goes (after a confirmation) and comes back on user networking.
    const nic = page.getByRole('region', { name: 'Network interfaces' });
    await nic.getByRole('button', { name: 'Remove net0' }).click();
    await page.getByRole('alertdialog', { name: `Remove NIC net0 of ${parityVm}?` }).getByRole('button', { name: 'Remove NIC' }).click();
    await expect(toast(page, 'NIC net0 removed')).toBeVisible({ timeout: 20_000 });
    expect((await definitionOf(nova.origin, nova.token, parityVm)).nics).toEqual([]);
    const addNic = page.getByRole('form', { name: 'Add a NIC' });
    await expect(addNic.getByText('The NIC is added when it starts, after the others.')).toBeVisible();
    await addNic.getByRole('button', { name: 'Add NIC' }).click();
    await expect(toast(page, 'NIC net0 added on user networking')).toBeVisible({ timeout: 20_000 });
    expect((await definitionOf(nova.origin, nova.token, parityVm)).nics.map((n) => n.network.mode)).toEqual(['user']);
    await expect(nic.getByRole('button', { name: 'Remove net0' })).toBeVisible();

    // The QEMU command line the next start would run.
    await page.getByText('QEMU command line', { exact: true }).click();
    const line = page.getByLabel('QEMU command line', { exact: true });
    await expect(line).toContainText(parityVm, { timeout: 20_000 });
    await expect(line).toContainText('-m 256M');
    await expect(page.getByRole('button', { name: 'Copy' })).toBeVisible();

    // A PCI device: this host has no IOMMU, so the picker refuses with the reason.
    const pci = page.getByRole('form', { name: 'Pass a PCI device' });
    const picker = pci.getByLabel('PCI device', { exact: true });
    await expect(picker.locator('option')).not.toHaveCount(1, { timeout: 20_000 });
    const first = await picker.locator('option').nth(1).getAttribute('value');
    await picker.selectOption(first ?? '');
    const why = pci.getByRole('alert', { name: 'Why this device cannot be passed' });
    await expect(why).toContainText(`${first} cannot be passed through on this host`, { timeout: 20_000 });
    await expect(why).toContainText(/IOMMU/i);
    await expect(pci.getByRole('button', { name: 'Pass device' })).toHaveAttribute('aria-disabled', 'true');
    // Pressing it anyway (aria-disabled keeps it in the tab order) passes nothing.
    await pci.getByRole('button', { name: 'Pass device' }).focus();
    await page.keyboard.press('Enter');
    expect((await definitionOf(nova.origin, nova.token, parityVm)).devices ?? []).toEqual([]);

    await page.emulateMedia({ colorScheme: 'light' });
    await page.screenshot(shot('parity-light'));
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot(shot('parity-dark'));
    expect(pageProblems).toEqual([]);
  });
});
