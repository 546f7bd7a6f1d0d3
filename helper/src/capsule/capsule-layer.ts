// A capsule's writable layer over its image: an overlay (upper and work dirs, mounted on
// bundle/rootfs from create to delete, so a start costs no mount) where the kernel allows
// it in the state dir, else a full copy of the image's rootfs. On btrfs the layer is a
// subvolume, so snapshots are instant (capsule-snapshots.ts).
import { readFileSync } from 'node:fs';
import { chmod, mkdir, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { isNovaError } from '../../../src-shared/errors.js';
import type { ProcessRunner } from '../process/process-runner.js';
import type { Logger } from '../util/logger.js';
import { childDirs, createSubvolume, isOnBtrfs, removeTree } from './btrfs-layer.js';
import type { CapsuleLayout } from './capsule-layout.js';
import type { CapsuleRecord } from './capsule-record.js';
import type { ImageStore } from './image-store.js';
import * as rt from './runtime-argv.js';
import { mappingOf } from './user-namespace.js';

export type RootfsMode = 'overlay' | 'copy';

export interface OverlaySpec {
  lower: string;
  upper: string;
  work: string;
  target: string;
}

const MOUNT_TIMEOUT_MS = 10_000;

/** Whether `path` is a mount point, from this process's mountinfo (field 5). */
export function isMounted(path: string): boolean {
  // Synchronous: procfs makes it up in the kernel, never waiting on a disk, in less time
  // than readFile's trips to libuv's thread pool take.
  const info = readFileSync('/proc/self/mountinfo', 'utf8');
  return info.split('\n').some((l) => l.split(' ')[4] === path);
}

export interface CapsuleLayersOptions {
  layout: CapsuleLayout;
  images: Pick<ImageStore, 'rootfsPath' | 'shiftedRootfsPath'>;
  runner: Pick<ProcessRunner, 'run'>;
  logger: Logger;
  stateDir: string;
  /** Skips the overlay probe (tests). */
  forceRootfsMode?: RootfsMode;
}

export class CapsuleLayers {
  /** One probe however many creates ask at once: concurrent probes would share its dir. */
  private overlayWorks: Promise<boolean> | null = null;

  constructor(private readonly o: CapsuleLayersOptions) {}

  async rootfsMode(): Promise<RootfsMode> {
    if (this.o.forceRootfsMode) return this.o.forceRootfsMode;
    this.overlayWorks ??= this.probeOverlay();
    return (await this.overlayWorks) ? 'overlay' : 'copy';
  }

  /** Mounts a throwaway overlay in the state dir: the kernel and the filesystem decide. */
  private async probeOverlay(): Promise<boolean> {
    if (/[,:]/.test(this.o.stateDir)) return false;
    const d = join(this.o.layout.root, `.overlay-probe-${process.pid}`);
    try {
      for (const s of ['lower', 'upper', 'work', 'merged']) await mkdir(join(d, s), { recursive: true });
      const argv = rt.overlayMountArgv(join(d, 'lower'), join(d, 'upper'), join(d, 'work'), join(d, 'merged'));
      const r = await this.o.runner.run({ argv, timeoutMs: MOUNT_TIMEOUT_MS, allowFailure: true });
      if (r.exitCode !== 0) return false;
      await this.o.runner.run({ argv: rt.umountArgv(join(d, 'merged')), timeoutMs: MOUNT_TIMEOUT_MS, allowFailure: true });
      return true;
    } finally {
      await rm(d, { recursive: true, force: true });
    }
  }

  /**
   * The writable layer's dirs in a capsule dir being made. Where the capsules dir is on btrfs
   * the layer is a subvolume: in copy mode the rootfs itself; in overlay mode `layer/` holding
   * upper and work together (overlayfs renames from work into upper, which btrfs refuses
   * across subvolumes), reached through the usual `upper` and `work` paths as relative
   * symlinks. Elsewhere, or without btrfs-progs, plain dirs.
   */
  async make(dir: string, mode: RootfsMode): Promise<void> {
    const rootfs = join(dir, 'bundle', 'rootfs');
    const subvolume = mode === 'overlay' ? join(dir, 'layer') : rootfs;
    let btrfs = await isOnBtrfs(dir);
    if (btrfs) {
      try {
        await createSubvolume(this.o.runner, subvolume);
        await chmod(subvolume, 0o700);
      } catch (err) {
        if (!isNovaError(err, 'unavailable')) throw err;
        this.o.logger.warn({ dir, err }, 'capsules are on btrfs but btrfs-progs is not installed: plain layer, archive snapshots');
        btrfs = false;
      }
    }
    if (!btrfs || mode === 'overlay') await mkdir(rootfs, { mode: 0o700 });
    if (btrfs && mode === 'overlay') {
      for (const d of ['upper', 'work']) {
        await mkdir(join(subvolume, d), { mode: 0o700 });
        await symlink(join('layer', d), join(dir, d));
      }
    } else {
      for (const d of ['upper', 'work']) await mkdir(join(dir, d), { mode: 0o700 });
    }
  }

  /** Where the layer is a btrfs subvolume (see make); not necessarily one. */
  subvolumePath(name: string, rec: CapsuleRecord): string {
    return rec.rootfsMode === 'overlay' ? join(this.o.layout.dir(name), 'layer') : this.o.layout.paths(name).rootfs;
  }

  /** The dir a snapshot archives: the overlay's upper dir, or the whole copied rootfs. */
  archivedPath(name: string, rec: CapsuleRecord): string {
    const p = this.o.layout.paths(name);
    return rec.rootfsMode === 'overlay' ? p.upper : p.rootfs;
  }

  /** Removes a capsule's dir with the btrfs subvolumes in it (its layer, its snapshots), which rm alone cannot always remove. */
  async removeDir(dir: string): Promise<void> {
    const layers = [join(dir, 'layer'), join(dir, 'bundle', 'rootfs')].flatMap((l) => [l, `${l}.restoring`, `${l}.old`]);
    await removeTree(this.o.runner, dir, [...layers, ...(await childDirs(join(dir, 'snapshots')))]);
  }

  /** The capsule's overlay: over the image's rootfs, or its shifted unpack in a user namespace; null in copy mode. */
  overlayFor(name: string, rec: CapsuleRecord): OverlaySpec | null {
    if (rec.rootfsMode !== 'overlay') return null;
    const p = this.o.layout.paths(name);
    const m = mappingOf(rec.userNamespace);
    const lower = m ? this.o.images.shiftedRootfsPath(rec.imageId, m) : this.o.images.rootfsPath(rec.imageId);
    return { lower, upper: p.upper, work: p.work, target: p.rootfs };
  }

  /** Mounts the overlay on bundle/rootfs unless it is (at create, or at a start after a reboot or a restore). */
  async mount(name: string, rec: CapsuleRecord): Promise<void> {
    const overlay = this.overlayFor(name, rec);
    if (!overlay || isMounted(overlay.target)) return;
    await this.o.runner.run({ argv: rt.overlayMountArgv(overlay.lower, overlay.upper, overlay.work, overlay.target), timeoutMs: MOUNT_TIMEOUT_MS, what: 'mounting the capsule\'s root filesystem' });
  }

  async unmount(name: string, rec: CapsuleRecord | undefined): Promise<void> {
    if (rec && rec.rootfsMode !== 'overlay') return;
    const rootfs = this.o.layout.paths(name).rootfs;
    if (isMounted(rootfs)) await this.o.runner.run({ argv: rt.umountArgv(rootfs), timeoutMs: MOUNT_TIMEOUT_MS, allowFailure: true });
  }
}
