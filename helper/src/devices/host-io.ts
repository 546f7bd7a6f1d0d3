// The seam between the binder and the kernel's sysfs (VFIO.md 4.2): every read and
// write of /sys and /dev/vfio goes through HostIO, with paths as they are on a real host.
// Production maps them through the host roots; tests hand in the FakeKernel's IO, which
// reads a real temp tree and models what the kernel does on each write.
import { chown, lstat, open, readdir, readFile, readlink } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { type HostRoots, hostPath } from '../host-check/host-probe-env.js';

export interface HostIO {
  readText(path: string): Promise<string | null>;
  /** The link's target as stored, or null when `path` is no link. */
  readLink(path: string): Promise<string | null>;
  list(path: string): Promise<string[] | null>;
  exists(path: string): Promise<boolean>;
  /**
   * One open()+write()+close() of `data`, as the kernel's store() hooks expect: a
   * sysfs attribute sees each write() on its own. Throws the errno the kernel returned.
   */
  writeAttr(path: string, data: string): Promise<void>;
  chown(path: string, uid: number, gid: number): Promise<void>;
  /** The owner of a node, or null when it does not exist. */
  owner(path: string): Promise<{ uid: number; gid: number } | null>;
  sleep(ms: number): Promise<void>;
}

const orNull = async <T>(p: Promise<T>): Promise<T | null> => p.catch(() => null);

/**
 * The real host. Writes run in libuv's thread pool, so a write the kernel blocks (an
 * unbind waiting on a driver's remove()) occupies one pool thread, never the event loop.
 */
export function realHostIO(roots: HostRoots): HostIO {
  const at = (p: string) => hostPath(roots, p);
  return {
    readText: (p) => orNull(readFile(at(p), 'utf8')),
    readLink: (p) => orNull(readlink(at(p))),
    list: (p) => orNull(readdir(at(p))),
    exists: async (p) => (await orNull(lstat(at(p)))) !== null,
    async writeAttr(p, data) {
      const file = await open(at(p), 'w');
      try {
        const { bytesWritten } = await file.write(data);
        if (bytesWritten !== Buffer.byteLength(data)) throw Object.assign(new Error(`short write to ${p}`), { code: 'EIO', path: p });
      } finally {
        await file.close();
      }
    },
    chown: (p, uid, gid) => chown(at(p), uid, gid),
    owner: async (p) => {
      const s = await orNull(lstat(at(p)));
      return s === null ? null : { uid: s.uid, gid: s.gid };
    },
    sleep: (ms) => sleep(ms),
  };
}

/** "ENODEV" from an error a write threw, or null. */
export function errnoOf(err: unknown): string | null {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : null;
}
