// QEMU runs as the user who starts the VM (root only for root): every file it opens by
// name must be reachable with that user's rights, which QEMU gets exactly as checked here
// (uid and primary gid, no supplementary groups: the spawn drops them). When one is not,
// the start is refused with the path named; the helper never runs QEMU as root instead.
import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { NovaError } from '../../../src-shared/errors.js';
import type { VmDefinition } from '../../../src-shared/vm.js';

export interface Credentials {
  uid: number;
  gid: number;
}

type StatLike = { uid: number; gid: number; mode: number };
type StatFn = (path: string) => Promise<StatLike>;

/** The rwx bits (0-7) that apply to this user, as the kernel picks them (owner, group, other). */
function bitsFor(st: StatLike, who: Credentials): number {
  if (st.uid === who.uid) return (st.mode >> 6) & 7;
  if (st.gid === who.gid) return (st.mode >> 3) & 7;
  return st.mode & 7;
}

/**
 * Null when `who` can reach `path` (search on every ancestor) and has `need` on it;
 * otherwise the first path in the way and the right it lacks. `handedOver` paths are
 * given to the user by the helper, so only the folders above them count.
 */
export async function blockedPath(path: string, need: 'r' | 'rw', who: Credentials, handedOver = false, statFn: StatFn = stat): Promise<string | null> {
  const ancestors: string[] = [];
  for (let d = dirname(path); ; d = dirname(d)) {
    ancestors.unshift(d);
    if (d === dirname(d)) break;
  }
  for (const dir of ancestors) {
    const st = await statFn(dir).catch(() => null);
    if (!st || (bitsFor(st, who) & 1) === 0) return `${dir} (no search right)`;
  }
  if (handedOver) return null;
  const st = await statFn(path).catch(() => null);
  if (!st) return `${path} (missing)`;
  const want = need === 'rw' ? 6 : 4;
  return (bitsFor(st, who) & want) === want ? null : `${path} (no ${need === 'rw' ? 'read-write' : 'read'} right)`;
}

const TUN_DEVICE = '/dev/net/tun';

export interface QemuUserContext {
  /** The VM's folder and runtime dir: the helper keeps them and gives QEMU's user what is inside, so only the folders above count. */
  runDir: string;
  vmDir: string;
  /** Every file below a disk in its chain, nearest first. */
  backingOf: (path: string) => Promise<string[]>;
  ovmfCode: string | null;
  /** Follows links, as QEMU's own lookups will (tests pass a fake tree). */
  stat?: StatFn;
}

/**
 * Refuses, naming the path in the way, when QEMU run as `who` could not open every
 * file it opens by name. The VM's own files (its disks, seed, UEFI variables, serial
 * log) are handed to `who` by the helper; everything else (an image used as it is, a
 * backing file, an ISO, a kernel, the tun device) must already be theirs to reach.
 * QEMU is never run as root in their place.
 */
export async function checkQemuUserReach(def: VmDefinition, who: Credentials, ctx: QemuUserContext): Promise<void> {
  const checks: Array<[string, 'r' | 'rw', boolean, string]> = [
    [ctx.runDir, 'rw', true, 'its runtime folder'],
    [ctx.vmDir, 'rw', true, 'its folder'],
  ];
  for (const d of def.disks) {
    if (!d.owned) checks.push([d.path, d.readOnly ? 'r' : 'rw', false, `disk ${d.id}`]);
    for (const backing of await ctx.backingOf(d.path)) checks.push([backing, 'r', false, `a backing file of disk ${d.id}`]);
  }
  if (def.iso) checks.push([def.iso, 'r', false, 'its ISO']);
  if (def.kernel) checks.push([def.kernel.kernel, 'r', false, 'its kernel']);
  if (def.kernel?.initrd) checks.push([def.kernel.initrd, 'r', false, 'its initrd']);
  if (def.firmware === 'uefi' && ctx.ovmfCode) checks.push([ctx.ovmfCode, 'r', false, 'the UEFI firmware']);
  // The tap is made for this user, but QEMU still opens it through the tun device, which
  // udev leaves open to all on a desktop and some hosts keep root-only.
  if (def.network.mode === 'nova') checks.push([TUN_DEVICE, 'rw', false, 'the tun device (Nova networks)']);
  for (const [path, need, handedOver, what] of checks) {
    const blocked = await blockedPath(path, need, who, handedOver, ctx.stat);
    if (blocked) {
      throw new NovaError(
        'failed_precondition',
        `VM ${def.name} runs as the calling user (uid ${who.uid}), who cannot reach ${what}: ${blocked}. ` +
          `Give that user access to it, or start the VM as root; Nova never runs QEMU as root for another user`,
        { path, blocked, uid: who.uid },
      );
    }
  }
}
