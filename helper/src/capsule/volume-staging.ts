// A run's volumes, bound where only the helper can change the path: each volume is found by
// descriptor (volume-paths.ts), and that descriptor, given to `mount` as its stdin, is bound
// onto a staging point in the state dir (STATE/capsules/.volumes/NAME/N); runc's config.json
// names the staging points. runc resolves them by path, at create, in a user namespace too,
// and nobody but root can swap anything on that path, so what the capsule gets is what the
// descriptor named when it was found. The binds are private (nothing propagates to or from
// them) and live only while runc sets the capsule up: once the container exists, its own
// mount namespace holds the volumes and the host's binds are taken away.
// Why not `/proc/self/fd/N` in config.json: runc opens mount sources in its own process,
// which conmon starts with fds 0-2 only (as every child of the helper), so no descriptor of
// the helper's reaches it; a bind point works alike for runc and crun, with or without a
// user namespace, and needs nothing of the runtime.
import { mkdir, readdir, readFile, rmdir, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Volume } from '../../../src-shared/capsule.js';
import type { ProcessRunner } from '../process/process-runner.js';
import type { CapsuleLayout } from './capsule-layout.js';
import { locateVolume } from './volume-paths.js';

const MOUNT_TIMEOUT_MS = 10_000;

/**
 * `mount` binding its stdin's folder or file onto `point`: the path taken as given (no
 * canonicalization), with the mounts below it as runc's `rbind` always gave a volume, and
 * private, so nothing propagates to or from the host's copy.
 */
export function bindStdinArgv(point: string): string[] {
  return ['mount', '--no-canonicalize', '--rbind', '--make-rprivate', '/proc/self/fd/0', point];
}

/** Lazy, so an unmount never fails on a busy point (and takes the mounts below along): the binds are only the host's copies. */
export function unbindArgv(points: readonly string[]): string[] {
  return ['umount', '--no-canonicalize', '--lazy', ...points];
}

/** The mount points in /proc/self/mountinfo that lie under `dir` (field 5, with its octal escapes). */
export function mountsUnder(mountinfo: string, dir: string): string[] {
  return mountinfo
    .split('\n')
    .map((l) => (l.split(' ')[4] ?? '').replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((m) => m.startsWith(`${dir}/`));
}

export interface StagedVolumes {
  /** Takes the host's binds away; the container keeps its own. Never throws. */
  release: () => Promise<void>;
}

export interface VolumeStagingOptions {
  layout: CapsuleLayout;
  runner: Pick<ProcessRunner, 'run'>;
  volumeRoots: readonly string[];
  readMountinfo?: () => Promise<string>;
}

export class VolumeStaging {
  constructor(private readonly o: VolumeStagingOptions) {}

  /** Binds each volume on its staging point; refused (nothing left bound) when one is not a plain folder or file inside its root. */
  async stage(name: string, volumes: readonly Volume[]): Promise<StagedVolumes> {
    if (volumes.length === 0) return { release: async () => undefined };
    const dir = this.o.layout.volumesDir(name);
    await this.clear(dir);
    // 0711: a user-namespaced runc passes through, nobody lists.
    await mkdir(join(this.o.layout.root, '.volumes'), { mode: 0o711 }).catch(ignoreExisting);
    await mkdir(dir, { mode: 0o711 });
    const points: string[] = [];
    const release = () => this.release(dir, points);
    try {
      for (const [i, volume] of volumes.entries()) {
        const { handle, stats } = await locateVolume(volume, this.o.volumeRoots);
        try {
          const point = this.o.layout.volumePoint(name, i);
          if (stats.isDirectory()) await mkdir(point, { mode: 0o700 });
          else await writeFile(point, '', { mode: 0o600, flag: 'wx' });
          points.push(point);
          await this.o.runner.run({ argv: bindStdinArgv(point), stdinFd: handle.fd, timeoutMs: MOUNT_TIMEOUT_MS, what: `binding volume ${volume.source}` });
        } finally {
          await handle.close();
        }
      }
    } catch (err) {
      await release();
      throw err;
    }
    return { release };
  }

  /** Unbinds what a helper killed mid-start left under every capsule's staging dir (recovery). */
  async clearAll(): Promise<void> {
    const root = join(this.o.layout.root, '.volumes');
    const mounted = mountsUnder(await this.mountinfo(), root);
    if (mounted.length > 0) await this.o.runner.run({ argv: unbindArgv(mounted), timeoutMs: MOUNT_TIMEOUT_MS, allowFailure: true });
    for (const entry of await readdir(root).catch(() => [])) await this.clear(join(root, entry));
  }

  private async release(dir: string, points: readonly string[]): Promise<void> {
    try {
      if (points.length > 0) await this.o.runner.run({ argv: unbindArgv(points), timeoutMs: MOUNT_TIMEOUT_MS, allowFailure: true });
      await this.clear(dir);
    } catch {
      // Left for the next start of this capsule, or the helper's next recovery.
    }
  }

  /**
   * Empties and removes a staging dir: anything still bound is unbound first, and nothing is
   * removed recursively, so a bind that could not be undone stays (EBUSY) rather than its
   * volume's content being deleted.
   */
  private async clear(dir: string): Promise<void> {
    const mounted = mountsUnder(await this.mountinfo(), dir);
    if (mounted.length > 0) await this.o.runner.run({ argv: unbindArgv(mounted), timeoutMs: MOUNT_TIMEOUT_MS, allowFailure: true });
    for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const p = join(dir, entry.name);
      if (entry.isDirectory()) await rmdir(p);
      else await unlink(p);
    }
    await rmdir(dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }

  private mountinfo(): Promise<string> {
    return this.o.readMountinfo?.() ?? readFile('/proc/self/mountinfo', 'utf8');
  }
}

function ignoreExisting(err: NodeJS.ErrnoException): void {
  if (err.code !== 'EEXIST') throw err;
}
