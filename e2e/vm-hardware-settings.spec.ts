// The VM page's Settings tab changes a stopped VM's hardware, in real Chromium against
// the real helper: memory is saved, a disk is added and listed, and the helper's
// definition says the same. Light and dark screenshots go to e2e/artifacts/.
import { randomBytes } from 'node:crypto';
import { ensureTestGuest } from '../helper/system-tests/fixtures/guest-builder.js';
import { VmDetailPage, VmListPage } from './pages/vm-pages.js';
import { expect, test } from './support/fixtures.js';
import { callOverWeb } from './support/web-api.js';
import type { VmDefinition, VmInfo } from '../src-shared/vm.js';

const ARTIFACTS = new URL('./artifacts/', import.meta.url);
const shot = (name: string) => ({ path: new URL(`vm-hardware-${name}.png`, ARTIFACTS).pathname, fullPage: true });
const vmName = `nv11h-${randomBytes(3).toString('hex')}`;

/** The VM's definition as the helper has it, over the same web API the page uses. */
async function definitionOf(origin: string, token: string): Promise<VmDefinition> {
  const answer = await callOverWeb(origin, token, 'vm.get', { name: vmName });
  if (!answer.ok) throw new Error(`vm.get ${vmName}: ${JSON.stringify(answer)}`);
  return (answer.value as VmInfo).definition;
}

test.describe('VM hardware settings', () => {
  test.describe.configure({ timeout: 180_000 });

  test.afterAll(async ({ nova }) => {
    await callOverWeb(nova.origin, nova.token, 'vm.delete', { name: vmName, force: true }).catch(() => undefined);
  });

  test('the Settings tab changes memory and adds a disk on a stopped VM', async ({ page, nova, pageProblems }) => {
    const guest = await ensureTestGuest();
    await callOverWeb(nova.origin, nova.token, 'vm.create', { name: vmName, memory: '256Mi', diskSize: '64Mi', kernel: guest.vmlinux, initrd: guest.initrdAcpi, cmdline: guest.cmdline, display: 'none' });

    const list = new VmListPage(page);
    await list.open(nova.url);
    await list.goTo('Virtual machines');
    await list.row(vmName).getByRole('link', { name: vmName }).click();
    const vm = new VmDetailPage(page, vmName);
    await vm.tab('Settings');

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
});
