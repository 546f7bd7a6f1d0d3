// The Images page and the pickers, in real Chromium against the real helper: a disk is
// imported from the Import disk dialog and a busybox image pulled from a local registry
// (Debian's docker-registry in the helper's network namespace) from the Pull image
// dialog, both shown in the library; a VM is then made in the wizard by picking the disk
// from the library, not typing its path, and the page names it as the disk's user.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startRegistry, type LocalRegistry } from '../helper/system-tests/fixtures/local-registry.js';
import { ImagesPage } from './pages/images-page.js';
import { VmWizardPage } from './pages/vm-pages.js';
import { expect, test } from './support/fixtures.js';
import { callOverWeb } from './support/web-api.js';
import type { VmInfo } from '../src-shared/vm.js';

const ARTIFACTS = new URL('./artifacts/', import.meta.url);
const shot = (name: string) => ({ path: new URL(`images-library-${name}.png`, ARTIFACTS).pathname, fullPage: true });
const suffix = randomBytes(3).toString('hex');
const disk = `nv11i-${suffix}-disk`;
const vmName = `nv11i-${suffix}-vm`;
const oci = `nv11i-${suffix}`;

/** What the helper answered over the web API, or undefined for a refusal. */
async function answer<T>(origin: string, token: string, method: Parameters<typeof callOverWeb>[2], params: Parameters<typeof callOverWeb>[3]): Promise<T | undefined> {
  const reply = await callOverWeb(origin, token, method, params);
  return reply.ok ? (reply.value as T) : undefined;
}

test.describe('the image library', () => {
  test.describe.configure({ timeout: 240_000 });
  let registry: LocalRegistry | null = null;
  let work = '';

  test.afterAll(async ({ nova }) => {
    await callOverWeb(nova.origin, nova.token, 'vm.delete', { name: vmName, force: true }).catch(() => undefined);
    await callOverWeb(nova.origin, nova.token, 'image.remove', { name: disk }).catch(() => undefined);
    await callOverWeb(nova.origin, nova.token, 'ociImage.remove', { name: `${oci}:latest` }).catch(() => undefined);
    registry?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  test('import a disk and pull an image from their dialogs, then make a VM by picking the disk', async ({ page, nova, pageProblems }) => {
    work = join(nova.runDir, `${oci}-registry`);
    await mkdir(join(work, 'rootfs'), { recursive: true });
    await writeFile(join(work, 'rootfs', 'hello.txt'), 'nv11i\n');
    execFileSync('tar', ['--create', '--file', join(work, 'rootfs.tar'), '--directory', join(work, 'rootfs'), '.']);
    registry = await startRegistry(work, nova.netns);
    const reference = await registry.push(join(work, 'rootfs.tar'), `${oci}/tiny:1`, ['true']);
    const file = join(nova.importDir, `${disk}.raw`);
    execFileSync('qemu-img', ['create', '-q', '-f', 'raw', file, '64M']);

    const images = new ImagesPage(page);
    await images.open(nova.url);
    await images.goTo('Images');
    await images.startImport(file, disk);
    await expect(images.imageRow(disk)).toContainText('qcow2', { timeout: 60_000 });
    await expect(images.imageRow(disk)).toContainText('nothing');

    await page.getByRole('button', { name: 'Pull image' }).click();
    const pull = page.getByRole('dialog', { name: 'Pull an OCI image' });
    await pull.getByLabel('Image reference').fill(reference);
    await pull.getByLabel('Name', { exact: true }).fill(oci);
    await pull.getByLabel('Plain HTTP registry').check();
    await pull.getByRole('button', { name: 'Pull' }).click();
    await expect(images.imageRow(`${oci}:latest`)).toBeVisible({ timeout: 90_000 });

    const wizard = new VmWizardPage(page);
    await wizard.goTo('Virtual machines');
    await page.getByRole('link', { name: /New VM/ }).or(page.getByRole('button', { name: /New VM/ })).first().click();
    await wizard.field('Name').fill(vmName);
    await wizard.form.getByRole('radio', { name: /Existing disk/ }).check();
    const { path } = (await answer<Array<{ name: string; path: string }>>(nova.origin, nova.token, 'image.list', {}))!.find((i) => i.name === disk)!;
    // The library's own entry, chosen in the list: the path is its value, never typed.
    await wizard.field('Disk image').selectOption(path);
    await wizard.field('Memory').fill('128Mi');
    await wizard.create.click();
    await expect.poll(async () => (await answer<VmInfo>(nova.origin, nova.token, 'vm.get', { name: vmName }))?.definition.disks.length, { timeout: 60_000 }).toBe(1);

    await images.goTo('Images');
    await expect(images.imageRow(disk)).toContainText(vmName, { timeout: 15_000 });
    await page.emulateMedia({ colorScheme: 'light' });
    await page.screenshot(shot('light'));
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot(shot('dark'));
    expect(pageProblems).toEqual([]);
  });
});
