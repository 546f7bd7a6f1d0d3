// Writing a GUI change back to the NovaFile, against the real helper and runc: a project's
// capsule brought up from a commented NovaFile, its memory limit raised on its own page
// (stopped, saved, started again), then "Write this back to the NovaFile": the file on disk
// has the new value with every comment and line otherwise as it was, and `nova plan`
// finds nothing to change.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from '@playwright/test';
import { execa } from 'execa';
import { makeBusyboxRootfs } from '../helper/system-tests/fixtures/capsule-harness.js';
import { CapsuleSchema, OciImageSchema } from '../src-shared/index.js';
import { ProjectsPage } from './pages/projects-page.js';
import { expect, test } from './support/fixtures.js';
import { TEST_GUEST_CACHE } from './support/nova-stack.js';
import { callOk as api, shootBoth as shootInto } from './support/spec-tools.js';

const ARTIFACTS = new URL('./artifacts/', import.meta.url);
const shootBoth = (page: Page, name: string) => shootInto(page, name, ARTIFACTS);
const CLI = fileURLToPath(new URL('../out/cli/nova.mjs', import.meta.url));
const RUN = randomBytes(3).toString('hex');
const PROJECT = `nv9r-${RUN}`;
const BOX = `nv9r-box-${RUN}`;
const IMAGE = `nv9r-busybox-${RUN}`;
const IMAGE_DIR = join(TEST_GUEST_CACHE, `nv9r-${RUN}`);

const novaFile = (image: string, memory: string) => `# ${PROJECT}: a capsule whose limits are raised in the GUI
project = "${PROJECT}"

[capsule.${BOX}]   # the one guest
capsule = "${image}"
command = ["sleep", "600"]   # idles
memory = "${memory}"    # raised by hand in the app
pids = 64

# the end
`;

test.describe('Writing a change back to the NovaFile', () => {
  let imageName = IMAGE;
  let projectDir = '';

  test.beforeAll(async ({ nova }) => {
    test.setTimeout(120_000);
    await mkdir(IMAGE_DIR, { recursive: true });
    imageName = OciImageSchema.parse(await api(nova.origin, nova.token, 'ociImage.import', { path: await makeBusyboxRootfs(IMAGE_DIR), name: IMAGE })).name;
    projectDir = await mkdtemp(join(tmpdir(), 'nv9r-project-'));
  });

  test.afterAll(async ({ nova }) => {
    await api(nova.origin, nova.token, 'capsule.delete', { name: BOX, force: true }).catch(() => undefined);
    await api(nova.origin, nova.token, 'ociImage.remove', { name: imageName }).catch(() => undefined);
    await rm(IMAGE_DIR, { recursive: true, force: true });
    if (projectDir) await rm(projectDir, { recursive: true, force: true });
  });

  test("changes a project capsule's memory on its page, writes it back with the file's comments intact, and nova plan finds no change", async ({ page, nova, pageProblems }) => {
    test.setTimeout(180_000);
    const file = join(projectDir, 'NovaFile.toml');
    const original = novaFile(imageName, '64Mi');
    await writeFile(file, original);
    await api(nova.origin, nova.token, 'project.up', { path: file });
    const projects = new ProjectsPage(page);
    await projects.openProject(nova.url, file);
    await expect(projects.planSummary).toHaveText('No changes: what runs matches the file');

    // The capsule's page: stop it, raise its memory limit, start it again.
    await projects.row('capsule', BOX).getByRole('link', { name: BOX }).click();
    await expect(projects.heading).toHaveText(BOX);
    await page.getByRole('navigation', { name: `Sections of ${BOX}` }).getByRole('link', { name: 'Settings' }).click();
    const limits = page.getByRole('form', { name: 'Change settings' });
    const memory = limits.getByLabel('Memory limit');
    await expect(memory).toHaveValue('64Mi');
    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    await expect(limits).toContainText('Changes apply at its next start.', { timeout: 30_000 });
    await memory.fill('lots');
    await expect(limits).toContainText('"lots" is not a memory limit');
    await memory.fill('96Mi');
    await limits.getByRole('button', { name: 'Save changes' }).click();
    await expect.poll(async () => CapsuleSchema.parse(await api(nova.origin, nova.token, 'capsule.get', { name: BOX })).spec.memoryBytes, { timeout: 30_000 }).toBe(96 * 1024 * 1024);
    await page.getByRole('button', { name: 'Start', exact: true }).click();
    await expect.poll(async () => CapsuleSchema.parse(await api(nova.origin, nova.token, 'capsule.get', { name: BOX })).state, { timeout: 30_000 }).toBe('running');

    // The notice offers the write-back; the file gets the new value and nothing else changes.
    const notice = limits.getByRole('note', { name: `Project ${PROJECT}` });
    await expect(notice).toContainText('reverted by the project');
    await notice.getByRole('button', { name: 'Write this back to the NovaFile' }).click();
    await expect(page.getByTestId('write-back-result')).toHaveText(`Written to ${file}: memory = "96Mi".`);
    await shootBoth(page, 'project-write-back');
    expect(await readFile(file, 'utf8')).toBe(original.replace('memory = "64Mi"    # raised by hand in the app', 'memory = "96Mi"    # raised by hand in the app'));
    const plan = await execa(process.execPath, [CLI, '--socket', nova.socket, '--no-autostart', 'plan', '--exit-code'], { cwd: projectDir, reject: false, timeout: 60_000, env: { NO_COLOR: '1' } });
    expect(plan.exitCode, plan.stdout + plan.stderr).toBe(0);
    expect(plan.stdout).toContain('No changes');

    // Written again, there is nothing left to write.
    await notice.getByRole('button', { name: 'Write this back to the NovaFile' }).click();
    await expect(page.getByTestId('write-back-result')).toHaveText('Nothing to write: the NovaFile already says what this has.');
    expect(pageProblems).toEqual([]);
  });
});
