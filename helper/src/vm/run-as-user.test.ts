import { describe, expect, it } from 'vitest';
import type { VmDefinition } from '../../../src-shared/vm.js';
import type { Stats } from 'node:fs';
import { blockedPath, checkPassedFileReach, checkQemuUserReach } from './run-as-user.js';

const tree: Record<string, { uid: number; gid: number; mode: number }> = {
  '/': { uid: 0, gid: 0, mode: 0o755 },
  '/state': { uid: 0, gid: 0, mode: 0o700 },
  '/state/vms': { uid: 0, gid: 0, mode: 0o711 },
  '/open': { uid: 0, gid: 0, mode: 0o711 },
  '/open/vms': { uid: 0, gid: 0, mode: 0o711 },
  '/open/vms/a': { uid: 1000, gid: 1000, mode: 0o700 },
  '/open/vms/a/disk.qcow2': { uid: 1000, gid: 1000, mode: 0o600 },
  '/open/base.qcow2': { uid: 0, gid: 0, mode: 0o644 },
  '/open/secret.qcow2': { uid: 0, gid: 0, mode: 0o600 },
  '/open/group.qcow2': { uid: 0, gid: 1000, mode: 0o660 },
  '/open/images': { uid: 0, gid: 0, mode: 0o700 },
  '/open/run': { uid: 0, gid: 0, mode: 0o711 },
  '/open/vms/root-vm': { uid: 0, gid: 0, mode: 0o700 },
  '/open/vmlinuz': { uid: 0, gid: 0, mode: 0o644 },
  '/open/initrd': { uid: 0, gid: 0, mode: 0o600 },
  '/dev': { uid: 0, gid: 0, mode: 0o755 },
  '/dev/net': { uid: 0, gid: 0, mode: 0o755 },
  '/dev/net/tun': { uid: 0, gid: 0, mode: 0o600 },
};
const statFn = async (p: string) => {
  const st = tree[p];
  if (!st) throw new Error('ENOENT');
  return st;
};
const user = { uid: 1000, gid: 1000 };

describe('blockedPath', () => {
  it('finds the ancestor a user cannot search', async () => {
    await expect(blockedPath('/state/vms/a/serial.log', 'rw', user, true, statFn)).resolves.toBe('/state (no search right)');
  });
  it('lets a user reach what it owns or may read', async () => {
    await expect(blockedPath('/open/vms/a/disk.qcow2', 'rw', user, false, statFn)).resolves.toBeNull();
    await expect(blockedPath('/open/base.qcow2', 'r', user, false, statFn)).resolves.toBeNull();
    await expect(blockedPath('/open/group.qcow2', 'rw', user, false, statFn)).resolves.toBeNull();
  });
  it('names the right a file lacks', async () => {
    await expect(blockedPath('/open/secret.qcow2', 'r', user, false, statFn)).resolves.toBe('/open/secret.qcow2 (no read right)');
    await expect(blockedPath('/open/base.qcow2', 'rw', user, false, statFn)).resolves.toBe('/open/base.qcow2 (no read-write right)');
    await expect(blockedPath('/open/nothing', 'r', user, false, statFn)).resolves.toBe('/open/nothing (missing)');
  });
  it('checks only the ancestors of a path about to be chowned', async () => {
    await expect(blockedPath('/open/vms/b', 'rw', user, true, statFn)).resolves.toBeNull();
  });
});

const vm = (over: Partial<VmDefinition>): VmDefinition =>
  ({
    name: 'web',
    disks: [{ id: 'disk0', path: '/open/vms/root-vm/disk0.qcow2', format: 'qcow2', owned: true, readOnly: false }],
    iso: null,
    kernel: null,
    firmware: 'bios',
    nics: [],
    ...over,
  }) as VmDefinition;

describe('checkQemuUserReach', () => {
  const ctx = () => ({ runDir: '/open/run/web', vmDir: '/open/vms/root-vm', ovmfCode: null, stat: statFn });

  it("passes a VM whose own disk sits in root's 0700 folder: the helper makes the disk over, so only the folders above count", async () => {
    await expect(checkQemuUserReach(vm({}), user, ctx())).resolves.toBeUndefined();
  });

  it('refuses, naming the path, a file the user cannot read, and never settles for root', async () => {
    const def = vm({ kernel: { kernel: '/open/vmlinuz', initrd: '/open/initrd', cmdline: '' } });
    await expect(checkQemuUserReach(def, user, ctx())).rejects.toMatchObject({
      code: 'failed_precondition',
      message: expect.stringMatching(/^VM web runs as the calling user \(uid 1000\), who cannot reach its initrd: \/open\/initrd \(no read right\)\..*never runs QEMU as root/),
      details: { path: '/open/initrd', uid: 1000 },
    });
  });

  it('leaves the disks and the ISO, which QEMU gets as descriptors, to checkPassedFileReach', async () => {
    const def = vm({ disks: [{ id: 'disk0', path: '/open/secret.qcow2', format: 'qcow2', owned: false, readOnly: false }], iso: '/open/images/x.iso' });
    await expect(checkQemuUserReach(def, user, ctx())).resolves.toBeUndefined();
  });

  it('refuses a root-only tun device', async () => {
    await expect(checkQemuUserReach(vm({ nics: [{ network: { mode: 'nova', network: 'lab' }, mac: null }] }), user, ctx())).rejects.toMatchObject({ details: { path: '/dev/net/tun' } });
  });

  it('refuses when the folders above the VM folder are closed to the user', async () => {
    await expect(checkQemuUserReach(vm({}), user, { ...ctx(), vmDir: '/state/vms/web' })).rejects.toMatchObject({ message: expect.stringContaining('its folder: /state (no search right)') });
  });
});

describe('checkPassedFileReach', () => {
  const opened = (path: string) => ({ path, stats: tree[path] as unknown as Stats });

  it("refuses, naming the path, a passed file the user could not open by name: behind a closed folder, or not theirs to write", async () => {
    await expect(checkPassedFileReach(vm({}), user, 'a backing file of disk disk0', { path: '/open/images/base.qcow2', stats: tree['/open/base.qcow2'] as unknown as Stats }, 'r', statFn)).rejects.toMatchObject({
      code: 'failed_precondition',
      message: expect.stringContaining('a backing file of disk disk0: /open/images (no search right)'),
    });
    await expect(checkPassedFileReach(vm({}), user, 'disk disk0', opened('/open/base.qcow2'), 'rw', statFn)).rejects.toMatchObject({ details: { path: '/open/base.qcow2' } });
  });

  it('judges the file by what was opened, not by what the path names now', async () => {
    // The path now names a root-only file; the descriptor is of the user's own one.
    const swapped = { path: '/open/secret.qcow2', stats: tree['/open/vms/a/disk.qcow2'] as unknown as Stats };
    await expect(checkPassedFileReach(vm({}), user, 'disk disk0', swapped, 'rw', statFn)).resolves.toBeUndefined();
    await expect(checkPassedFileReach(vm({}), user, 'disk disk0', opened('/open/base.qcow2'), 'r', statFn)).resolves.toBeUndefined();
  });
});
