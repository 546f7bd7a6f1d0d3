// A capsule's user looked up in its image, against a temp rootfs whose account files are
// what a hostile image could ship: links out of the image, a FIFO, a huge file.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_ACCOUNT_FILE_BYTES, resolveUser } from './run-files.js';

let dir = '';
let rootfs = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nv12c-user-'));
  rootfs = join(dir, 'rootfs');
  await mkdir(join(rootfs, 'etc'), { recursive: true });
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

describe('resolveUser', () => {
  it("takes numbers as given and names from the image's own /etc/passwd and /etc/group", async () => {
    await writeFile(join(rootfs, 'etc/passwd'), 'root:x:0:0::/root:/bin/sh\napp:x:1000:1001::/:/bin/sh\n');
    await writeFile(join(rootfs, 'etc/group'), 'root:x:0:\nstaff:x:50:\n');
    expect(await resolveUser('', rootfs)).toEqual({ uid: 0, gid: 0 });
    expect(await resolveUser('7:8', rootfs)).toEqual({ uid: 7, gid: 8 });
    expect(await resolveUser('app', rootfs)).toEqual({ uid: 1000, gid: 1001 });
    expect(await resolveUser('app:staff', rootfs)).toEqual({ uid: 1000, gid: 50 });
    await expect(resolveUser('ghost', rootfs)).rejects.toMatchObject({ code: 'invalid_argument', message: expect.stringMatching(/not in the image's \/etc\/passwd/) });
  });

  it("never reads the host's account files through a link, and never says where the link points", async () => {
    await symlink('/etc/passwd', join(rootfs, 'etc/passwd'));
    await symlink('/etc/group', join(rootfs, 'etc/group'));
    const refused = resolveUser('root', rootfs);
    await expect(refused).rejects.toMatchObject({ code: 'invalid_argument', message: expect.stringMatching(/^the image's \/etc\/passwd .* symbolic link/) });
    await expect(resolveUser('0:root', rootfs)).rejects.toMatchObject({ message: expect.stringMatching(/^the image's \/etc\/group .* symbolic link/) });
    // A link on the way (etc itself) is refused the same way.
    await rm(join(rootfs, 'etc'), { recursive: true });
    await symlink('/etc', join(rootfs, 'etc'));
    await expect(resolveUser('root', rootfs)).rejects.toMatchObject({ message: expect.stringMatching(/symbolic link/) });
  });

  it('refuses a FIFO without waiting on it, and a file over the bound', async () => {
    execFileSync('mkfifo', [join(rootfs, 'etc/passwd')]);
    const t0 = Date.now();
    await expect(resolveUser('app', rootfs)).rejects.toMatchObject({ message: expect.stringMatching(/is a FIFO/) });
    expect(Date.now() - t0).toBeLessThan(1000);
    await writeFile(join(rootfs, 'etc/group'), 'x'.repeat(MAX_ACCOUNT_FILE_BYTES + 1));
    await expect(resolveUser('0:staff', rootfs)).rejects.toMatchObject({ message: expect.stringMatching(/is larger than/) });
  });
});
