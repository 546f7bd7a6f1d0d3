// Makes a NovaFile's [assets] before it is planned: the busybox guest's kernel and
// initramfs copied into the folder the file names, and the busybox image imported into
// the helper. Both are built once per user into a cache (Debian's kernel is a ~70 MB
// download), so a second project or a second `nova up` costs a copy at most. For a project
// on several hosts the image goes to the helper of each host whose capsules use it; the
// guest's files are made on this machine, where the NovaFile's folder is.
import { copyFile, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { LOCAL_HOST } from '../../../src-shared/vocabulary/index.js';
import type { NovaFileConfig } from '../novafile/novafile-config.js';
import { loadNovaFile } from '../novafile/novafile-parser.js';
import type { ProjectHelper } from '../project/project-helper.js';
import { exists, withBuildLock } from './build-lock.js';
import { buildGuestInto, debianKernelVersion, type InitramfsVariant } from './busybox-guest.js';
import { makeBusyboxRootfs } from './busybox-rootfs.js';

/** Printed on the serial console once the busybox guest is up; a serial health check can wait for it. */
export const BUSYBOX_GUEST_READY = 'NOVA-BUSYBOX-GUEST-READY';
/** Bumped whenever the guest's init or layout changes, so stale copies are rebuilt. */
const GUEST_RECIPE = 'busybox-guest-v1';
const GUEST_FILES = ['vmlinux', 'vmlinuz', 'initramfs.cpio'] as const;
const STAMP = '.nova-asset';
const LOCK_WAIT_MS = 300_000;

const VARIANT: InitramfsVariant = {
  file: 'initramfs.cpio',
  readyLine: BUSYBOX_GUEST_READY,
  prompt: 'nova-guest# ',
  acpi: true,
  net: true,
  poweroffLine: 'NOVA-GUEST-POWEROFF',
  leaseLine: 'NOVA-GUEST-LEASE',
};

/** $NOVA_ASSET_CACHE, else the user's cache folder. */
export function assetCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.NOVA_ASSET_CACHE) return env.NOVA_ASSET_CACHE;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'nova', 'assets');
}

type AssetHelper = Pick<ProjectHelper, 'call' | 'operation'>;

export interface AssetOptions {
  onLine: (line: string) => void;
  cacheRoot?: string;
  /** Where a guest without a `host` key runs (`nova --host`); this machine by default. */
  defaultHost?: string;
}

/** The helper of each host; one helper stands for every host of a project on one. */
export type AssetHelpers = AssetHelper | ((host: string) => Promise<AssetHelper>);

export async function prepareProjectAssets(config: NovaFileConfig, helpers: AssetHelpers, o: AssetOptions): Promise<void> {
  const assets = config.assets;
  if (!assets) return;
  const cacheRoot = o.cacheRoot ?? assetCacheRoot();
  if (assets.busyboxGuest !== undefined) await ensureGuestIn(assets.busyboxGuest, cacheRoot, o.onLine);
  const image = assets.busyboxImage;
  if (image === undefined) return;
  const defaultHost = o.defaultHost ?? LOCAL_HOST;
  const users = new Set(config.capsules.filter((c) => c.image.text === image).map((c) => c.host ?? defaultHost));
  for (const host of users.size > 0 ? [...users].sort() : [defaultHost]) {
    const helper = typeof helpers === 'function' ? await helpers(host) : helpers;
    await ensureImage(image, cacheRoot, helper, (line) => o.onLine(users.size > 1 || host !== LOCAL_HOST ? `${line} on ${host}` : line));
  }
}

/** The NovaFile's assets, when it validates; an invalid file is left for the planner to report. */
export async function prepareAssetsOf(file: string, helpers: AssetHelpers, o: AssetOptions): Promise<void> {
  const { config } = await loadNovaFile(file);
  if (config) await prepareProjectAssets(config, helpers, o);
}

async function ensureGuestIn(target: string, cacheRoot: string, onLine: (line: string) => void): Promise<void> {
  const stamp = await readFile(join(target, STAMP), 'utf8').catch(() => '');
  if (stamp.startsWith(`${GUEST_RECIPE} `)) return;
  const kernelVersion = await debianKernelVersion();
  const cached = join(cacheRoot, `${GUEST_RECIPE}-${kernelVersion}`);
  if (!(await exists(join(cached, 'complete')))) {
    onLine(`building the busybox guest from Debian's linux-image-${kernelVersion}-amd64 and busybox-static (first use; kept in ${cacheRoot})`);
    await mkdir(cacheRoot, { recursive: true });
    await withBuildLock(join(cacheRoot, '.build.lock'), LOCK_WAIT_MS, async () => {
      if (await exists(join(cached, 'complete'))) return;
      const staging = await mkdtemp(join(cacheRoot, '.build-'));
      try {
        await buildGuestInto(staging, kernelVersion, [VARIANT]);
        await writeFile(join(staging, 'complete'), new Date().toISOString() + '\n');
        await rm(cached, { recursive: true, force: true });
        await rename(staging, cached);
      } catch (err) {
        await rm(staging, { recursive: true, force: true });
        throw err;
      }
    });
  }
  await mkdir(target, { recursive: true });
  for (const f of GUEST_FILES) await copyFile(join(cached, f), join(target, f));
  await writeFile(join(target, STAMP), `${GUEST_RECIPE} ${kernelVersion}\n`);
  onLine(`busybox guest (kernel ${kernelVersion}) ready in ${target}`);
}

async function ensureImage(name: string, cacheRoot: string, helper: AssetHelper, onLine: (line: string) => void): Promise<void> {
  const { images } = await helper.call('ociImage.list', {});
  if (images.some((i) => i.name === name)) return;
  await mkdir(cacheRoot, { recursive: true });
  const tar = join(cacheRoot, 'busybox-rootfs.tar');
  if (!(await exists(tar))) {
    onLine('building the busybox image from busybox-static');
    const made = await makeBusyboxRootfs(cacheRoot, `.busybox-rootfs-${process.pid}.tar`);
    await rename(made, tar);
  }
  await helper.operation('ociImage.import', { path: tar, name }, `image ${name}`);
  onLine(`image ${name} imported`);
}
