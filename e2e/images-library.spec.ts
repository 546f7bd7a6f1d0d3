// The Images page and the pickers, in real Chromium against the real helper: a file the
// web user cannot read is refused in the Import disk dialog, saying why; a disk is imported
// with its progress (bar and bytes) shown in place while qemu-img works, and a busybox image
// pulled from a local registry (Debian's docker-registry in the helper's network namespace)
// with its pull shown in place; then a VM is made in the wizard by picking the disk, and a
// capsule in the capsule dialog by picking the pulled image, which runs; a kernel and an
// initrd, and an installer ISO with a driver ISO, are picked the same way; nothing is
// typed but names.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, copyFile, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { holdWhenRunning, qemuImgConvertOf, writeSparseDisk, type HeldChild } from '../helper/system-tests/fixtures/frozen-child.js';
import { ensureTestGuest } from '../helper/system-tests/fixtures/guest-builder.js';
import { startRegistry, type LocalRegistry } from '../helper/system-tests/fixtures/local-registry.js';
import { CapsulesPage } from './pages/capsule-page.js';
import { ImagesPage } from './pages/images-page.js';
import { VmWizardPage } from './pages/vm-pages.js';
import { expect, test } from './support/fixtures.js';
import { callOverWeb } from './support/web-api.js';
import type { VmInfo } from '../src-shared/vm.js';

const ARTIFACTS = new URL('./artifacts/', import.meta.url);
const shot = (name: string) => ({ path: new URL(`images-library-${name}.png`, ARTIFACTS).pathname, fullPage: true });
const suffix = randomBytes(3).toString('hex');
const disk = `nv6i-${suffix}-disk`;
const vmName = `nv6i-${suffix}-vm`;
const oci = `nv6i-${suffix}`;
const capsule = `nv6i-${suffix}-cap`;
const READY = `nv6i-ready-${suffix}`;
/** A sysctl file without read permission: even root's web process is refused it (procfs checks the mode, not capabilities). */
const UNREADABLE = '/proc/sys/vm/drop_caches';
const kernel = `nv6i-${suffix}-vmlinux`;
const initrd = `nv6i-${suffix}-initrd`;
const directVm = `nv6i-${suffix}-direct`;
const installerIso = `nv6i-${suffix}-installer`;
const driverIso = `nv6i-${suffix}-drivers`;
const isoVm = `nv6i-${suffix}-win`;

/** What the helper answered over the web API, or undefined for a refusal. */
async function answer<T>(origin: string, token: string, method: Parameters<typeof callOverWeb>[2], params: Parameters<typeof callOverWeb>[3]): Promise<T | undefined> {
  const reply = await callOverWeb(origin, token, method, params);
  return reply.ok ? (reply.value as T) : undefined;
}

/** A rootfs with static busybox and the applets the image's command uses. */
async function busyboxRootfs(work: string): Promise<string> {
  const root = join(work, 'rootfs');
  for (const d of ['bin', 'tmp', 'proc', 'sys', 'dev']) await mkdir(join(root, d), { recursive: true });
  await copyFile('/bin/busybox', join(root, 'bin/busybox'));
  await chmod(join(root, 'bin/busybox'), 0o755);
  for (const applet of ['sh', 'sleep', 'echo']) await symlink('busybox', join(root, 'bin', applet));
  const tar = join(work, 'rootfs.tar');
  execFileSync('tar', ['--create', '--file', tar, '--numeric-owner', '--owner=0', '--group=0', '--directory', root, '.'], { timeout: 60_000 });
  return tar;
}

test.describe('the image library', () => {
  test.describe.configure({ timeout: 300_000 });
  let registry: LocalRegistry | null = null;
  let held: HeldChild | null = null;
  let work = '';

  test.afterAll(async ({ nova }) => {
    await held?.release().catch(() => undefined);
    await callOverWeb(nova.origin, nova.token, 'vm.delete', { name: directVm, force: true }).catch(() => undefined);
    await callOverWeb(nova.origin, nova.token, 'vm.delete', { name: isoVm, force: true }).catch(() => undefined);
    for (const name of [kernel, initrd, installerIso, driverIso]) await callOverWeb(nova.origin, nova.token, 'image.remove', { name }).catch(() => undefined);
    await callOverWeb(nova.origin, nova.token, 'capsule.delete', { name: capsule, force: true }).catch(() => undefined);
    await callOverWeb(nova.origin, nova.token, 'vm.delete', { name: vmName, force: true }).catch(() => undefined);
    await callOverWeb(nova.origin, nova.token, 'image.remove', { name: disk }).catch(() => undefined);
    await callOverWeb(nova.origin, nova.token, 'ociImage.remove', { name: `${oci}:latest` }).catch(() => undefined);
    registry?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  test('import a disk and pull an image with progress, then make a VM and a capsule by picking them', async ({ page, nova, pageProblems }) => {
    work = join(nova.runDir, `${oci}-registry`);
    await mkdir(work, { recursive: true });
    registry = await startRegistry(work, nova.netns);
    const reference = await registry.push(await busyboxRootfs(work), `${oci}/tiny:1`, ['/bin/sh', '-c', `echo ${READY}; while true; do sleep 1; done`]);
    const file = join(nova.importDir, `${disk}.raw`);
    // Enough data that qemu-img works for a second or more: the test catches it at work.
    await writeSparseDisk(file, 8, 512);

    const images = new ImagesPage(page);
    await images.open(nova.url);
    await images.goTo('Images');

    // A file this user cannot read: refused in the dialog, in words, and nothing starts.
    await images.startImport(UNREADABLE, disk);
    // Said beside the path, as the field's own description.
    await expect(images.dialog.path).toHaveAccessibleDescription(new RegExp(`Cannot read ${UNREADABLE}: you do not have the right to read it`), { timeout: 20_000 });
    await expect(images.dialog.path).toHaveAttribute('aria-invalid', 'true');
    await expect(images.inPlace.getByRole('article')).toHaveCount(0);
    await images.dialog.root.locator('.modal__footer').getByRole('button', { name: 'Close', exact: true }).click();

    // The import, held while qemu-img converts, shows its bar and its bytes in place.
    await images.startImport(file, disk);
    held = await holdWhenRunning(qemuImgConvertOf(file), 60_000, 'the import worker');
    const card = images.operationOn(`Image ${disk}`);
    await card.expectState('Running');
    await expect(card.progress).toBeVisible();
    await expect(card.phase).toHaveText(/^converting raw to qcow2/);
    await expect(card.numbers).toHaveText(/^\d+ % · [\d.]+ [KMG]?i?B of 8(\.0)? GiB$/);
    await page.screenshot(shot('import-progress'));
    await held.release();
    held = null;
    await expect(images.imageRow(disk)).toContainText('qcow2', { timeout: 120_000 });
    await expect(images.imageRow(disk)).toContainText('disk');
    await expect(images.imageRow(disk)).toContainText('nothing');

    await page.getByRole('button', { name: 'Pull image' }).click();
    const pull = page.getByRole('dialog', { name: 'Pull an OCI image' });
    await pull.getByLabel('Image reference').fill(reference);
    await pull.getByLabel('Name', { exact: true }).fill(oci);
    await pull.getByLabel('Plain HTTP registry').check();
    await pull.getByRole('button', { name: 'Pull' }).click();
    // The pull's card stays in place once it ends, saying so.
    await expect(images.inPlace.getByRole('article', { name: new RegExp(`${oci}.*: Succeeded$`) })).toBeVisible({ timeout: 90_000 });
    await expect(images.imageRow(`${oci}:latest`)).toBeVisible({ timeout: 30_000 });

    const wizard = new VmWizardPage(page);
    await wizard.goTo('Virtual machines');
    await page.getByRole('link', { name: /New VM/ }).or(page.getByRole('button', { name: /New VM/ })).first().click();
    await wizard.field('Name').fill(vmName);
    await wizard.form.getByRole('radio', { name: /Existing disk/ }).check();
    // The library's own entry, chosen in the list by the name it shows: its path is never typed.
    const picker = wizard.field('Disk image');
    const label = await picker.locator('option', { hasText: disk }).textContent();
    await picker.selectOption({ label: label! });
    await wizard.field('Memory').fill('128Mi');
    await wizard.create.click();
    await expect.poll(async () => (await answer<VmInfo>(nova.origin, nova.token, 'vm.get', { name: vmName }))?.definition.disks.length, { timeout: 60_000 }).toBe(1);

    const capsules = new CapsulesPage(page);
    await capsules.goTo('Capsules');
    await capsules.createButton.click();
    await capsules.dialog.name.fill(capsule);
    await capsules.dialog.image.selectOption(`${oci}:latest`);
    await expect(capsules.dialog.runs).toContainText(READY);
    await capsules.dialog.submit.click();
    await expect(capsules.dialog.root).toBeHidden({ timeout: 60_000 });
    await expect(capsules.state).toHaveText('Running', { timeout: 60_000 });
    await expect(capsules.logLine(READY)).toHaveCount(1, { timeout: 30_000 });

    await images.goTo('Images');
    await expect(images.imageRow(disk)).toContainText(vmName, { timeout: 15_000 });
    await expect(images.imageRow(`${oci}:latest`)).toContainText(capsule, { timeout: 15_000 });
    await page.emulateMedia({ colorScheme: 'light' });
    await page.screenshot(shot('light'));
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot(shot('dark'));
    expect(pageProblems).toEqual([]);
  });

  test("kernels and initrds: typed by their headers, filtered, picked for a direct boot, and kept while a VM boots them", async ({ page, nova, pageProblems }) => {
    const guest = await ensureTestGuest();
    const images = new ImagesPage(page);
    await images.open(nova.url);
    await images.goTo('Images');
    for (const [file, name] of [
      [guest.vmlinux, kernel],
      [guest.initrdPlain, initrd],
    ] as const) {
      await images.startImport(file, name);
      await expect(images.imageRow(name)).toBeVisible({ timeout: 120_000 });
    }
    await expect(images.imageRow(kernel).locator('td').first()).toHaveText('kernel');
    await expect(images.imageRow(kernel)).toContainText('ELF vmlinux');
    await expect(images.imageRow(initrd).locator('td').first()).toHaveText('initrd');

    const show = images.vmImages.getByLabel('Show');
    await show.selectOption('kernel');
    await expect(images.imageRow(kernel)).toBeVisible();
    await expect(images.imageRow(initrd)).toHaveCount(0);
    await show.selectOption('all');

    const wizard = new VmWizardPage(page);
    await wizard.goTo('Virtual machines');
    await page.getByRole('link', { name: /New VM/ }).or(page.getByRole('button', { name: /New VM/ })).first().click();
    await wizard.field('Name').fill(directVm);
    await wizard.form.getByRole('radio', { name: /Kernel \(direct boot\)/ }).check();
    // Each picker lists only its own type.
    await expect(wizard.field('Kernel').locator('option', { hasText: initrd })).toHaveCount(0);
    await wizard.pick('Kernel', kernel);
    await wizard.pick('Initrd', initrd);
    await wizard.field('Kernel command line').fill(guest.cmdline);
    await wizard.field('Memory').fill('128Mi');
    await wizard.create.click();
    const made = async () => (await answer<VmInfo>(nova.origin, nova.token, 'vm.get', { name: directVm }))?.definition.kernel;
    await expect.poll(made, { timeout: 60_000 }).toMatchObject({ kernel: expect.stringContaining(`/${kernel}.kernel`) as unknown, initrd: expect.stringContaining(`/${initrd}.initrd`) as unknown });

    await images.goTo('Images');
    await expect(images.imageRow(kernel)).toContainText(directVm, { timeout: 15_000 });
    await images.imageRow(kernel).getByRole('button', { name: `Remove ${kernel}` }).click();
    await page.getByRole('button', { name: `Remove ${kernel}`, exact: true }).click();
    await expect(images.imageRow(kernel).getByRole('alert')).toContainText(`image ${kernel} is used by VM ${directVm}`);
    await expect(images.imageRow(kernel)).toBeVisible();
    expect(pageProblems).toEqual([]);
  });

  test('an installer ISO and a driver ISO, both picked from the library for a new VM', async ({ page, nova, pageProblems }) => {
    const dir = join(nova.importDir, `${isoVm}-isos`);
    const images = new ImagesPage(page);
    await images.open(nova.url);
    await images.goTo('Images');
    for (const [label, name] of [['INSTALLER', installerIso], ['DRIVERS', driverIso]] as const) {
      const content = join(dir, label);
      await mkdir(content, { recursive: true });
      await writeFile(join(content, 'README.TXT'), `${label}\n`);
      execFileSync('xorriso', ['-as', 'mkisofs', '-quiet', '-V', label, '-o', join(dir, `${name}.iso`), content], { timeout: 60_000 });
      await images.startImport(join(dir, `${name}.iso`), name);
      await expect(images.imageRow(name)).toBeVisible({ timeout: 120_000 });
      await expect(images.imageRow(name).locator('td').first()).toHaveText('ISO');
    }

    const wizard = new VmWizardPage(page);
    await wizard.goTo('Virtual machines');
    await page.getByRole('link', { name: /New VM/ }).or(page.getByRole('button', { name: /New VM/ })).first().click();
    await wizard.field('Name').fill(isoVm);
    await wizard.form.getByRole('radio', { name: /Install from ISO/ }).check();
    // Optional, so it starts at "None"; both pickers list the library's ISOs only.
    await expect(wizard.field('Driver ISO')).toHaveValue('');
    await expect(wizard.field('Driver ISO').locator('option', { hasText: 'None' })).toHaveCount(1);
    await wizard.pick('Installer ISO', installerIso);
    await wizard.pick('Driver ISO', driverIso);
    await wizard.field('Memory').fill('128Mi');
    await wizard.field('New disk size').fill('64Mi');
    await wizard.field('Accelerator').selectOption('tcg');
    await wizard.create.click();
    const made = async () => (await answer<VmInfo>(nova.origin, nova.token, 'vm.get', { name: isoVm }))?.definition;
    await expect.poll(async () => (await made())?.iso ?? null, { timeout: 60_000 }).toContain(`/${installerIso}`);
    expect((await made())?.cdroms?.map((c) => c.path)).toEqual([expect.stringContaining(`/${driverIso}`)]);
    await rm(dir, { recursive: true, force: true });
    expect(pageProblems).toEqual([]);
  });
});
