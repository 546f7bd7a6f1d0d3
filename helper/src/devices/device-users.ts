// Who holds a device's nodes open: one pass over /proc/*/fd per inventory, matched
// against the device's nodes (/dev/dri from its drm/ folder, /dev/nvidiaN; VFIO.md
// 2.6). An unbind with users blocks or freezes the host, so the preflight refuses.
import type { DeviceUser } from '../../../src-shared/device.js';
import { listHostDir, listPids } from '../host-check/host-fs.js';
import type { HostRoots } from '../host-check/host-probe-env.js';
import { readAttr, readLinkTarget } from './sysfs-read.js';

/** Open /dev/* nodes by path -> the processes holding them. */
export type NodeUsers = Map<string, DeviceUser[]>;

/** Only the nodes `wanted` names are kept. */
export async function scanNodeUsers(roots: HostRoots, wanted: (node: string) => boolean): Promise<NodeUsers> {
  const users: NodeUsers = new Map();
  for (const pid of await listPids(roots)) {
    const fds = await listHostDir(roots, `/proc/${pid}/fd`);
    if (!fds) continue;
    // One process's links at once: a desktop has hundreds of processes with dozens of fds each.
    const targets = await Promise.all(fds.map((fd) => readLinkTarget(roots, `/proc/${pid}/fd/${fd}`)));
    let name: string | null = null;
    for (const target of new Set(targets)) {
      if (target === null || !wanted(target)) continue;
      name ??= (await readAttr(roots, `/proc/${pid}/comm`)) ?? `pid ${pid}`;
      const list = users.get(target) ?? [];
      list.push({ pid, name, node: target });
      users.set(target, list);
    }
  }
  return users;
}
