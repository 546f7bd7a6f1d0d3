// The VM page's Settings tab lists every NIC of a VM, in real Chromium against the real
// helper: a second NIC is added and listed as net1, its MAC is changed, its cable pulled
// (kept for the next start of a stopped VM), and net0 is removed after a confirmation so
// the other one moves up to net0; the helper's definition says the same at each step.
// Light and dark screenshots go to e2e/artifacts/.
import { randomBytes } from 'node:crypto';
import type { Page } from '@playwright/test';
import { ensureTestGuest } from '../helper/system-tests/fixtures/guest-builder.js';
import { VmDetailPage, VmListPage } from './pages/vm-pages.js';
import { seriousAxeViolations } from './support/axe.js';
import { expect, test } from './support/fixtures.js';
import { callOverWeb } from './support/web-api.js';
import type { VmDefinition, VmInfo } from '../src-shared/vm.js';

const ARTIFACTS = new URL('./artifacts/', import.meta.url);
const shot = (name: string) => ({ path: new URL(`vm-nics-${name}.png`, ARTIFACTS).pathname, fullPage: true });
const vmName = `nv6n-${randomBytes(3).toString('hex')}`;
const MAC = '52:54:00:6e:00:01';

async function definitionOf(origin: string, token: string): Promise<VmDefinition> {
  const answer = await callOverWeb(origin, token, 'vm.get', { name: vmName });
  if (!answer.ok) throw new Error(`vm.get ${vmName}: ${JSON.stringify(answer)}`);
  return (answer.value as VmInfo).definition;
}

const toast = (page: Page, text: string) => page.getByRole('status').filter({ hasText: text });

test.describe('VM NICs in the Settings tab', () => {
  test.describe.configure({ timeout: 240_000 });

  test.afterAll(async ({ nova }) => {
    await callOverWeb(nova.origin, nova.token, 'vm.delete', { name: vmName, force: true }).catch(() => undefined);
  });

  test('lists every NIC and adds, changes, unplugs and removes them one by one', async ({ page, nova, pageProblems }) => {
    const guest = await ensureTestGuest();
    const created = await callOverWeb(nova.origin, nova.token, 'vm.create', { name: vmName, memory: '256Mi', kernel: guest.vmlinux, initrd: guest.initrdNet, cmdline: guest.cmdline, display: 'none', network: 'user' });
    expect(created).toMatchObject({ ok: true });

    const list = new VmListPage(page);
    await list.open(nova.url);
    await list.goTo('Virtual machines');
    await list.row(vmName).getByRole('link', { name: vmName }).click();
    await new VmDetailPage(page, vmName).tab('Settings');

    const nics = page.getByRole('region', { name: 'Network interfaces' });
    await expect(nics.getByTestId('vm-nic-0')).toContainText('net0: user; MAC automatic; virtio; cable plugged in');
    await expect(nics.getByTestId('vm-nic-1')).toHaveCount(0);

    // A second NIC, at the end of the list.
    const add = page.getByRole('form', { name: 'Add a NIC' });
    await add.getByRole('button', { name: 'Add NIC' }).click();
    await expect(toast(page, 'NIC net1 added on user networking')).toBeVisible({ timeout: 20_000 });
    await expect(nics.getByTestId('vm-nic-1')).toContainText('net1: user');
    expect((await definitionOf(nova.origin, nova.token)).nics).toHaveLength(2);

    // net1 gets a MAC of its own.
    await nics.getByRole('button', { name: 'Change net1' }).click();
    const change = page.getByRole('form', { name: 'Change net1' });
    await change.getByLabel('MAC of net1').fill(MAC);
    await change.getByRole('button', { name: 'Save net1' }).click();
    await expect(toast(page, 'net1 changed')).toBeVisible({ timeout: 20_000 });
    await expect(nics.getByTestId('vm-nic-1')).toContainText(`MAC ${MAC}`);
    expect((await definitionOf(nova.origin, nova.token)).nics[1]?.mac).toBe(MAC);

    // Its cable out: kept for the next start of this stopped VM; net0 keeps its own.
    await nics.getByRole('button', { name: 'Unplug net1 cable' }).click();
    await expect(toast(page, 'net1 cable unplugged')).toBeVisible({ timeout: 20_000 });
    await expect(nics.getByTestId('vm-nic-1')).toContainText('cable unplugged');
    await expect(nics.getByTestId('vm-nic-0')).toContainText('cable plugged in');
    expect((await definitionOf(nova.origin, nova.token)).nics.map((n) => n.link ?? 'up')).toEqual(['up', 'down']);

    await page.emulateMedia({ colorScheme: 'light' });
    await page.screenshot(shot('list-light'));
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot(shot('list-dark'));
    expect(await seriousAxeViolations(page)).toEqual([]);

    // net0 goes after a confirmation: the other NIC moves up to net0, with its MAC and link.
    await nics.getByRole('button', { name: 'Remove net0' }).click();
    await page.getByRole('alertdialog', { name: `Remove NIC net0 of ${vmName}?` }).getByRole('button', { name: 'Remove NIC' }).click();
    await expect(toast(page, 'NIC net0 removed')).toBeVisible({ timeout: 20_000 });
    await expect(nics.getByTestId('vm-nic-1')).toHaveCount(0);
    await expect(nics.getByTestId('vm-nic-0')).toContainText(`net0: user; MAC ${MAC}; virtio; cable unplugged`);
    expect((await definitionOf(nova.origin, nova.token)).nics).toEqual([{ network: { mode: 'user' }, mac: MAC, link: 'down' }]);
    expect(pageProblems).toEqual([]);
  });
});
