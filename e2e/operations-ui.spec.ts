// Operations in the UI, against the real helper in web mode: a long operation shows its
// progress in place on its resource's page and in the activity panel, and the panel's
// Cancel stops it and removes what it made. Each engine's long operation is one
// scenario (a disk import and a full VM clone; an OCI pull joins the same way): how to
// start it, which child process does the long work (held in a freezer cgroup so the
// test acts while it runs, and sees the operation cancelling: the helper's SIGKILL waits
// until the test lets the child go), what phase it shows, and how to check that nothing
// of it is left.
import { randomBytes } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { holdWhenRunning, killMatching, processesMatching, qemuImgConvertOf, writeSparseDisk, type ArgvMatch, type HeldChild } from '../helper/system-tests/fixtures/frozen-child.js';
import type { Envelope, MethodName, ParamsIn } from '../src-shared/index.js';
import { ActivityPanel, type OperationCard } from './pages/activity-panel.js';
import { AppShell } from './pages/app-shell.js';
import { ImagesPage } from './pages/images-page.js';
import { VmDetailPage, VmListPage } from './pages/vm-pages.js';
import { expect, test } from './support/fixtures.js';
import type { NovaStackInfo } from './support/nova-stack.js';
import { authCookie, callOverWeb } from './support/web-api.js';

const ARTIFACTS = new URL('./artifacts/', import.meta.url);
const shot = (name: string) => ({ path: new URL(`operations-${name}.png`, ARTIFACTS).pathname });

interface CancelScenario {
  readonly name: string;
  /** How the UI names the operation's resource: "Image nv8u-1a2b3c". */
  readonly resource: string;
  /** The phase the operation shows while its worker is held. */
  readonly phase: RegExp;
  /** Makes what the operation works on (a disk file, a registry, a VM). */
  prepare(nova: NovaStackInfo): Promise<void>;
  /** The child process doing the long part of the work. */
  worker(): ArgvMatch;
  /** Starts the operation (from the UI where it has a control for it); returns its card shown in place on its resource's page. */
  start(page: Page, nova: NovaStackInfo): Promise<OperationCard>;
  /** Nothing of the cancelled operation is left: no resource, no file, no process. */
  expectNothingLeft(page: Page, nova: NovaStackInfo): Promise<void>;
  /** Whatever happened, removes what the scenario made. */
  cleanup(nova: NovaStackInfo): Promise<void>;
}

const newName = () => `nv8t-${randomBytes(3).toString('hex')}`;

async function stateFilesOf(nova: NovaStackInfo, folder: string, name: string): Promise<string[]> {
  return (await readdir(join(nova.stateDir, folder)).catch(() => [] as string[])).filter((f) => f.startsWith(name));
}

/** Nothing of `name` is left: no file of it in the state dir's `folder`, no worker, and `list` does not mention it. */
async function expectNoTraceOf(nova: NovaStackInfo, name: string, where: { folder: string; worker: ArgvMatch; list: 'image.list' | 'vm.list' }): Promise<void> {
  expect(await stateFilesOf(nova, where.folder, name)).toEqual([]);
  expect(await processesMatching(where.worker)).toEqual([]);
  const listed = await callApi(nova, where.list, {});
  expect(listed).toMatchObject({ ok: true });
  expect(JSON.stringify(listed)).not.toContain(name);
}

/** One NovaApi call over web mode, as another window of the app would make it. */
async function callApi<M extends MethodName>(nova: NovaStackInfo, method: M, params: ParamsIn<M>, timeoutMs?: number): Promise<Envelope<unknown>> {
  return callOverWeb(nova.origin, await authCookie(nova.origin, nova.token), method, params, timeoutMs);
}

/** `image.import` of a 64 GiB sparse raw disk with 512 MiB of data: qemu-img converts it. */
function diskImport(): CancelScenario {
  const name = newName();
  let disk = '';
  return {
    name: 'disk import',
    resource: `Image ${name}`,
    phase: /^converting raw to qcow2/,
    prepare: async (nova) => {
      disk = join(nova.importDir, `${name}.raw`);
      await writeSparseDisk(disk, 64, 512);
    },
    worker: () => qemuImgConvertOf(disk),
    start: async (page) => {
      const images = new ImagesPage(page);
      await images.goTo('Images');
      await expect(images.heading).toHaveText('Images');
      await images.startImport(disk, name);
      // The dialog closes once the helper runs the import; the page shows it from then on.
      await expect(images.dialog.root).toBeHidden({ timeout: 20_000 });
      return images.operationOn(`Image ${name}`);
    },
    expectNothingLeft: async (page, nova) => {
      const images = new ImagesPage(page);
      await expect(images.imageRow(name)).toHaveCount(0);
      await expectNoTraceOf(nova, name, { folder: 'images', worker: qemuImgConvertOf(disk), list: 'image.list' });
    },
    cleanup: async (nova) => {
      if (disk) await killMatching(qemuImgConvertOf(disk));
      await callApi(nova, 'image.remove', { name }).catch(() => undefined);
      if (disk) await rm(disk, { force: true });
    },
  };
}

/**
 * A full `vm.clone` of a stopped VM whose disk is a 64 GiB sparse raw with 512 MiB of
 * data: qemu-img copies it. The UI has no clone control yet, so the clone is asked for
 * over the API (as `nova vm clone` in another terminal would) while the source's page
 * is open, and cancelled from the UI.
 */
function fullVmClone(): CancelScenario {
  const source = newName();
  const target = `${source}-copy`;
  let disk = '';
  let cloning: Promise<Envelope<unknown>> | null = null;
  return {
    name: 'full VM clone',
    resource: `VM ${source}`,
    phase: /^copying disk0 \(1 of 1\)/,
    prepare: async (nova) => {
      disk = join(nova.importDir, `${source}.raw`);
      await writeSparseDisk(disk, 64, 512);
      // The raw file itself is the VM's disk (not an overlay on it): the clone copies all of it.
      const made = await callApi(nova, 'vm.create', { name: source, memory: '128Mi', image: disk, linkedImage: false, display: 'none' });
      expect(made).toMatchObject({ ok: true, value: { state: 'stopped' } });
    },
    worker: () => qemuImgConvertOf(disk),
    start: async (page, nova) => {
      const vms = new VmListPage(page);
      await vms.goTo('Virtual machines');
      await vms.row(source).getByRole('link', { name: source }).click();
      const vm = new VmDetailPage(page, source);
      await expect(vm.heading).toHaveText(source);
      cloning = callApi(nova, 'vm.clone', { source, target }, 90_000);
      cloning.catch(() => undefined);
      return vm.operationInPlace();
    },
    expectNothingLeft: async (page, nova) => {
      // The API caller hears the cancel, in words.
      expect(await cloning).toMatchObject({
        ok: false,
        error: { code: 'cancelled', message: `clone of VM ${source} to ${target} was cancelled; nothing of ${target} was kept` },
      });
      const vms = new VmListPage(page);
      await vms.goTo('Virtual machines');
      await expect(vms.row(source)).toBeVisible();
      await expect(vms.row(target)).toHaveCount(0);
      // No folder (so no disk in it), no record beside it, no qemu-img.
      await expectNoTraceOf(nova, target, { folder: 'vms', worker: qemuImgConvertOf(disk), list: 'vm.list' });
      // The source is free again: a change to it is not refused as locked.
      expect(await callApi(nova, 'vm.update', { name: source, description: 'after the cancelled clone' })).toMatchObject({ ok: true });
    },
    cleanup: async (nova) => {
      if (disk) await killMatching(qemuImgConvertOf(disk));
      for (const name of [target, source]) await callApi(nova, 'vm.delete', { name, force: true }).catch(() => undefined);
      if (disk) await rm(disk, { force: true });
    },
  };
}

// Pull (ociImage.pull, skopeo) joins here once its engine runs it as a cancellable operation.
const SCENARIOS: ReadonlyArray<() => CancelScenario> = [diskImport, fullVmClone];

test.describe('operations', () => {
  test.describe.configure({ timeout: 120_000 });

  for (const make of SCENARIOS) {
    const scenario = make();
    test(`${scenario.name}: progress in place and in the activity panel, cancelled from the panel`, async ({ page, nova, pageProblems }) => {
      await scenario.prepare(nova);
      let worker: HeldChild | null = null;
      try {
        const shell = new AppShell(page);
        await shell.open(nova.url);
        const inPlace = await scenario.start(page, nova);
        worker = await holdWhenRunning(scenario.worker(), 60_000, `the ${scenario.name}'s worker`);

        await inPlace.expectState('Running');
        await expect(inPlace.phase).toHaveText(scenario.phase);
        await expect(inPlace.progress).toBeVisible();

        const activity = new ActivityPanel(page);
        await expect(activity.button).toHaveAccessibleName('Activity, 1 running');
        await activity.open();
        const card = activity.operationOn(scenario.resource, activity.running);
        await card.expectState('Running');
        await expect(card.phase).toHaveText(scenario.phase);
        await expect(card.progress).toHaveAttribute('aria-valuetext', scenario.phase);
        await page.screenshot(shot(`${scenario.name.replace(/\W+/g, '-')}-running-light`));

        await card.cancel.click();
        // The helper has the request and killed the worker, which cannot end while held: the card says so.
        await card.expectState('Cancelling');
        await expect(card.cancel).toHaveAttribute('aria-disabled', 'true');
        await worker.release();

        const ended = activity.operationOn(scenario.resource, activity.recent);
        await ended.expectState('Cancelled', 30_000);
        await expect(ended.root).toContainText('was cancelled');
        await expect(activity.button).toHaveAccessibleName('Activity');
        await inPlace.expectState('Cancelled');
        await scenario.expectNothingLeft(page, nova);
        expect(pageProblems).toEqual([]);
      } finally {
        await worker?.release();
        await scenario.cleanup(nova);
      }
    });
  }

  test('a second import of a busy image is refused, naming the first, which the refusal leads to', async ({ page, nova }) => {
    const scenario = diskImport();
    await scenario.prepare(nova);
    let worker: HeldChild | null = null;
    try {
      await new AppShell(page).open(nova.url);
      const images = new ImagesPage(page);
      const first = await scenario.start(page, nova);
      worker = await holdWhenRunning(scenario.worker(), 60_000, 'the first import');
      await first.expectState('Running');

      // The same image again: the helper waits a few seconds for the lock, then says who holds it.
      const name = scenario.resource.replace(/^Image /, '');
      await images.importDisk.click();
      await images.dialog.path.fill(join(nova.importDir, `${name}.raw`));
      await images.dialog.name.fill(name);
      await images.dialog.submit.click();
      await expect(images.dialog.refusal).toContainText('Busy', { timeout: 20_000 });
      await expect(images.dialog.refusal).toContainText(`Image ${name} is busy: import of ${name}.raw`);
      await images.dialog.showOperation.click();

      const activity = new ActivityPanel(page);
      await expect(activity.root).toBeVisible();
      const held = activity.operationOn(scenario.resource, activity.running);
      await expect(held.root).toBeFocused();
      await held.cancel.click();
      await held.expectState('Cancelling');
      await worker.release();
      await activity.operationOn(scenario.resource, activity.recent).expectState('Cancelled', 30_000);
    } finally {
      await worker?.release();
      await scenario.cleanup(nova);
    }
  });

  for (const colorScheme of ['light', 'dark'] as const) {
    test.describe(`in the ${colorScheme} theme`, () => {
      test.use({ colorScheme });

      test(`a failed operation says why in words, and the panel works from the keyboard (${colorScheme})`, async ({ page, nova, pageProblems }) => {
        const name = `${newName()}-bad`;
        // The helper refuses the path inside the operation, so it is listed as failed.
        const answer = await callApi(nova, 'image.import', { path: '/etc/hostname', name });
        expect(answer).toMatchObject({ ok: false, error: { code: 'invalid_argument' } });

        const shell = new AppShell(page);
        await shell.open(nova.url);
        await expect(shell.heading).toHaveText('Host');
        const activity = new ActivityPanel(page);
        for (let i = 0; i < 30 && !(await activity.button.evaluate((el) => el.matches(':focus'))); i++) await page.keyboard.press('Tab');
        await expect(activity.button).toBeFocused();
        await page.keyboard.press('Enter');
        await expect(activity.root).toBeVisible();
        await expect(activity.heading).toBeFocused();
        await expect(activity.button).toHaveAttribute('aria-expanded', 'true');

        const failed = activity.operationOn(`Image ${name}`, activity.recent);
        await failed.expectState('Failed');
        await expect(failed.error).toContainText('Invalid value');
        await expect(failed.error).toContainText('/etc/hostname is outside the allowed folders');
        await expect(failed.error).toContainText('Correct it and try again');
        await failed.root.scrollIntoViewIfNeeded();
        await page.screenshot(shot(`failed-${colorScheme}`));

        await page.keyboard.press('Escape');
        await expect(activity.root).toBeHidden();
        await expect(activity.button).toBeFocused();
        await expect(activity.button).toHaveAttribute('aria-expanded', 'false');
        expect(pageProblems).toEqual([]);
      });
    });
  }
});
