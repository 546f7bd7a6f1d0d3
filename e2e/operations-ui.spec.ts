// Operations in the UI, against the real helper in web mode: a long operation shows its
// progress in place on its resource's page and in the activity panel, and the panel's
// Cancel stops it and removes what it made. Each engine's long operation is one
// scenario (a disk import, a full VM clone, an OCI pull from a local registry): how to
// start it, which child process does the long work (held in a freezer cgroup so the
// test acts while it runs, and sees the operation cancelling: the helper's SIGKILL waits
// until the test lets the child go), what phase it shows, what its resource's pages
// show meanwhile, and how to check that nothing of it is left.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { commandOf, freezeWhenRunning, holdWhenRunning, killMatching, processesMatching, qemuImgConvertOf, writeSparseDisk, type ArgvMatch, type HeldChild } from '../helper/system-tests/fixtures/frozen-child.js';
import { startRegistry, type LocalRegistry } from '../helper/system-tests/fixtures/local-registry.js';
import { waitFor } from '../helper/system-tests/fixtures/wait-for.js';
import { bytesUnder } from '../helper/src/capsule/pull-meter.js';
import type { Envelope, MethodName, ParamsIn } from '../src-shared/index.js';
import { ActivityPanel, type OperationCard } from './pages/activity-panel.js';
import { AppShell } from './pages/app-shell.js';
import { ImagesPage } from './pages/images-page.js';
import { seriousAxeViolations } from './support/axe.js';
import { VmDetailPage, VmListPage } from './pages/vm-pages.js';
import { expect, test } from './support/fixtures.js';
import type { NovaStackInfo } from './support/nova-stack.js';
import { callOverWeb } from './support/web-api.js';

const ARTIFACTS = new URL('./artifacts/', import.meta.url);
const shot = (name: string) => ({ path: new URL(`operations-${name}.png`, ARTIFACTS).pathname });

interface CancelScenario {
  readonly name: string;
  /** How the UI names the operation's resource: "Image nv8u-1a2b3c". */
  readonly resource: string;
  /** The phase the operation shows while its worker is held. */
  readonly phase: RegExp;
  /** The numbers beside the phase while it is held, when the engine counts. */
  readonly numbers?: RegExp;
  /** Makes what the operation works on (a disk file, a registry, a VM). */
  prepare(nova: NovaStackInfo): Promise<void>;
  /** The child process doing the long part of the work. */
  worker(): ArgvMatch;
  /** Holds the worker where the test acts (by default as soon as it runs). */
  hold?(nova: NovaStackInfo): Promise<HeldChild>;
  /** Starts the operation (from the UI where it has a control for it); returns its card shown in place on its resource's page. */
  start(page: Page, nova: NovaStackInfo): Promise<OperationCard>;
  /** What the app shows of the operation elsewhere while it runs; ends back where start() left the page. */
  whileRunning?(page: Page): Promise<void>;
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
async function expectNoTraceOf(nova: NovaStackInfo, name: string, where: { folder: string; worker: ArgvMatch; list: 'image.list' | 'vm.list' | 'ociImage.list' }): Promise<void> {
  expect(await stateFilesOf(nova, where.folder, name)).toEqual([]);
  expect(await processesMatching(where.worker)).toEqual([]);
  const listed = await callApi(nova, where.list, {});
  expect(listed).toMatchObject({ ok: true });
  expect(JSON.stringify(listed)).not.toContain(name);
}

/** One NovaApi call over web mode, as another window of the app would make it. */
async function callApi<M extends MethodName>(nova: NovaStackInfo, method: M, params: ParamsIn<M>, timeoutMs?: number): Promise<Envelope<unknown>> {
  return callOverWeb(nova.origin, nova.token, method, params, timeoutMs);
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
    // Asked for elsewhere, the clone holds its source: the source's page and its row in
    // the list say so, and offer no Start (the helper would refuse it as locked).
    whileRunning: async (page) => {
      const busy = `busy: clone to ${target}`;
      const vm = new VmDetailPage(page, source);
      await expect(vm.state).toHaveText('Cloning…');
      await expect(vm.state).toHaveAttribute('title', busy);
      await expect(vm.action('Start')).toBeDisabled();
      await expect(vm.action('Start')).toHaveAttribute('title', busy);
      await page.screenshot(shot('clone-source-busy'));
      const vms = new VmListPage(page);
      await vms.goTo('Virtual machines');
      await expect(vms.state(source)).toHaveText('Cloning…');
      const startInRow = vms.row(source).getByRole('button', { name: `Start ${source}` });
      await expect(startInRow).toBeDisabled();
      await expect(startInRow).toHaveAttribute('title', busy);
      await vms.row(source).getByRole('link', { name: source }).click();
      await expect(vm.heading).toHaveText(source);
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

/** What the helper's OCI image store holds: image folders and temp folders (not the signature policy, written once for the first pull). */
async function imageStoreEntries(nova: NovaStackInfo): Promise<string[]> {
  return (await readdir(join(nova.stateDir, 'capsule-images')).catch(() => [] as string[])).filter((f) => f !== 'policy.json');
}

/** Bytes skopeo has copied so far into the pull's temp layout. */
async function pullTempBytes(nova: NovaStackInfo): Promise<number> {
  const tmp = (await imageStoreEntries(nova)).find((f) => f.startsWith('.tmp-'));
  return tmp === undefined ? 0 : bytesUnder(join(nova.stateDir, 'capsule-images', tmp, 'oci'));
}

/**
 * `ociImage.pull` of a 48 MiB single-layer image (random bytes, so gzip keeps it 48 MiB)
 * from Debian's docker-registry on the loopback of the helper's network namespace. The
 * UI has no pull form, so the pull is asked for over the API while the Images page is
 * open, and cancelled from the UI. skopeo is let go a few milliseconds at a time until
 * some MiB have landed, so the progress has bytes to show, then held.
 */
function ociPull(): CancelScenario {
  const name = `nv8w-${randomBytes(3).toString('hex')}`;
  const image = `${name}:latest`;
  let work = '';
  let registry: LocalRegistry | null = null;
  let reference = '';
  let before: string[] = [];
  let pulling: Promise<Envelope<unknown>> | null = null;
  const worker = (): ArgvMatch => commandOf('skopeo', 'copy', reference || '/nonexistent');
  return {
    name: 'OCI image pull',
    resource: `Image ${image}`,
    phase: /^copying blob \d+ of \d+/,
    numbers: /^\d+ % · [\d.]+ MiB of [\d.]+ MiB$/,
    prepare: async (nova) => {
      work = join(nova.runDir, `${name}-registry`);
      await mkdir(join(work, 'rootfs'), { recursive: true });
      await writeFile(join(work, 'rootfs', 'blob.bin'), randomBytes(48 * 1024 * 1024));
      execFileSync('tar', ['--create', '--file', join(work, 'big.tar'), '--directory', join(work, 'rootfs'), '.']);
      registry = await startRegistry(work, nova.netns);
      reference = await registry.push(join(work, 'big.tar'), `${name}/big:1`, ['true']);
      before = await imageStoreEntries(nova);
    },
    worker,
    hold: async (nova) => {
      const frozen = await freezeWhenRunning(worker(), 60_000, "the pull's skopeo copy");
      await waitFor(
        async () => {
          if ((await pullTempBytes(nova)) > 4 * 1024 * 1024) return true;
          frozen.resume();
          await new Promise((r) => setTimeout(r, 3));
          process.kill(frozen.pid, 'SIGSTOP');
          return false;
        },
        30_000,
        'skopeo to copy some MiB',
      );
      return holdWhenRunning(worker(), 5_000, "the pull's skopeo copy");
    },
    start: async (page, nova) => {
      const images = new ImagesPage(page);
      await images.goTo('Images');
      await expect(images.heading).toHaveText('Images');
      pulling = callApi(nova, 'ociImage.pull', { reference, tlsVerify: false, name }, 90_000);
      pulling.catch(() => undefined);
      return images.operationOn(`Image ${image}`);
    },
    expectNothingLeft: async (page, nova) => {
      expect(await pulling).toMatchObject({
        ok: false,
        error: { code: 'cancelled', message: `pull of ${reference} as image ${image} was cancelled; nothing was kept` },
      });
      const images = new ImagesPage(page);
      await expect(images.imageRow(image)).toHaveCount(0);
      // No blob, no temp folder: the image store holds what it held before.
      expect((await imageStoreEntries(nova)).sort()).toEqual([...before].sort());
      await expectNoTraceOf(nova, name, { folder: 'capsule-images', worker: worker(), list: 'ociImage.list' });
    },
    cleanup: async (nova) => {
      if (reference) await killMatching(worker());
      await callApi(nova, 'ociImage.remove', { name: image }).catch(() => undefined);
      registry?.stop();
      if (work) await rm(work, { recursive: true, force: true });
    },
  };
}

const SCENARIOS: ReadonlyArray<() => CancelScenario> = [diskImport, fullVmClone, ociPull];

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
        worker = await (scenario.hold ? scenario.hold(nova) : holdWhenRunning(scenario.worker(), 60_000, `the ${scenario.name}'s worker`));

        await inPlace.expectState('Running');
        await expect(inPlace.phase).toHaveText(scenario.phase);
        await expect(inPlace.progress).toBeVisible();
        if (scenario.numbers) await expect(inPlace.numbers).toHaveText(scenario.numbers);
        await scenario.whileRunning?.(page);

        const activity = new ActivityPanel(page);
        await expect(activity.button).toHaveAccessibleName('Activity, 1 running');
        // The count beside the word changes the button's text: its name must still say what it shows.
        expect(await seriousAxeViolations(page)).toEqual([]);
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
        // Nothing listens on port 9 in the helper's namespace: the pull starts and fails inside its operation.
        const reference = `127.0.0.1:9/${name}/none:1`;
        const answer = await callApi(nova, 'ociImage.pull', { reference, tlsVerify: false, name }, 60_000);
        expect(answer).toMatchObject({ ok: false });

        const shell = new AppShell(page);
        await shell.open(nova.url);
        await expect(shell.heading).toHaveText('Dashboard');
        const activity = new ActivityPanel(page);
        for (let i = 0; i < 30 && !(await activity.button.evaluate((el) => el.matches(':focus'))); i++) await page.keyboard.press('Tab');
        await expect(activity.button).toBeFocused();
        await page.keyboard.press('Enter');
        await expect(activity.root).toBeVisible();
        await expect(activity.heading).toBeFocused();
        await expect(activity.button).toHaveAttribute('aria-expanded', 'true');

        const failed = activity.operationOn(`Image ${name}:latest`, activity.recent);
        await failed.expectState('Failed');
        // Said as what it is, a registry out of reach, never as a fault inside Nova or as a code.
        await expect(failed.error).toContainText('Registry not reachable');
        await expect(failed.error).toContainText('The registry 127.0.0.1:9 cannot be reached');
        await expect(failed.error).toContainText('connection refused');
        await expect(failed.error).toContainText('Check the address 127.0.0.1:9');
        await expect(failed.error).not.toContainText(/Internal error|Helper unavailable|\bunavailable\b|level=fatal/);
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
