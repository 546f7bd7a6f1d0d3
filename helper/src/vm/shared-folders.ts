// Shared folders, carried by virtiofs (a virtiofsd per share, virtiofsd.ts, and
// vhost-user-fs-pci; the guest's RAM shared memory so the daemon can reach it) or, on
// microvm and hosts without virtiofsd, by QEMU's own 9p server (virtio-9p): each share a
// `-fsdev local` the guest mounts by its tag, read-only ones enforced by QEMU itself
// (`readonly=on`). QEMU opens a 9p folder by name, as the user it runs as, so that user's
// own rights bound what the guest reaches; virtiofsd serves the folder the helper opened
// and checked, mounted for it alone. The helper checks at change time, and again at
// each start, that the folder lies in an allowed root, exists, is a folder and that the
// caller may read it. `security_model=none`: files are created as QEMU's user, with no
// ownership games a non-root QEMU cannot play.
import { NovaError } from '../../../src-shared/errors.js';
import type { VmDefinition } from '../../../src-shared/vm.js';
import { assignShareTags, shareTransport, type ShareTransport, type VmShare, type VmShareSpec } from '../../../src-shared/vm-shares.js';
import type { GuardedFile, PathGuard } from './path-guard.js';
import type { Credentials } from './run-as-user.js';

/** virtiofs where the VM can have it (q35) and the host has virtiofsd; 9p otherwise. */
export function transportFor(machine: VmDefinition['machine'], virtiofsd: boolean): ShareTransport {
  return machine !== 'microvm' && virtiofsd ? 'virtiofs' : '9p';
}

/** Opens a share's folder for `caller` (null: root), a missing one named plainly. */
export async function openShareFolder(vm: string, source: string, guard: PathGuard, caller: Credentials | null): Promise<GuardedFile> {
  return guard.open('the shared folder', source, { caller, kind: 'directory' }).catch((err: unknown) => {
    if (err instanceof NovaError && err.code === 'not_found') throw new NovaError('not_found', `VM ${vm}: the shared folder ${source} does not exist; create it, or give a folder that does`, { path: source });
    throw err;
  });
}

/** The shares as the definition keeps them, each folder checked for `caller` (null: root); new ones carried `via`. */
export async function checkedShares(vm: string, current: readonly VmShare[], wanted: readonly VmShareSpec[], guard: PathGuard, caller: Credentials | null, via: ShareTransport = '9p'): Promise<VmShare[]> {
  const targets = new Set<string>();
  for (const w of wanted) {
    if (targets.has(w.target)) throw new NovaError('invalid_argument', `VM ${vm}: two shares are meant for ${w.target} in the guest; give each its own guest path`);
    targets.add(w.target);
    const opened = await openShareFolder(vm, w.source, guard, caller);
    await opened.handle.close();
  }
  return assignShareTags(current, wanted, via);
}

/** Whether QEMU needs its RAM shared with a virtiofsd. */
export function hasVirtiofs(def: VmDefinition): boolean {
  return (def.shares ?? []).some((s) => shareTransport(s) === 'virtiofs');
}

/**
 * QEMU's arguments for the shares: 9p on virtio-mmio (microvm) or PCI, virtiofs on PCI
 * only, connecting to the daemon's socket (`sockets` by tag).
 */
export function shareArgv(shares: readonly VmShare[], micro: boolean, escape: (s: string) => string, sockets: Readonly<Record<string, string>> = {}): string[] {
  return shares.flatMap((s) => {
    if (shareTransport(s) === 'virtiofs') {
      const socket = sockets[s.tag];
      if (micro) throw new NovaError('failed_precondition', `share ${s.tag} is carried by virtiofs, which microvm cannot take; share the folder again (it then uses 9p)`);
      if (!socket) throw new Error(`share ${s.tag} is carried by virtiofs but no virtiofsd socket was given`);
      return ['-chardev', `socket,id=vfs-${s.tag},path=${escape(socket)}`, '-device', `vhost-user-fs-pci,chardev=vfs-${s.tag},tag=${s.tag}`];
    }
    return [
      '-fsdev',
      `local,id=fs-${s.tag},path=${escape(s.source)},security_model=none${s.readOnly ? ',readonly=on' : ''}`,
      '-device',
      `${micro ? 'virtio-9p-device' : 'virtio-9p-pci'},fsdev=fs-${s.tag},mount_tag=${s.tag}`,
    ];
  });
}
