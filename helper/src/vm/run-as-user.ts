// Whether QEMU can run as the calling user: every file it opens by name (its VM folder,
// disks and their backing files, ISO, kernel, initrd) must be reachable with that user's
// rights. When not, the helper runs QEMU as root and says why, instead of failing the start.
import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { VmDefinition } from '../../../src-shared/vm.js';

export interface Credentials {
  uid: number;
  gid: number;
}

type StatLike = { uid: number; gid: number; mode: number };

/** The rwx bits (0-7) that apply to this user, as the kernel picks them (owner, group, other). */
function bitsFor(st: StatLike, who: Credentials): number {
  if (st.uid === who.uid) return (st.mode >> 6) & 7;
  if (st.gid === who.gid) return (st.mode >> 3) & 7;
  return st.mode & 7;
}

/**
 * Null when `who` can reach `path` (search on every ancestor) and has `need` on it;
 * otherwise the first path in the way and the right it lacks. `chowned` paths are
 * about to be given to the user, so only their ancestors count.
 */
export async function blockedPath(path: string, need: 'r' | 'rw', who: Credentials, chowned = false, statFn: (p: string) => Promise<StatLike> = stat): Promise<string | null> {
  const ancestors: string[] = [];
  for (let d = dirname(path); ; d = dirname(d)) {
    ancestors.unshift(d);
    if (d === dirname(d)) break;
  }
  for (const dir of ancestors) {
    const st = await statFn(dir).catch(() => null);
    if (!st || (bitsFor(st, who) & 1) === 0) return `${dir} (no search right)`;
  }
  if (chowned) return null;
  const st = await statFn(path).catch(() => null);
  if (!st) return `${path} (missing)`;
  const want = need === 'rw' ? 6 : 4;
  return (bitsFor(st, who) & want) === want ? null : `${path} (no ${need === 'rw' ? 'read-write' : 'read'} right)`;
}

const TUN_DEVICE = '/dev/net/tun';

export interface QemuUserContext {
  /** The VM's runtime dir and folder, which are handed to the user. */
  runDir: string;
  vmDir: string;
  backingOf: (path: string) => Promise<string | null>;
  ovmfCode: string | null;
  /** Told why QEMU runs as root when it does. */
  onRoot: (why: string) => void;
}

/**
 * The user QEMU runs as: `who` when every file QEMU opens by name is reachable with
 * their rights, root (null) otherwise, with the path in the way told to `onRoot`.
 */
export async function chooseQemuUser(def: VmDefinition, who: Credentials | null, ctx: QemuUserContext): Promise<Credentials | null> {
  if (!who || who.uid === 0) return null;
  const checks: Array<[string, 'r' | 'rw', boolean]> = [
    [ctx.runDir, 'rw', true],
    [ctx.vmDir, 'rw', true],
  ];
  for (const d of def.disks) {
    checks.push([d.path, d.readOnly ? 'r' : 'rw', d.owned]);
    const backing = await ctx.backingOf(d.path);
    if (backing) checks.push([backing, 'r', false]);
  }
  for (const p of [def.iso, def.kernel?.kernel, def.kernel?.initrd]) if (p) checks.push([p, 'r', false]);
  if (def.firmware === 'uefi' && ctx.ovmfCode) checks.push([ctx.ovmfCode, 'r', false]);
  // The tap is made for this user, but QEMU still opens it through the tun device, which
  // udev leaves open to all on a desktop and some hosts keep root-only.
  if (def.network.mode === 'nova') checks.push([TUN_DEVICE, 'rw', false]);
  for (const [path, need, chowned] of checks) {
    const blocked = await blockedPath(path, need, who, chowned);
    if (blocked) {
      ctx.onRoot(blocked);
      return null;
    }
  }
  return who;
}
