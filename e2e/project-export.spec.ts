// Export and Adopt on the Projects page against the real helper and runc: a network and a
// busybox capsule on it, made through the API and of no project, are picked in the Export
// dialog; the NovaFile shown is saved as a new file; Adopt, after its confirmation naming
// both, makes them the project's, and the saved file's plan then reports no change.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { CapsuleSchema, NetworkSchema } from '../src-shared/index.js';
import { ProjectsPage } from './pages/projects-page.js';
import { expect, test } from './support/fixtures.js';
import { TEST_GUEST_CACHE } from './support/nova-stack.js';
import { callOk as api, importBusyboxImage, shootBoth as shootInto } from './support/spec-tools.js';

const ARTIFACTS = new URL('./artifacts/', import.meta.url);
const shootBoth = (page: Page, name: string) => shootInto(page, name, ARTIFACTS);
const RUN = randomBytes(2).toString('hex');
const PROJECT = `nv16x-${RUN}`;
const NET = `nv16x${RUN}`;
const BOX = `nv16x-box-${RUN}`;
const IMAGE = `nv16x-busybox-${RUN}`;
const IMAGE_DIR = join(TEST_GUEST_CACHE, `nv16x-${RUN}`);

test.describe('Export and adopt on the Projects page', () => {
  let imageName = IMAGE;
  let projectDir = '';

  test.beforeAll(async ({ nova }) => {
    test.setTimeout(120_000);
    imageName = await importBusyboxImage(nova, IMAGE_DIR, IMAGE);
    await api(nova.origin, nova.token, 'network.create', { name: NET, subnet: '10.216.7.1/24' });
    await api(nova.origin, nova.token, 'capsule.create', { name: BOX, image: imageName, command: ['sleep', '600'], network: NET });
    // Running, as a guest someone made and uses would be: the file says so, and plan compares it.
    await api(nova.origin, nova.token, 'capsule.start', { name: BOX });
    projectDir = await mkdtemp(join(tmpdir(), 'nv16x-project-'));
  });

  test.afterAll(async ({ nova }) => {
    await api(nova.origin, nova.token, 'capsule.delete', { name: BOX, force: true }).catch(() => undefined);
    await api(nova.origin, nova.token, 'network.delete', { name: NET }).catch(() => undefined);
    await api(nova.origin, nova.token, 'ociImage.remove', { name: imageName }).catch(() => undefined);
    await rm(IMAGE_DIR, { recursive: true, force: true });
    if (projectDir) await rm(projectDir, { recursive: true, force: true });
  });

  test('exports a capsule and its network, saves the file, adopts them, and the plan finds no change', async ({ page, nova, pageProblems }) => {
    test.setTimeout(180_000);
    const projects = new ProjectsPage(page);
    await projects.open(nova.url);
    await projects.goTo('Projects');
    await page.getByRole('button', { name: 'Export…' }).click();
    const form = page.getByRole('form', { name: 'Export as a NovaFile' });
    await form.getByRole('checkbox', { name: new RegExp(`capsule ${BOX} `) }).check();
    await form.getByLabel(/^Project name/).fill(PROJECT);
    await form.getByRole('button', { name: 'Export', exact: true }).click();
    await expect(form).toBeHidden();
    await expect(projects.editor).toHaveValue(new RegExp(`project = "${PROJECT}"[\\s\\S]*\\[network\\.${NET}\\][\\s\\S]*\\[capsule\\.${BOX}\\]`));
    await expect(page.locator('#export-adopt-why')).toHaveText(`Of no project: capsule ${BOX}, network ${NET}.`);

    const file = join(projectDir, 'NovaFile.toml');
    await page.getByLabel(/^Save as/).fill(projectDir);
    await projects.saveButton.click();
    await expect(page.getByText(`Saved to ${file}: open the project`)).toBeVisible();
    expect(await readFile(file, 'utf8')).toBe(await projects.editor.inputValue());
    await shootBoth(page, 'project-export');

    const adopt = page.getByRole('button', { name: 'Adopt…' });
    await adopt.click();
    const confirm = page.getByRole('alertdialog');
    await expect(confirm).toContainText(`These become project ${PROJECT}'s: capsule ${BOX}, network ${NET}.`);
    await confirm.getByRole('button', { name: 'Adopt', exact: true }).click();
    await expect(page.getByRole('status').filter({ hasText: `now belong to project ${PROJECT}` })).toBeVisible();
    await expect(adopt).toHaveAttribute('aria-disabled', 'true');
    expect(CapsuleSchema.parse(await api(nova.origin, nova.token, 'capsule.get', { name: BOX })).spec.project).toBe(PROJECT);
    expect(NetworkSchema.parse(await api(nova.origin, nova.token, 'network.get', { name: NET })).project).toBe(PROJECT);

    await page.getByRole('link', { name: 'open the project' }).click();
    await expect(projects.planSummary).toHaveText('No changes: what runs matches the file', { timeout: 30_000 });
    await expect(projects.row('capsule', BOX)).toBeVisible();
    await expect(projects.row('network', NET)).toBeVisible();
    expect(pageProblems).toEqual([]);
  });
});
