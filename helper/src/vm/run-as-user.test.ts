import { describe, expect, it } from 'vitest';
import { blockedPath } from './run-as-user.js';

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
