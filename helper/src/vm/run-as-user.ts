// QEMU runs as the user who starts the VM (root only for root): every file it opens by
// name must be reachable with that user's rights, which QEMU gets exactly as checked here
// (uid and primary gid, no supplementary groups: the spawn drops them). Disks and the ISO
// come as descriptors the helper opened (vm-disk-files.ts): the ones the user named are
// held to the same rights, Nova's own (library images, templates' disks) are offered to
// every caller allowed to manage VMs. When a file is out of reach the start is refused
// with the path named; the helper never runs QEMU as root instead.
import type { Stats } from 'node:fs';
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
  ovmfCode: string | null;
  /** Follows links, as QEMU's own lookups will (tests pass a fake tree). */
  stat?: StatFn;
}

/**
 * Refuses, naming the path in the way, when QEMU run as `who` could not open every
 * file it opens by name. The VM's own files (its seed, UEFI variables, serial log) are
 * handed to `who` by the helper; its disks and ISO come as descriptors (checked by
 * checkPassedFileReach); everything else must already be theirs to reach: the firmware,
 * the tun device, and the kernel and initrd, which QEMU reopens from the descriptors the
 * helper passed (/proc/self/fd/N) with its own rights. QEMU is never run as root in their place.
 */
export async function checkQemuUserReach(def: VmDefinition, who: Credentials, ctx: QemuUserContext): Promise<void> {
  const checks: Array<[string, 'r' | 'rw', boolean, string]> = [
    [ctx.runDir, 'rw', true, 'its runtime folder'],
    [ctx.vmDir, 'rw', true, 'its folder'],
  ];
  if (def.kernel) checks.push([def.kernel.kernel, 'r', false, 'its kernel']);
  if (def.kernel?.initrd) checks.push([def.kernel.initrd, 'r', false, 'its initrd']);
  if (def.firmware === 'uefi' && ctx.ovmfCode) checks.push([ctx.ovmfCode, 'r', false, 'the UEFI firmware']);
  // The tap is made for this user, but QEMU still opens it through the tun device, which
  // udev leaves open to all on a desktop and some hosts keep root-only.
  if (def.nics.some((n) => n.network.mode === 'nova')) checks.push([TUN_DEVICE, 'rw', false, 'the tun device (Nova networks)']);
  for (const [path, need, handedOver, what] of checks) {
    const blocked = await blockedPath(path, need, who, handedOver, ctx.stat);
    if (blocked) throw unreachable(def, who, what, path, blocked);
  }
}

/**
 * A file the user named that QEMU gets as the helper's descriptor (an image used in
 * place, a backing file in their folders, an ISO): refused, as if QEMU opened it by
 * name, unless `who` may reach it. Its own rights are those of what was opened, so a
 * swap of the path cannot lend it another file's.
 */
export async function checkPassedFileReach(def: VmDefinition, who: Credentials, what: string, file: { path: string; stats: Stats }, need: 'r' | 'rw', statFn: StatFn = stat): Promise<void> {
  const statOf = (p: string) => (p === file.path ? Promise.resolve(file.stats) : statFn(p));
  const blocked = await blockedPath(file.path, need, who, false, statOf);
  if (blocked) throw unreachable(def, who, what, file.path, blocked);
}

function unreachable(def: VmDefinition, who: Credentials, what: string, path: string, blocked: string): NovaError {
  return new NovaError(
    'failed_precondition',
    `VM ${def.name} runs as the calling user (uid ${who.uid}), who cannot reach ${what}: ${blocked}. ` +
      `Give that user access to it, or start the VM as root; Nova never runs QEMU as root for another user`,
    { path, blocked, uid: who.uid },
  );
}
