// Shared folders on the 9p fallback (a helper whose virtiofsd is missing; virtiofs is in
// vm-virtiofs-share.test.ts) with real QEMU under TCG: a file written on the host is read
// in the guest through the share it mounts by tag (9p, the Debian kernel's own modules
// added to the test guest), a read-only share refuses the guest's writes while a
// read-write one takes them, and a share of a folder that does not exist is refused, naming it.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTestGuest, GUEST_PROMPT, type TestGuest } from './fixtures/guest-builder.js';
import { ensureInitrdWithModules } from './fixtures/disk-guest.js';
import { errorOf } from './fixtures/error-of.js';
import { mountInGuest } from './fixtures/guest-share.js';
import { BootedHelper } from './fixtures/booted-helper.js';

const RUN = randomBytes(3).toString('hex');
const VM = `nv11s-share-${RUN}`;
/** In load order: insmod resolves no dependencies. */
const NINEP_MODULES = ['fs/netfs/netfs.ko', 'fs/fscache/fscache.ko', 'net/9p/9pnet.ko', 'net/9p/9pnet_virtio.ko', 'fs/9p/9p.ko'];

let guest: TestGuest;
let initrd = '';
let nova: BootedHelper;

beforeAll(async () => {
  guest = await ensureTestGuest();
  initrd = await ensureInitrdWithModules(guest, 'share-v1', NINEP_MODULES);
  nova = await BootedHelper.create('nv11s', [dirname(guest.vmlinux), dirname(initrd)], ['--virtiofsd', '/nonexistent/virtiofsd']);
  await nova.start();
}, 600_000);

afterAll(async () => {
  await nova?.cleanup([VM]);
});

describe('shared folders', () => {
  it('carries a host file into the guest, refuses writes to a read-only share, and refuses a folder that does not exist', async () => {
    const c = nova.client!;
    const rw = join(nova.dir, 'project');
    const ro = join(nova.dir, 'reference');
    await mkdir(rw);
    await mkdir(ro);
    const words = `written on the host ${RUN}`;
    await writeFile(join(rw, 'hello.txt'), `${words}\n`);
    await writeFile(join(ro, 'keep.txt'), 'unchanged\n');
    await c.call('vm.create', { name: VM, memory: '192Mi', kernel: guest.vmlinux, initrd, cmdline: guest.cmdline, accel: 'tcg', display: 'none' });

    const missing = await errorOf(c.call('vm.update', { name: VM, shares: [`${join(nova.dir, 'nowhere')}:/mnt/x`] }));
    expect(missing.code).toBe('not_found');
    expect(missing.message).toContain(`the shared folder ${join(nova.dir, 'nowhere')} does not exist`);

    const updated = await c.call('vm.update', { name: VM, shares: [`${rw}:/mnt/p`, `${ro}:/mnt/r:ro`] });
    expect(updated.definition.shares).toEqual([
      { tag: 'share0', source: rw, target: '/mnt/p', readOnly: false, via: '9p' },
      { tag: 'share1', source: ro, target: '/mnt/r', readOnly: true, via: '9p' },
    ]);

    const { serial } = await nova.startToShell(VM);
    try {
      for (const share of updated.definition.shares ?? []) expect(await mountInGuest(serial, share)).toContain('m=0');
      expect(await serial.run('cat /mnt/p/hello.txt', GUEST_PROMPT)).toContain(words);
      expect(await serial.run('echo from-guest >/mnt/p/back.txt; echo w=$?', GUEST_PROMPT)).toContain('w=0');
      expect(await serial.run('cat /mnt/r/keep.txt', GUEST_PROMPT)).toContain('unchanged');
      const refused = await serial.run('echo nope > /mnt/r/new.txt; echo w=$?', GUEST_PROMPT);
      expect(refused).toMatch(/w=[1-9]/);
      expect(refused).toMatch(/Read-only file system/);
    } finally {
      serial.close();
    }
    expect(await readFile(join(rw, 'back.txt'), 'utf8')).toBe('from-guest\n');
    expect(await stat(join(ro, 'new.txt')).then(() => true, () => false)).toBe(false);
    await c.call('vm.stop', { name: VM, force: true });
  }, 300_000);
});
