// A busybox root filesystem as a tar archive, from the host's busybox-static: the
// capsule image of the demo and of the capsule tests. ociImage.import takes it as is.
import { execFile } from 'node:child_process';
import { chmod, copyFile, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Builds `<dir>/busybox-rootfs.tar` (or `tarName`) and returns its path; `extra` files are written into the tree. */
export async function makeBusyboxRootfs(dir: string, tarName = 'busybox-rootfs.tar', extra: Record<string, string> = {}): Promise<string> {
  const root = join(dir, `${tarName}.tree`);
  await rm(root, { recursive: true, force: true });
  for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'etc', 'tmp', 'proc', 'sys', 'dev', 'root', 'var', 'work']) {
    await mkdir(join(root, d), { recursive: true });
  }
  await chmod(join(root, 'tmp'), 0o1777);
  await copyFile('/bin/busybox', join(root, 'bin/busybox'));
  await chmod(join(root, 'bin/busybox'), 0o755);
  const { stdout } = await run('/bin/busybox', ['--list'], { encoding: 'utf8' });
  const applets = stdout.split('\n').filter((a) => /^[a-z0-9_.[-]+$/.test(a) && a !== 'busybox');
  for (const a of applets) await symlink('busybox', join(root, 'bin', a)).catch(() => undefined);
  await writeFile(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\napp:x:1000:1000::/work:/bin/sh\n');
  await writeFile(join(root, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\napp:x:1000:\n');
  await writeFile(join(root, 'etc/motd'), 'from the image\n');
  for (const [path, text] of Object.entries(extra)) {
    await mkdir(join(root, path, '..'), { recursive: true });
    await writeFile(join(root, path), text);
  }
  const tar = join(dir, tarName);
  await run('tar', ['--create', '--file', tar, '--numeric-owner', '--owner=0', '--group=0', '--directory', root, '.']);
  await rm(root, { recursive: true, force: true });
  return tar;
}
