// The Capsules UI against the real helper and runtime: a busybox image built at test
// time and imported through the API, a capsule created in the dialog (its form checked
// as it is typed) that prints a line every 0.3 s, the lines streaming into the log view,
// a shell in the terminal tab answering `echo $((6*7))`, a snapshot shown in place while
// it archives the layer (the capsule busy meanwhile), and the capsule deleted.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, copyFile, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { commandOf, holdWhenRunning } from '../helper/system-tests/fixtures/frozen-child.js';
import { CapsuleSchema, OciImageSchema, type MethodName, type ParamsIn } from '../src-shared/index.js';
import { CapsulesPage } from './pages/capsule-page.js';
import { expect, test } from './support/fixtures.js';
import { TEST_GUEST_CACHE } from './support/nova-stack.js';
import { callOverWeb } from './support/web-api.js';

const ARTIFACTS = new URL('./artifacts/', import.meta.url);
const RUN = randomBytes(2).toString('hex');
const CAPSULE = `nv5e-tick-${RUN}`;
const IMAGE = `nv5e-busybox-${RUN}`;
const SNAPSHOT = `nv8w-snap-${RUN}`;
/** Under the helper's --allowed-root, so ociImage.import may read it; removed after. */
const WORK_DIR = join(TEST_GUEST_CACHE, `nv5e-${RUN}`);
const TICK_COMMAND = `sh -c 'i=0; while true; do i=$((i+1)); echo "nv5e tick $i"; sleep 0.3; done'`;

async function api<M extends MethodName>(origin: string, token: string, method: M, params: ParamsIn<M>): Promise<unknown> {
  const envelope = await callOverWeb(origin, token, method, params);
  if (!envelope.ok) throw new Error(`${method} failed: ${envelope.error.code} ${envelope.error.message}`);
  return envelope.value;
}

/** A busybox rootfs tarball: the static binary, one symlink per applet, the usual dirs. */
async function makeBusyboxRootfs(dir: string): Promise<string> {
  const root = join(dir, 'rootfs');
  for (const d of ['bin', 'etc', 'tmp', 'proc', 'sys', 'dev', 'root']) await mkdir(join(root, d), { recursive: true });
  await chmod(join(root, 'tmp'), 0o1777);
  await copyFile('/bin/busybox', join(root, 'bin/busybox'));
  await chmod(join(root, 'bin/busybox'), 0o755);
  const applets = execFileSync('/bin/busybox', ['--list'], { encoding: 'utf8', timeout: 10_000 }).split('\n').filter((a) => /^[a-z0-9_.[-]+$/.test(a) && a !== 'busybox');
  for (const a of applets) await symlink('busybox', join(root, 'bin', a)).catch(() => undefined);
  await writeFile(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  await writeFile(join(root, 'etc/group'), 'root:x:0:\n');
  const tar = join(dir, 'busybox-rootfs.tar');
  execFileSync('tar', ['--create', '--file', tar, '--numeric-owner', '--owner=0', '--group=0', '--directory', root, '.'], { timeout: 60_000 });
  await rm(root, { recursive: true, force: true });
  return tar;
}

/** Light, then the same view in dark; back to light after. */
async function shootBoth(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: new URL(`${name}-light.png`, ARTIFACTS).pathname });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.screenshot({ path: new URL(`${name}-dark.png`, ARTIFACTS).pathname });
  await page.emulateMedia({ colorScheme: 'light' });
}

test.describe('Capsules UI', () => {
  let imageName = IMAGE;

  test.beforeAll(async ({ nova }) => {
    test.setTimeout(120_000);
    await mkdir(WORK_DIR, { recursive: true });
    const tar = await makeBusyboxRootfs(WORK_DIR);
    const image = OciImageSchema.parse(await api(nova.origin, nova.token, 'ociImage.import', { path: tar, name: IMAGE }));
    imageName = image.name;
  });

  test.afterAll(async ({ nova }) => {
    await api(nova.origin, nova.token, 'capsule.delete', { name: CAPSULE, force: true }).catch(() => undefined);
    await api(nova.origin, nova.token, 'ociImage.remove', { name: imageName }).catch(() => undefined);
    await rm(WORK_DIR, { recursive: true, force: true });
  });

  test('creates a capsule in the dialog, streams its logs, answers in its terminal, and deletes it', async ({ page, nova, pageProblems }) => {
    test.setTimeout(150_000);
    const capsules = new CapsulesPage(page);
    await capsules.openSection(nova.url);
    await expect(capsules.heading).toHaveText('Capsules');

    await capsules.createButton.click();
    const dialog = capsules.dialog;
    await expect(dialog.root).toBeVisible();
    await expect(dialog.name).toBeFocused();
    // Checked as typed: a bad name and a memory limit below the runtime's floor.
    await dialog.name.fill('Bad Name');
    await expect(dialog.fieldError('name')).toContainText('capsule name');
    await dialog.memory.fill('2');
    await expect(dialog.fieldError('memoryMiB')).toContainText('at least');
    await dialog.command.fill(`echo 'open`);
    await expect(dialog.fieldError('command')).toContainText('quote');

    await dialog.name.fill(CAPSULE);
    await expect(dialog.fieldError('name')).toHaveCount(0);
    await dialog.image.selectOption(imageName);
    await dialog.command.fill(TICK_COMMAND);
    await dialog.env.fill('GREETING=hello');
    await dialog.memory.fill('64');
    await dialog.restart.fill('on-failure:3');
    await expect(dialog.root.locator('.vm-field__error')).toHaveCount(0);
    await shootBoth(page, 'capsule-create');
    await dialog.submit.click();

    // Created and started, its page opens on the live logs.
    await expect(dialog.root).toBeHidden({ timeout: 60_000 });
    await expect(page).toHaveURL(new RegExp(`#/capsules/${CAPSULE}$`));
    await expect(capsules.heading).toHaveText(CAPSULE);
    await expect(page.locator('.page-header .vm-state')).toHaveText('Running', { timeout: 30_000 });
    await expect(capsules.logLine('nv5e tick 3')).toHaveCount(1, { timeout: 20_000 });
    // Followed, not reloaded: later lines keep arriving in the same view, each once.
    await expect(capsules.logLine('nv5e tick 12')).toHaveCount(1, { timeout: 20_000 });
    await expect(capsules.logLine('nv5e tick 3')).toHaveCount(1);
    await capsules.logSearch.fill('tick 1');
    await expect(capsules.logLine('nv5e tick 11')).toHaveCount(1);
    await expect(capsules.logLine('nv5e tick 2')).toHaveCount(0);
    await expect(page.getByRole('status').filter({ hasText: / of \d+ lines/ })).toBeVisible();
    await capsules.logSearch.fill('');
    await shootBoth(page, 'capsule-logs');

    // The list shows it running, with sparklines once two samples are in.
    await page.getByRole('link', { name: 'All capsules' }).click();
    const row = capsules.row(CAPSULE);
    await expect(row).toContainText('Running');
    await expect(row).toContainText(imageName);
    await expect(row.getByRole('img', { name: /^memory / })).toBeVisible({ timeout: 15_000 });
    await shootBoth(page, 'capsule-list');

    await row.getByRole('link', { name: CAPSULE }).click();
    await capsules.tab('Graphs').click();
    await expect(page.locator('figure[data-chart="cpu"]')).not.toHaveAttribute('data-points', '0', { timeout: 15_000 });
    await shootBoth(page, 'capsule-graphs');

    // A shell over the terminal proxy: typed keys in, the answer out.
    await capsules.tab('Terminal').click();
    await expect(capsules.terminalStatus).toHaveText('Shell open', { timeout: 20_000 });
    // Typed at the prompt, as a user would once the shell is there.
    await expect(capsules.terminal.locator('.xterm-rows')).toContainText('/ #', { timeout: 10_000 });
    await capsules.terminal.click();
    await page.keyboard.type('echo $((6*7))\n');
    // xterm draws one element per row: the answer is a row of its own.
    await expect(capsules.terminal.locator('.xterm-rows > div', { hasText: /^\s*42\s*$/ })).toHaveCount(1, { timeout: 10_000 });
    await shootBoth(page, 'capsule-terminal');
    // Left the way a user ends a shell: the page says how it ended.
    await page.keyboard.type('exit\n');
    await expect(capsules.terminalStatus).toHaveText('Disconnected: the shell exited with 0', { timeout: 10_000 });

    // A snapshot is an operation: its progress shows in place while tar archives the
    // writable layer (96 MiB of it, so tar runs long enough to be caught, and held by
    // the test meanwhile), the capsule reads as busy and its actions are off, naming it;
    // then the snapshot is listed.
    await api(nova.origin, nova.token, 'capsule.exec', { name: CAPSULE, command: ['sh', '-c', 'head -c 100663296 /dev/urandom > /root/ballast'] });
    await capsules.tab('Snapshots').click();
    await capsules.snapshotName.fill(SNAPSHOT);
    const held = holdWhenRunning(commandOf('tar', '--create', `${CAPSULE}/snapshots/${SNAPSHOT}`), 30_000, "the snapshot's tar");
    await capsules.takeSnapshot.click();
    const snapshotting = capsules.operationInPlace(CAPSULE, `Snapshot '${SNAPSHOT}'`);
    const tar = await held;
    try {
      await snapshotting.expectState('Running');
      await expect(snapshotting.phase).toHaveText('archiving the writable layer');
      await expect(capsules.state).toHaveText('Taking a snapshot…');
      await expect(capsules.state).toHaveAttribute('title', `busy: snapshot '${SNAPSHOT}'`);
      await expect(capsules.action(CAPSULE, 'Stop')).toBeDisabled();
      await expect(capsules.takeSnapshot).toBeDisabled();
      await shootBoth(page, 'capsule-snapshot-running');
    } finally {
      await tar.release();
    }
    await snapshotting.expectState('Succeeded', 30_000);
    await expect(capsules.snapshotRow(SNAPSHOT)).toBeVisible();
    await expect(capsules.state).toHaveText('Running');
    await expect(capsules.action(CAPSULE, 'Stop')).toBeEnabled();

    // Deleted from its settings, after a confirmation naming it.
    await capsules.tab('Settings').click();
    await page.getByRole('button', { name: 'Delete…' }).click();
    await page.getByRole('alertdialog', { name: `Delete ${CAPSULE}?` }).getByRole('button', { name: `Delete ${CAPSULE}` }).click();
    await expect(capsules.heading).toHaveText('Capsules', { timeout: 60_000 });
    await expect(capsules.row(CAPSULE)).toHaveCount(0);
    const listed = (await api(nova.origin, nova.token, 'capsule.list', {})) as { capsules: unknown[] };
    expect(listed.capsules.map((c) => CapsuleSchema.parse(c).name)).not.toContain(CAPSULE);
    expect(pageProblems).toEqual([]);
  });
});
