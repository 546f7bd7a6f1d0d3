// Clone and template through the VM page's Settings tab, in real Chromium against the
// real helper and qemu-img: Make template, New from template (a linked overlay), Clone
// (a whole copy), and the helper's definitions say the same. Light and dark screenshots
// go to e2e/artifacts/.
import { randomBytes } from 'node:crypto';
import { VmDetailPage, VmListPage } from './pages/vm-pages.js';
import { expect, test } from './support/fixtures.js';
import { callOverWeb } from './support/web-api.js';
import type { VmInfo } from '../src-shared/vm.js';

const ARTIFACTS = new URL('./artifacts/', import.meta.url);
const shot = (name: string) => ({ path: new URL(`vm-clone-template-${name}.png`, ARTIFACTS).pathname, fullPage: true });
const suffix = randomBytes(3).toString('hex');
const source = `nv11i-${suffix}`;
const fromTemplate = `nv11i-${suffix}-new`;
const clone = `nv11i-${suffix}-copy`;

async function vmOf(origin: string, token: string, name: string): Promise<VmInfo | null> {
  const answer = await callOverWeb(origin, token, 'vm.get', { name });
  return answer.ok ? (answer.value as VmInfo) : null;
}

test.describe('clone and template in the UI', () => {
  test.describe.configure({ timeout: 180_000 });

  test.afterAll(async ({ nova }) => {
    for (const name of [fromTemplate, clone, source]) await callOverWeb(nova.origin, nova.token, 'vm.delete', { name, force: true }).catch(() => undefined);
  });

  test('Make template, New from template and Clone, each with its dialog', async ({ page, nova, pageProblems }) => {
    const made = await callOverWeb(nova.origin, nova.token, 'vm.create', { name: source, memory: '128Mi', diskSize: '64Mi', display: 'none' });
    expect(made.ok).toBe(true);

    const list = new VmListPage(page);
    await list.open(nova.url);
    await list.goTo('Virtual machines');
    await list.row(source).getByRole('link', { name: source }).click();
    const vm = new VmDetailPage(page, source);
    await vm.tab('Settings');

    const copies = page.getByRole('region', { name: 'Copies and templates' });
    await copies.getByRole('button', { name: 'Make template' }).click();
    await expect(copies.getByRole('button', { name: 'Make ordinary VM' })).toBeVisible({ timeout: 15_000 });
    expect((await vmOf(nova.origin, nova.token, source))?.definition.template).toBe(true);

    await copies.getByRole('button', { name: 'New from template…' }).click();
    const create = page.getByRole('dialog', { name: `New VM from ${source}` });
    await create.getByLabel('New VM name').fill(fromTemplate);
    await create.getByRole('button', { name: 'Create' }).click();
    await expect(page).toHaveURL(new RegExp(`#/vms/${fromTemplate}$`), { timeout: 30_000 });
    const linked = await vmOf(nova.origin, nova.token, fromTemplate);
    expect(linked?.definition.template).toBe(false);

    await list.goTo('Virtual machines');
    await list.row(source).getByRole('link', { name: source }).click();
    await vm.tab('Settings');
    await copies.getByRole('button', { name: 'Clone…' }).click();
    const cloning = page.getByRole('dialog', { name: `Clone ${source}` });
    await cloning.getByLabel('New VM name').fill(clone);
    await page.emulateMedia({ colorScheme: 'light' });
    await page.screenshot(shot('light'));
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot(shot('dark'));
    await cloning.getByRole('button', { name: 'Clone' }).click();
    await expect(page).toHaveURL(new RegExp(`#/vms/${clone}$`), { timeout: 60_000 });
    const copy = await vmOf(nova.origin, nova.token, clone);
    expect(copy?.definition.disks).toHaveLength(1);
    expect(copy?.definition.template).toBe(false);
    expect(pageProblems).toEqual([]);
  });
});
