// Hands /dev/vfio/N to the user a QEMU runs as, and takes it back at stop (VFIO.md 3,
// "Unprivileged QEMU"): /dev/vfio/vfio stays 0666 as the kernel made it. All or
// nothing: a failed chown gives back the groups already handed over.
import { NovaError } from '../../../src-shared/errors.js';
import { errnoOf, type HostIO } from './host-io.js';

export async function handOverGroups(io: HostIO, groups: readonly number[], uid: number, gid: number): Promise<void> {
  const done: number[] = [];
  try {
    for (const group of groups) {
      await io.chown(`/dev/vfio/${group}`, uid, gid);
      done.push(group);
    }
  } catch (err) {
    await takeBackGroups(io, done).catch(() => undefined);
    throw new NovaError('internal', `Giving /dev/vfio/${groups[done.length]} to uid ${uid} failed: ${errnoOf(err) ?? (err as Error).message}`);
  }
}

/** Back to root; a node already gone (the last function left vfio-pci) needs nothing. */
export async function takeBackGroups(io: HostIO, groups: readonly number[]): Promise<void> {
  for (const group of groups) {
    const node = `/dev/vfio/${group}`;
    const owner = await io.owner(node);
    if (owner !== null && (owner.uid !== 0 || owner.gid !== 0)) await io.chown(node, 0, 0);
  }
}
