// The Images page's container image import and details, and a template's Start, in real
// Chromium against the real helper: an OCI archive made here (one layer, a config with
// an entrypoint and environment) is imported from the Import container image dialog,
// listed, and its Details show what it starts as; a VM marked as a template shows Start
// off, saying why, and the engine refuses to start it all the same.
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ImagesPage } from './pages/images-page.js';
import { VmDetailPage, VmListPage } from './pages/vm-pages.js';
import { seriousAxeViolations } from './support/axe.js';
import { expect, test } from './support/fixtures.js';
import { callOverWeb } from './support/web-api.js';

const ARTIFACTS = new URL('./artifacts/', import.meta.url);
const suffix = randomBytes(3).toString('hex');
const image = `nv16i-${suffix}`;
const template = `nv16i-${suffix}-tpl`;
const ENTRYPOINT = ['/bin/sh', '-c'];
const ENV = ['PATH=/bin', `NV16I_MARK=${suffix}`];

/** Writes a blob of an OCI layout under its digest; returns its descriptor fields. */
function blob(layout: string, bytes: Buffer): { digest: string; size: number } {
  const hex = createHash('sha256').update(bytes).digest('hex');
  mkdirSync(join(layout, 'blobs/sha256'), { recursive: true });
  writeFileSync(join(layout, 'blobs/sha256', hex), bytes);
  return { digest: `sha256:${hex}`, size: bytes.length };
}

/** An OCI archive (oci-layout, index.json, blobs) of one uncompressed layer with a file in it. */
async function makeOciArchive(dir: string): Promise<string> {
  const rootfs = join(dir, 'rootfs');
  const layout = join(dir, 'layout');
  await mkdir(join(rootfs, 'etc'), { recursive: true });
  await writeFile(join(rootfs, 'etc/nv16i'), `${suffix}\n`);
  const layerTar = join(dir, 'layer.tar');
  execFileSync('tar', ['--create', '--file', layerTar, '--numeric-owner', '--owner=0', '--group=0', '--directory', rootfs, '.'], { timeout: 30_000 });
  const layer = blob(layout, readFileSync(layerTar));
  const config = blob(
    layout,
    Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        config: { Entrypoint: ENTRYPOINT, Cmd: ['echo hello'], Env: ENV, WorkingDir: '/etc' },
        rootfs: { type: 'layers', diff_ids: [layer.digest] },
      }),
    ),
  );
  const manifest = blob(
    layout,
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer }],
      }),
    ),
  );
  await writeFile(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  await writeFile(join(layout, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest }] }));
  const archive = join(dir, `${image}.oci.tar`);
  execFileSync('tar', ['--create', '--file', archive, '--directory', layout, '.'], { timeout: 30_000 });
  return archive;
}

test.describe('container images and templates', () => {
  test.describe.configure({ timeout: 180_000 });
  let work = '';

  test.afterAll(async ({ nova }) => {
    await callOverWeb(nova.origin, nova.token, 'vm.delete', { name: template, force: true }).catch(() => undefined);
    await callOverWeb(nova.origin, nova.token, 'ociImage.remove', { name: `${image}:1` }).catch(() => undefined);
    if (work) await rm(work, { recursive: true, force: true });
  });

  test('import an OCI archive from the Images page, then read its entrypoint and environment in Details', async ({ page, nova, pageProblems }) => {
    work = join(nova.importDir, `${image}-work`);
    await mkdir(work, { recursive: true });
    const archive = await makeOciArchive(work);

    const images = new ImagesPage(page);
    await images.open(nova.url);
    await images.goTo('Images');
    await page.getByRole('button', { name: 'Import container image' }).click();
    const dialog = page.getByRole('dialog', { name: 'Import a container image' });
    // The form's own check: a name ociImage.import would refuse is caught before sending.
    await dialog.getByLabel('Archive on the host').fill(archive);
    await dialog.getByLabel('Name', { exact: true }).fill('Not A Name');
    await dialog.getByRole('button', { name: 'Import' }).click();
    await expect(dialog.getByLabel('Name', { exact: true })).toHaveAttribute('aria-invalid', 'true');
    await dialog.getByLabel('Name', { exact: true }).fill(`${image}:1`);
    await dialog.getByRole('button', { name: 'Import' }).click();
    await expect(dialog).toBeHidden({ timeout: 30_000 });

    const row = images.imageRow(`${image}:1`);
    await expect(row).toContainText('imported', { timeout: 90_000 });
    await expect(page.getByRole('status').or(page.getByRole('alert')).filter({ hasText: `Imported container image '${image}:1'` })).toBeVisible({ timeout: 15_000 });
    await row.getByRole('button', { name: `Details of ${image}:1` }).click();
    const list = page.locator(`dl[aria-label="Details of ${image}:1"]`);
    await expect(list).toContainText('/bin/sh -c');
    await expect(list).toContainText(`NV16I_MARK=${suffix}`);
    await expect(list).toContainText('/etc');
    await page.screenshot({ path: new URL('images-container-details-light.png', ARTIFACTS).pathname, fullPage: true });
    expect(await seriousAxeViolations(page)).toEqual([]);
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: new URL('images-container-details-dark.png', ARTIFACTS).pathname, fullPage: true });
    expect(await seriousAxeViolations(page)).toEqual([]);
    await page.emulateMedia({ colorScheme: 'light' });
    await row.getByRole('button', { name: `Details of ${image}:1` }).click();
    await expect(list).toBeHidden();
    expect(pageProblems).toEqual([]);
  });

  test("a template's Start is off and says why; the engine refuses to start it too", async ({ page, nova, pageProblems }) => {
    const made = await callOverWeb(nova.origin, nova.token, 'vm.create', { name: template, memory: '128Mi', diskSize: '64Mi', display: 'none' });
    expect(made.ok).toBe(true);
    expect((await callOverWeb(nova.origin, nova.token, 'vm.setTemplate', { name: template, template: true })).ok).toBe(true);

    const list = new VmListPage(page);
    await list.open(nova.url);
    await list.goTo('Virtual machines');
    await list.row(template).getByRole('link', { name: template }).click();
    await expect(new VmDetailPage(page, template).state).toBeVisible();
    const start = page.getByRole('group', { name: `Actions for ${template}` }).getByRole('button', { name: 'Start' });
    await expect(start).toHaveAttribute('aria-disabled', 'true');
    await expect(start).toHaveAccessibleDescription(/a template is not started: make a VM from it \(New from template\)/);
    await expect(page.getByText('Start is off: a template is not started')).toBeVisible();
    await start.click({ force: true });
    const refused = await callOverWeb(nova.origin, nova.token, 'vm.start', { name: template });
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.error.code).toBe('failed_precondition');
    await page.screenshot({ path: new URL('images-container-template-start-light.png', ARTIFACTS).pathname });
    expect(await seriousAxeViolations(page)).toEqual([]);
    expect(pageProblems).toEqual([]);
  });
});
