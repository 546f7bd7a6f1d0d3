// The Projects page against the real helper, runc and the stack's network namespace: a
// NovaFile in a temp folder (a NAT network, a capsule db with an exec health check, a
// capsule web waiting for db to be healthy) opened by path, its plan shown as creates,
// applied with progress until db's health turns green, web's memory edited in the editor
// (a bad value first, marked at its line), saved, the diff shown as an update with
// restart, applied, then Down with volumes: nothing of the project is left on the helper.
// The product's example (examples/dev-lab) opens with what this host lacks blocked, each
// with its reason and remedy, and its Apply applies nothing.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from '@playwright/test';
import { makeBusyboxRootfs } from '../helper/system-tests/fixtures/capsule-harness.js';
import { CapsuleSchema, NetworkSchema, OciImageSchema } from '../src-shared/index.js';
import { ProjectsPage } from './pages/projects-page.js';
import { expect, test } from './support/fixtures.js';
import { TEST_GUEST_CACHE } from './support/nova-stack.js';
import { callOk as api, shootBoth as shootInto } from './support/spec-tools.js';

const ARTIFACTS = new URL('./artifacts/', import.meta.url);
const shootBoth = (page: Page, name: string) => shootInto(page, name, ARTIFACTS);
const RUN = randomBytes(3).toString('hex');
const PROJECT = `nv9w-${RUN}`;
/** Under 15 characters: it names the bridge. */
const NET = `nv9w${RUN}`;
const DB = `nv9w-db-${RUN}`;
const WEB = `nv9w-web-${RUN}`;
const IMAGE = `nv9w-busybox-${RUN}`;
/** The project cancelled while one guest waits for another's health. */
const CANCEL_PROJECT = `nv9w-c-${RUN}`;
const CANCEL_NET = `nv9wc${RUN}`;
const SLOW = `nv9w-slow-${RUN}`;
const AFTER = `nv9w-after-${RUN}`;
/** Under the helper's --allowed-root, so ociImage.import may read the tarball. */
const IMAGE_DIR = join(TEST_GUEST_CACHE, `nv9w-${RUN}`);
const OCTET = 150 + (parseInt(RUN.slice(0, 2), 16) % 100);
const THIRD = parseInt(RUN.slice(2, 4), 16) % 250;
const SUBNET = `10.${OCTET}.${THIRD}`;
const CANCEL_SUBNET = `10.${OCTET}.${THIRD + 1}`;

function novaFile(image: string, webMemory: string): string {
  return [
    `project = "${PROJECT}"`,
    '',
    `[network.${NET}]`,
    `subnet = "${SUBNET}.1/24"`,
    '',
    `[capsule.${DB}]`,
    `capsule = "${image}"`,
    'command = ["sleep", "600"]',
    'memory = "64Mi"',
    `network = "${NET}"`,
    '',
    `[capsule.${DB}.health]`,
    'exec = ["test", "-d", "/tmp"]',
    'interval = "1s"',
    'retries = 1',
    '',
    `[capsule.${WEB}]`,
    `capsule = "${image}"`,
    'command = ["sleep", "600"]',
    `memory = "${webMemory}"`,
    `network = "${NET}"`,
    `depends_on.${DB} = { condition = "healthy" }`,
    '',
  ].join('\n');
}

function stackHasLink(netns: string, ifname: string): boolean {
  return spawnSync('ip', ['-n', netns, 'link', 'show', 'dev', ifname], { stdio: 'ignore', timeout: 10_000 }).status === 0;
}

test.describe('Projects UI', () => {
  let imageName = IMAGE;
  let projectDir = '';

  test.beforeAll(async ({ nova }) => {
    test.setTimeout(120_000);
    await mkdir(IMAGE_DIR, { recursive: true });
    const tar = await makeBusyboxRootfs(IMAGE_DIR);
    imageName = OciImageSchema.parse(await api(nova.origin, nova.token, 'ociImage.import', { path: tar, name: IMAGE })).name;
    projectDir = await mkdtemp(join(tmpdir(), 'nv9w-project-'));
  });

  test.afterAll(async ({ nova }) => {
    for (const name of [WEB, DB, AFTER, SLOW]) await api(nova.origin, nova.token, 'capsule.delete', { name, force: true }).catch(() => undefined);
    for (const name of [NET, CANCEL_NET]) await api(nova.origin, nova.token, 'network.delete', { name }).catch(() => undefined);
    await api(nova.origin, nova.token, 'ociImage.remove', { name: imageName }).catch(() => undefined);
    await rm(IMAGE_DIR, { recursive: true, force: true });
    if (projectDir) await rm(projectDir, { recursive: true, force: true });
  });

  test('opens a NovaFile, applies it until healthy, edits and saves it, applies the diff, and takes it down', async ({ page, nova, pageProblems }) => {
    test.setTimeout(240_000);
    const file = join(projectDir, 'NovaFile.toml');
    await writeFile(file, novaFile(imageName, '64Mi'), { mode: 0o640 });
    const projects = new ProjectsPage(page);
    // The folder is enough: its NovaFile.toml is opened.
    await projects.openProject(nova.url, projectDir);
    await expect(projects.heading).toHaveText(`Project ${PROJECT}`);

    // The plan: three creates, nothing else.
    await expect(projects.planSummary).toHaveText('3 to create');
    const creates = projects.planGroup('create');
    for (const name of [NET, DB, WEB]) await expect(creates).toContainText(name);
    await expect(projects.row('capsule', DB)).toContainText('absent');
    await shootBoth(page, 'project-plan');

    // Apply: a line per resource while it runs, then db's health turns green and web runs.
    await projects.applyButton.click();
    await expect(projects.runPanel.locator(`[data-subject="capsule ${WEB}"]`)).toContainText(/waiting for capsule .* healthy|created/, { timeout: 60_000 });
    await expect(projects.runStatus).toHaveText(/^Applied 3 change\(s\)/, { timeout: 120_000 });
    await expect(projects.health('capsule', DB).locator('[data-health="healthy"]')).toBeVisible({ timeout: 30_000 });
    await expect(projects.row('capsule', WEB).locator('[data-cell="state"]')).toHaveText('running');
    await expect(projects.row('capsule', DB)).toContainText(`${SUBNET}.`);
    await expect(projects.planSummary).toHaveText('No changes: what runs matches the file');
    await expect(projects.applyButton).toBeDisabled();
    await shootBoth(page, 'project-applied');

    // db's own page names its project, linked back here, and warns beside its settings.
    await projects.row('capsule', DB).getByRole('link', { name: DB }).click();
    await expect(projects.heading).toHaveText(DB);
    const owner = page.getByTestId('project-owner');
    await expect(owner).toHaveText(`Project: ${PROJECT}`);
    await page.getByRole('navigation', { name: `Sections of ${DB}` }).getByRole('link', { name: 'Settings' }).click();
    await expect(page.getByRole('note').filter({ hasText: `belongs to project ${PROJECT}` })).toContainText('reverted by the project');
    await owner.getByRole('link', { name: PROJECT }).click();
    await expect(projects.heading).toHaveText(`Project ${PROJECT}`);
    await expect(projects.planSummary).toHaveText('No changes: what runs matches the file');

    // Edit: a bad memory value is marked at its line as typed, and Save stays off.
    await projects.editorTab.click();
    const lines = (await projects.editor.inputValue()).split('\n');
    const webHeader = lines.indexOf(`[capsule.${WEB}]`);
    const memoryAt = lines.findIndex((l, i) => i > webHeader && l.startsWith('memory'));
    lines[memoryAt] = 'memory = "lots"';
    const webMemoryLine = memoryAt + 1;
    await projects.editor.fill(lines.join('\n'));
    await expect(projects.gutterLine(webMemoryLine)).toHaveClass(/novafile-editor__line--error/);
    await expect(projects.problems).toContainText(`Line ${webMemoryLine}, column`);
    await expect(projects.saveButton).toBeDisabled();
    await shootBoth(page, 'project-editor-error');
    await projects.editor.fill(novaFile(imageName, '96Mi'));
    await expect(projects.problems.locator('li')).toHaveCount(0);
    await projects.saveButton.click();
    await expect(page.getByText('Saved; the plan below is made from the saved file.')).toBeVisible();
    expect(await readFile(file, 'utf8')).toContain('memory = "96Mi"');
    expect((await stat(file)).mode & 0o777).toBe(0o640);

    // The diff: web only, updated with a restart, old -> new.
    await projects.planTab.click();
    await expect(projects.planSummary).toHaveText('1 to update with restart');
    const restart = projects.planGroup('update with restart');
    await expect(restart).toContainText(WEB);
    await expect(restart).toContainText(/memory: 64 MiB -> 96 MiB/);
    await shootBoth(page, 'project-diff');
    await projects.applyButton.click();
    await expect(projects.runStatus).toHaveText(/^Applied 1 change\(s\)/, { timeout: 120_000 });
    await expect(projects.planSummary).toHaveText('No changes: what runs matches the file');
    const web = CapsuleSchema.parse(await api(nova.origin, nova.token, 'capsule.get', { name: WEB }));
    expect(web.spec.memoryBytes).toBe(96 * 1024 * 1024);

    // Down, with volumes: the dialog says what goes, and then nothing of the project is left.
    await projects.downButton.click();
    await expect(projects.downDialog).toContainText(`Stopped: capsule ${DB}`);
    await expect(projects.downDialog).toContainText('Disks, capsule layers and snapshots are kept');
    await projects.downDialog.getByLabel(/Also delete volumes/).check();
    await expect(projects.downDialog).toContainText('Deleted with their disks, writable layers and snapshots');
    await shootBoth(page, 'project-down');
    await projects.downDialog.getByRole('button', { name: 'Down and delete volumes' }).click();
    await expect(projects.runStatus).toHaveText(/^Down: 0 stopped, 3 deleted, 0 kept, 0 failed\./, { timeout: 120_000 });

    const capsules = ((await api(nova.origin, nova.token, 'capsule.list', {})) as { capsules: unknown[] }).capsules.map((c) => CapsuleSchema.parse(c));
    expect(capsules.filter((c) => c.spec.project === PROJECT || c.name === DB || c.name === WEB)).toEqual([]);
    const networks = ((await api(nova.origin, nova.token, 'network.list', {})) as { networks: unknown[] }).networks.map((n) => NetworkSchema.parse(n));
    expect(networks.filter((n) => n.project === PROJECT || n.name === NET)).toEqual([]);
    expect(stackHasLink(nova.netns, NET), `bridge ${NET} in ${nova.netns}`).toBe(false);
    await expect(projects.row('capsule', DB)).toContainText('absent');
    expect(pageProblems).toEqual([]);
  });

  test("opens the product's example: what this host lacks is blocked with reason and remedy, and Apply applies nothing", async ({ page, nova, pageProblems }) => {
    const example = fileURLToPath(new URL('../examples/dev-lab/', import.meta.url));
    const projects = new ProjectsPage(page);
    await projects.openProject(nova.url, example);
    await expect(projects.heading).toHaveText('Project dev-lab');
    const blocked = page.getByRole('region', { name: 'Blocked' });
    for (const item of ['network nova-net (network.nova-net.driver)', 'vm win11 (vm.win11.gpu_passthrough)', 'vm win11 (vm.win11.image)']) await expect(blocked).toContainText(item);
    await expect(blocked.locator('li').first()).toContainText('To fix:');
    await shootBoth(page, 'project-example-blocked');
    await projects.applyButton.click();
    await expect(page.getByText(/^Nothing applied: .*blocked/)).toBeVisible({ timeout: 60_000 });
    await expect(projects.runPanel).toContainText('blocked');
    const networks = ((await api(nova.origin, nova.token, 'network.list', {})) as { networks: unknown[] }).networks.map((n) => NetworkSchema.parse(n));
    expect(networks.filter((n) => n.project === 'dev-lab')).toEqual([]);
    const capsules = ((await api(nova.origin, nova.token, 'capsule.list', {})) as { capsules: unknown[] }).capsules.map((c) => CapsuleSchema.parse(c));
    expect(capsules.filter((c) => c.spec.project === 'dev-lab')).toEqual([]);
    expect(pageProblems).toEqual([]);
  });

  test('cancels an apply while a guest waits for another to be healthy, keeping what completed', async ({ page, nova, pageProblems }) => {
    test.setTimeout(180_000);
    const dir = join(projectDir, 'cancel');
    await mkdir(dir);
    // slow's check keeps failing inside a long start period, so it stays "starting" and after waits.
    const text = [
      `project = "${CANCEL_PROJECT}"`,
      `[network.${CANCEL_NET}]`,
      `subnet = "${CANCEL_SUBNET}.1/24"`,
      `[capsule.${SLOW}]`,
      `capsule = "${imageName}"`,
      'command = ["sleep", "600"]',
      `network = "${CANCEL_NET}"`,
      `[capsule.${SLOW}.health]`,
      'exec = ["false"]',
      'interval = "1s"',
      'retries = 100',
      'start_period = "300s"',
      `[capsule.${AFTER}]`,
      `capsule = "${imageName}"`,
      'command = ["sleep", "600"]',
      `network = "${CANCEL_NET}"`,
      `depends_on.${SLOW} = { condition = "healthy" }`,
      '',
    ].join('\n');
    await writeFile(join(dir, 'NovaFile.toml'), text);
    const projects = new ProjectsPage(page);
    await projects.openProject(nova.url, join(dir, 'NovaFile.toml'));
    await expect(projects.planSummary).toHaveText('3 to create');

    await projects.applyButton.click();
    await expect(projects.runPanel.locator(`[data-subject="capsule ${AFTER}"]`)).toContainText(`waiting for capsule ${SLOW} to be healthy`, { timeout: 60_000 });
    await expect(projects.applyButton).toBeDisabled();
    await projects.runPanel.getByRole('button', { name: 'Cancel' }).click();
    await expect(projects.runStatus).toHaveText(/^Cancelled: 2 change\(s\) completed and stay/, { timeout: 30_000 });
    await expect(projects.runPanel).toContainText(`not applied: capsule ${AFTER}: cancelled`);
    await expect(projects.row('capsule', AFTER)).toContainText('absent');
    await expect(projects.row('capsule', SLOW).locator('[data-cell="state"]')).toHaveText('running');
    await expect(projects.planSummary).toHaveText('1 to create');
    const names = ((await api(nova.origin, nova.token, 'capsule.list', {})) as { capsules: unknown[] }).capsules.map((c) => CapsuleSchema.parse(c).name);
    expect(names).toContain(SLOW);
    expect(names).not.toContain(AFTER);

    // Down with volumes clears what completed.
    await projects.downButton.click();
    await projects.downDialog.getByLabel(/Also delete volumes/).check();
    await projects.downDialog.getByRole('button', { name: 'Down and delete volumes' }).click();
    await expect(projects.runStatus).toHaveText(/^Down: 0 stopped, 2 deleted, 0 kept, 0 failed\./, { timeout: 120_000 });
    expect(stackHasLink(nova.netns, CANCEL_NET), `bridge ${CANCEL_NET} in ${nova.netns}`).toBe(false);
    expect(pageProblems).toEqual([]);
  });
});
