// The Projects page with a project across two real test hosts (the second reached by real
// OpenSSH through the app's connection pool): a NovaFile whose TCG VM says `host = "NAME"`
// opens with each step of its plan naming its host, applies with the VM and its network
// made on the saved host and a guest-less network on this machine, lists its resources
// with a Host column (the VM's link opening its page on its host), and goes down with
// volumes on both hosts.
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { ensureTestGuest } from '../helper/system-tests/fixtures/guest-builder.js';
import { ProjectsPage } from './pages/projects-page.js';
import { expect, test as base } from './support/fixtures.js';
import { TwoTestHosts, type TwoHostsLayout } from './support/two-test-hosts.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const ARTIFACTS = fileURLToPath(new URL('./artifacts/', import.meta.url));
/** remoteName of the layout: the name the first host saved the second under. */
const CLOSET = 'nv7p-closet';
const PROJECT = 'nv7p-ui';
const VM = 'nv7p-ui-vm';
/** Under 15 characters: they name bridges. */
const NET_THERE = 'nv7puithere';
const NET_HERE = 'nv7puihere';
/** A new ssh connection and the helper's answer on a busy machine. */
const LINK_MS = 30_000;

const test = base.extend<{ hosts: TwoTestHosts }>({
  // eslint-disable-next-line no-empty-pattern
  hosts: async ({}, use) => {
    const layout: TwoHostsLayout = { prefix: 'nv7p', firstAddress: '10.217.8.1', secondAddress: '10.217.8.2', sshPort: 2248 };
    const hosts = await TwoTestHosts.start(REPO, ARTIFACTS, process.env.NOVA_E2E_RENDERER_DIR, layout);
    try {
      await use(hosts);
    } finally {
      if (hosts.second) await hosts.nova(hosts.second, ['vm', 'rm', '--force', VM]).catch(() => undefined);
      await hosts.stop();
    }
  },
  // The browser runs where the first host's web server is: in its namespace.
  context: async ({ playwright, hosts, colorScheme, viewport }, use) => {
    await hosts.withBrowser(playwright.chromium, { colorScheme, viewport }, use);
  },
});

test('plans, applies and takes down a project whose VM runs on a saved host, each step and resource naming its host', async ({ page, hosts, pageProblems }, testInfo) => {
  test.setTimeout(240_000);
  const { first, second } = hosts;
  if (!first || !second) throw new Error('the test hosts did not start');
  const guest = await ensureTestGuest();
  const file = join(hosts.dir, 'NovaFile.toml');
  await writeFile(file, [
    `project = "${PROJECT}"`,
    `[network.${NET_HERE}]`,
    'subnet = "10.217.8.65/26"',
    `[network.${NET_THERE}]`,
    'subnet = "10.217.8.129/26"',
    `[vm.${VM}]`,
    `kernel = "${guest.vmlinux}"`,
    `initrd = "${guest.initrdAcpi}"`,
    `cmdline = "${guest.cmdline}"`,
    'memory = "128Mi"',
    'accel = "tcg"',
    'display = "none"',
    `network = "${NET_THERE}"`,
    `host = "${CLOSET}"`,
    '',
  ].join('\n'), { mode: 0o644 });

  const projects = new ProjectsPage(page);
  await projects.openProject(first.url, file);
  await expect(projects.heading).toHaveText(`Project ${PROJECT}`, { timeout: LINK_MS });
  await expect(projects.planSummary).toHaveText('3 to create', { timeout: LINK_MS });
  await expect(page.getByTestId('plan-hosts')).toHaveText(`On hosts local, ${CLOSET}`);
  const creates = projects.planGroup('create');
  await expect(creates.locator(`[data-change="vm:${VM}"]`)).toContainText(`on ${CLOSET}`);
  await expect(creates.locator(`[data-change="network:${NET_THERE}"]`)).toContainText(`on ${CLOSET}`);
  await expect(creates.locator(`[data-change="network:${NET_HERE}"]`)).toContainText('on local');
  await page.screenshot({ path: testInfo.outputPath('project-hosts-plan.png') });

  await projects.applyButton.click();
  await expect(projects.runStatus).toHaveText(/^Applied 3 change\(s\)/, { timeout: 150_000 });
  await expect(projects.planSummary).toHaveText('No changes: what runs matches the file', { timeout: LINK_MS });
  const vmRow = projects.resources.locator(`tr[data-resource="vm:${VM}"][data-host="${CLOSET}"]`);
  await expect(vmRow.locator('[data-cell="host"]')).toHaveText(CLOSET);
  await expect(vmRow.locator('[data-cell="state"]')).toHaveText('running');
  await expect(projects.resources.locator(`tr[data-resource="network:${NET_HERE}"] [data-cell="host"]`)).toHaveText('local');
  await page.screenshot({ path: testInfo.outputPath('project-hosts-applied.png') });
  // Each host has its own share, and only that.
  const listed = async (host: typeof first, what: 'vm' | 'net') => JSON.parse(await hosts.nova(host, ['--json', what, 'ls'])) as Record<string, Array<Record<string, unknown>>>;
  const names = (rows: Array<Record<string, unknown>> | undefined) => (rows ?? []).map((r) => String((r.definition as { name?: string } | undefined)?.name ?? r.name));
  expect(names((await listed(second, 'vm')).vms)).toContain(VM);
  expect(names((await listed(first, 'vm')).vms)).not.toContain(VM);
  expect(names((await listed(second, 'net')).networks)).toEqual(expect.arrayContaining([NET_THERE]));
  expect(names((await listed(second, 'net')).networks)).not.toContain(NET_HERE);
  expect(names((await listed(first, 'net')).networks)).toContain(NET_HERE);

  // The VM's link opens its page on its host.
  await vmRow.getByRole('link', { name: VM }).click();
  const switcher = page.getByRole('combobox', { name: 'Host' });
  await expect(switcher).toHaveValue(CLOSET);
  await expect(page.locator(`main[data-host="${CLOSET}"] h1`)).toHaveText(VM, { timeout: LINK_MS });
  await switcher.selectOption('local');
  await projects.openProject(first.url, file);
  await expect(projects.planSummary).toHaveText('No changes: what runs matches the file', { timeout: LINK_MS });

  await projects.downButton.click();
  await projects.downDialog.getByLabel(/Also delete volumes/).check();
  await projects.downDialog.getByRole('button', { name: 'Down and delete volumes' }).click();
  await expect(projects.runStatus).toHaveText(/^Down: 0 stopped, 3 deleted, 0 kept, 0 failed\./, { timeout: 120_000 });
  expect(names((await listed(second, 'vm')).vms)).not.toContain(VM);
  expect(names((await listed(second, 'net')).networks)).not.toContain(NET_THERE);
  expect(names((await listed(first, 'net')).networks)).not.toContain(NET_HERE);
  expect(pageProblems.filter((p) => !/WebSocket|Failed to load resource/.test(p))).toEqual([]);
});
