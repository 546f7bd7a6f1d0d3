// The few places in an image's root filesystem where the runtime mounts a kernel
// filesystem (/proc, /sys, /dev) must be plain directories: a link there would have the
// mount land wherever the image points it (runc's CVE-2019-19921 family). Checked when an
// image is unpacked and again when a capsule is made from one, so an image is refused by
// Nova, naming the path, before any runtime sees it.
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { NovaError } from '../../../src-shared/errors.js';

export const KERNEL_MOUNT_POINTS: readonly string[] = ['proc', 'sys', 'dev'];

function kindOf(stats: { isSymbolicLink(): boolean; isFile(): boolean }): string {
  if (stats.isSymbolicLink()) return 'a symbolic link';
  if (stats.isFile()) return 'a file';
  return 'not a directory';
}

/** Refuses a rootfs whose /proc, /sys or /dev exists as anything but a directory (absent is fine: runc makes it). */
export async function checkRootfsShape(rootfs: string, imageName: string): Promise<void> {
  for (const entry of KERNEL_MOUNT_POINTS) {
    const stats = await lstat(join(rootfs, entry)).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null;
      throw err;
    });
    if (stats && !stats.isDirectory()) {
      throw new NovaError(
        'invalid_argument',
        `Image "${imageName}" cannot run as a capsule: its /${entry} is ${kindOf(stats)}, where the kernel's ${entry} filesystem must be mounted on a directory; rebuild the image with /${entry} as an empty directory`,
        { image: imageName, path: `/${entry}` },
      );
    }
  }
}
