// Capsules do in the UI what the CLI does, and every action answers, against the real
// helper (in the stack's network namespace) and runc: a capsule created in the dialog on a
// Nova network with a published port answers over HTTP through that port; a stopped
// capsule's env, memory limit, command, working directory and hostname changed on its
// Settings tab show there and in the running process; a stop of a process that ignores SIGTERM counts down and Kill ends it at once;
// a snapshot's delete confirmation used by keyboard alone. Light and dark shots of each.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { makeBusyboxRootfs } from '../src-main/core/assets/busybox-rootfs.js';
import { CapsuleSchema, OciImageSchema, type Capsule, type MethodName, type ParamsIn } from '../src-shared/index.js';
import { CapsulesPage } from './pages/capsule-page.js';
import { expect, test } from './support/fixtures.js';
import { TEST_GUEST_CACHE } from './support/nova-stack.js';
import { callOverWeb } from './support/web-api.js';

const ARTIFACTS = new URL('./artifacts/', import.meta.url);
const RUN = randomBytes(2).toString('hex');
/** Under the kernel's 15 characters: it names the bridge. */
const NET = `nv16c${RUN}`;
const OCTET = 100 + (parseInt(RUN, 16) % 100);
const GATEWAY = `10.${OCTET}.16.1`;
const HOST_PORT = 18000 + (parseInt(RUN, 16) % 1000);
const WEB = `nv16c-web-${RUN}`;
const STUBBORN = `nv16c-stub-${RUN}`;
const IMAGE = `nv16c-busybox-${RUN}`;
const SNAPSHOT = `nv16c-snap-${RUN}`;
const WORK_DIR = join(TEST_GUEST_CACHE, `nv16c-${RUN}`);
const SERVE = `sh -c 'echo "hello-$GREETING" > /tmp/index.html && exec httpd -f -p 8080 -h /tmp'`;
const SERVE_EDITED = `sh -c 'echo "hello-$GREETING from $(pwd) on $(hostname)" > index.html && exec httpd -f -p 8080 -h .'`;

async function api<M extends MethodName>(origin: string, token: string, method: M, params: ParamsIn<M>): Promise<unknown> {
  const envelope = await callOverWeb(origin, token, method, params);
  if (!envelope.ok) throw new Error(`${method} failed: ${envelope.error.code} ${envelope.error.message}`);
  return envelope.value;
}

async function capsule(origin: string, token: string, name: string): Promise<Capsule> {
  return CapsuleSchema.parse(await api(origin, token, 'capsule.get', { name }));
}

/** Light, then the same view in dark; back to light after. */
async function shootBoth(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: new URL(`${name}-light.png`, ARTIFACTS).pathname });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.screenshot({ path: new URL(`${name}-dark.png`, ARTIFACTS).pathname });
  await page.emulateMedia({ colorScheme: 'light' });
}

/** An HTTP GET from the stack's namespace, where the helper and its forwards live; null while nothing answers. */
function httpGet(netns: string, url: string): string | null {
  const r = spawnSync('ip', ['netns', 'exec', netns, 'curl', '-sS', '--noproxy', '*', '--max-time', '2', url], { encoding: 'utf8', timeout: 10_000 });
  return r.status === 0 ? r.stdout : null;
}

test.describe.serial('Capsule parity and answers', () => {
  let imageName = IMAGE;

  test.beforeAll(async ({ nova }) => {
    test.setTimeout(120_000);
    await mkdir(WORK_DIR, { recursive: true });
    const tar = await makeBusyboxRootfs(WORK_DIR);
    imageName = OciImageSchema.parse(await api(nova.origin, nova.token, 'ociImage.import', { path: tar, name: IMAGE })).name;
    await api(nova.origin, nova.token, 'network.create', { name: NET, subnet: `${GATEWAY}/24` });
  });

  test.afterAll(async ({ nova }) => {
    for (const name of [WEB, STUBBORN]) await api(nova.origin, nova.token, 'capsule.delete', { name, force: true }).catch(() => undefined);
    await api(nova.origin, nova.token, 'network.delete', { name: NET }).catch(() => undefined);
    await api(nova.origin, nova.token, 'ociImage.remove', { name: imageName }).catch(() => undefined);
    await rm(WORK_DIR, { recursive: true, force: true });
  });

  test('creates a capsule on a network with a published port from the dialog, and the port answers', async ({ page, nova, pageProblems }) => {
    test.setTimeout(150_000);
    const capsules = new CapsulesPage(page);
    await capsules.openSection(nova.url);
    // By keyboard: Enter opens the dialog on its first field, Escape closes it back to the button.
    await capsules.createButton.focus();
    await page.keyboard.press('Enter');
    const dialog = capsules.dialog;
    await expect(dialog.name).toBeFocused();
    await page.keyboard.press('Escape');
    await expect(dialog.root).toBeHidden();
    await expect(capsules.createButton).toBeFocused();
    await page.keyboard.press('Enter');
    await expect(dialog.name).toBeFocused();
    await dialog.name.fill(WEB);
    await dialog.image.selectOption(imageName);
    await dialog.command.fill(SERVE);
    await expect(dialog.runs).toHaveText(`Runs: sh -c 'echo "hello-$GREETING" > /tmp/index.html && exec httpd -f -p 8080 -h /tmp'`);
    await dialog.env.fill('GREETING=nv16c');
    // A port without a network is refused beside the ports, and the refusal goes once one is chosen.
    await dialog.ports.fill(`${HOST_PORT}:8080`);
    await expect(dialog.fieldError('ports')).toHaveText('publishing a port needs a network: choose one above');
    await dialog.network.selectOption(NET);
    await expect(dialog.fieldError('ports')).toHaveCount(0);
    await expect(dialog.root.locator('.vm-field__error')).toHaveCount(0);
    await shootBoth(page, 'capsule-parity-create');
    // Enter in a field submits, as in any form.
    await dialog.name.press('Enter');

    await expect(dialog.root).toBeHidden({ timeout: 60_000 });
    await expect(capsules.heading).toHaveText(WEB);
    await expect(capsules.state).toHaveText('Running', { timeout: 30_000 });
    const running = await capsule(nova.origin, nova.token, WEB);
    const address = running.network?.address.split('/')[0];
    expect(address).toMatch(new RegExp(`^10\\.${OCTET}\\.16\\.\\d+$`));

    // Through the published port on the host's loopback, as a browser on the host reaches it,
    // and on the host's address on the network.
    await expect.poll(() => httpGet(nova.netns, `http://127.0.0.1:${HOST_PORT}/index.html`)?.trim() ?? null, { timeout: 15_000 }).toBe('hello-nv16c');
    expect(httpGet(nova.netns, `http://${GATEWAY}:${HOST_PORT}/index.html`)?.trim()).toBe('hello-nv16c');

    await capsules.tab('Settings').click();
    const facts = page.getByRole('region', { name: 'Settings' });
    await expect(facts.locator('dt:text-is("Network") + dd')).toHaveText(new RegExp(`^${NET}, address ${address?.replace(/\./g, '\\.')}/24`));
    await expect(facts.locator('dt:text-is("Published ports") + dd')).toHaveText(`host ${HOST_PORT} → capsule 8080`);
    await shootBoth(page, 'capsule-parity-settings');
    expect(pageProblems).toEqual([]);
  });

  test("changes a stopped capsule's env, memory limit and what it runs, seen in its Settings tab and in the running process", async ({ page, nova, pageProblems }) => {
    test.setTimeout(150_000);
    const capsules = new CapsulesPage(page);
    await page.goto(`${nova.url}#/capsules/${WEB}/settings`);
    await expect(capsules.heading).toHaveText(WEB);
    await capsules.action(WEB, 'Stop').click();
    await expect(page.getByRole('status').filter({ hasText: `Stopped '${WEB}' after` })).toBeVisible({ timeout: 30_000 });
    await expect(capsules.state).toHaveText('Stopped');
    await expect(page.locator('.vm-reason')).toHaveClass(/vm-reason--calm/);

    const editor = page.getByRole('form', { name: 'Change settings' });
    const env = editor.getByLabel('Environment', { exact: true });
    await expect(env).toHaveValue('GREETING=nv16c');
    await env.fill('GREETING=edited\nMODE=2');
    const memory = editor.getByLabel('Memory limit', { exact: true });
    await memory.fill('lots');
    await expect(editor.locator('[data-field="memoryMiB"] .vm-field__error')).toContainText('"lots" is not a memory limit');
    await memory.fill('96Mi');
    // What it runs, typed as in a shell: the page now names its working directory and host.
    await expect(editor.getByLabel('Command', { exact: true })).toHaveValue(SERVE);
    await editor.getByLabel('Command', { exact: true }).fill(SERVE_EDITED);
    await editor.getByLabel('Working directory', { exact: true }).fill('/tmp');
    await editor.getByLabel('Hostname', { exact: true }).fill(`${WEB}-edited`);
    await editor.getByRole('button', { name: 'Save changes' }).click();
    await expect(page.getByRole('status').filter({ hasText: `Saved the settings of '${WEB}'` })).toBeVisible({ timeout: 30_000 });
    const facts = page.getByRole('region', { name: 'Settings' });
    await expect(facts.locator('dt:text-is("Environment") + dd')).toHaveText('GREETING=edited, MODE=2');
    await expect(facts.locator('dt:text-is("Memory") + dd')).toHaveText(/^96(\.0)? MiB$/);
    await shootBoth(page, 'capsule-parity-edited');

    await capsules.action(WEB, 'Start').click();
    await expect(page.getByRole('status').filter({ hasText: `Started '${WEB}'` })).toBeVisible({ timeout: 30_000 });
    await expect(capsules.state).toHaveText('Running', { timeout: 30_000 });
    const environ = (await api(nova.origin, nova.token, 'capsule.exec', { name: WEB, command: ['sh', '-c', "tr '\\0' '\\n' < /proc/1/environ"] })) as { stdout: string };
    expect(environ.stdout.split('\n')).toEqual(expect.arrayContaining(['GREETING=edited', 'MODE=2']));
    await expect.poll(() => httpGet(nova.netns, `http://127.0.0.1:${HOST_PORT}/index.html`)?.trim() ?? null, { timeout: 15_000 }).toBe(`hello-edited from /tmp on ${WEB}-edited`);
    expect((await capsule(nova.origin, nova.token, WEB)).spec.memoryBytes).toBe(96 * 1024 * 1024);
    expect(pageProblems).toEqual([]);
  });

  test('a stop of a process that ignores SIGTERM counts down, and Kill ends it at once', async ({ page, nova, pageProblems }) => {
    test.setTimeout(150_000);
    await api(nova.origin, nova.token, 'capsule.create', { name: STUBBORN, image: imageName, command: ['sh', '-c', "trap 'echo ignoring TERM' TERM; while true; do sleep 1; done"], stopTimeoutSec: 60 });
    await api(nova.origin, nova.token, 'capsule.start', { name: STUBBORN });
    const capsules = new CapsulesPage(page);
    await page.goto(`${nova.url}#/capsules/${STUBBORN}/logs`);
    await expect(capsules.state).toHaveText('Running', { timeout: 30_000 });
    await capsules.action(STUBBORN, 'Stop').click();
    const timer = page.getByRole('timer', { name: `Stopping ${STUBBORN}` });
    await expect(timer).toContainText(/Killed in \d+ s/);
    await expect(capsules.logLine('ignoring TERM')).toHaveCount(1, { timeout: 20_000 });
    await shootBoth(page, 'capsule-parity-stop-countdown');
    const asked = Date.now();
    await timer.getByRole('button', { name: 'Kill' }).click();
    await expect(page.getByRole('status').filter({ hasText: new RegExp(`Killed '${STUBBORN}' after \\d+ s, as asked`) })).toBeVisible({ timeout: 20_000 });
    expect(Date.now() - asked).toBeLessThan(20_000);
    await expect(timer).toHaveCount(0);
    await expect(capsules.state).toHaveText('Stopped');
    // Asked for, so calm: not the red of a failure.
    await expect(page.locator('.vm-reason')).toHaveText(/^Last exit: stopped on request, killed/);
    await expect(page.locator('.vm-reason')).toHaveClass(/vm-reason--calm/);
    expect((await capsule(nova.origin, nova.token, STUBBORN)).lastExit).toMatchObject({ reason: 'stopped', signal: 'SIGKILL' });
    await shootBoth(page, 'capsule-parity-killed');
    expect(pageProblems).toEqual([]);
  });

  test("a snapshot's delete asks first, by keyboard alone: Escape keeps it, Tab and Enter delete it", async ({ page, nova, pageProblems }) => {
    test.setTimeout(120_000);
    await api(nova.origin, nova.token, 'capsule.snapshotCreate', { name: STUBBORN, snapshot: SNAPSHOT });
    const capsules = new CapsulesPage(page);
    await page.goto(`${nova.url}#/capsules/${STUBBORN}/snapshots`);
    const remove = page.getByRole('button', { name: `Delete snapshot ${SNAPSHOT}` });
    await remove.focus();
    await page.keyboard.press('Enter');
    const confirm = page.getByRole('alertdialog', { name: `Delete snapshot '${SNAPSHOT}'?` });
    await expect(confirm).toBeVisible();
    await expect(confirm.getByRole('button', { name: 'Cancel' })).toBeFocused();
    await page.keyboard.press('Escape');
    await expect(confirm).toBeHidden();
    await expect(remove).toBeFocused();
    await expect(capsules.snapshotRow(SNAPSHOT)).toBeVisible();

    await page.keyboard.press('Enter');
    await expect(confirm).toBeVisible();
    await expect(confirm).toContainText('is lost for good');
    await page.keyboard.press('Tab');
    await expect(confirm.getByRole('button', { name: `Delete ${SNAPSHOT}` })).toBeFocused();
    await shootBoth(page, 'capsule-parity-confirm');
    await page.keyboard.press('Enter');
    await expect(page.getByRole('status').filter({ hasText: `Deleted snapshot '${SNAPSHOT}'` })).toBeVisible({ timeout: 30_000 });
    await expect(capsules.snapshotRow(SNAPSHOT)).toHaveCount(0);
    expect(pageProblems).toEqual([]);
  });
});
