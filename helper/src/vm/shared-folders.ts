// Shared folders on QEMU's 9p server (virtio-9p): each share a `-fsdev local` the guest
// mounts by its tag, read-only ones enforced by QEMU itself (`readonly=on`). QEMU opens
// the folder by name, as the user it runs as, so that user's own rights bound what the
// guest reaches; the helper checks at change time that the folder lies in an allowed
// root, exists, is a folder and that the caller may read it. `security_model=none`:
// files are created as QEMU's user, with no ownership games a non-root QEMU cannot play.
import { NovaError } from '../../../src-shared/errors.js';
import { assignShareTags, type VmShare, type VmShareSpec } from '../../../src-shared/vm-shares.js';
import type { PathGuard } from './path-guard.js';
import type { Credentials } from './run-as-user.js';

/** The shares as the definition keeps them, each folder checked for `caller` (null: root). */
export async function checkedShares(vm: string, current: readonly VmShare[], wanted: readonly VmShareSpec[], guard: PathGuard, caller: Credentials | null): Promise<VmShare[]> {
  const targets = new Set<string>();
  for (const w of wanted) {
    if (targets.has(w.target)) throw new NovaError('invalid_argument', `VM ${vm}: two shares are meant for ${w.target} in the guest; give each its own guest path`);
    targets.add(w.target);
    const opened = await guard.open('the shared folder', w.source, { caller, kind: 'directory' }).catch((err: unknown) => {
      if (err instanceof NovaError && err.code === 'not_found') throw new NovaError('not_found', `VM ${vm}: the shared folder ${w.source} does not exist; create it, or give a folder that does`);
      throw err;
    });
    await opened.handle.close();
  }
  return assignShareTags(current, wanted);
}

/** QEMU's arguments for the shares: virtio-mmio on microvm, PCI on q35. */
export function shareArgv(shares: readonly VmShare[], micro: boolean, escape: (s: string) => string): string[] {
  return shares.flatMap((s) => [
    '-fsdev',
    `local,id=fs-${s.tag},path=${escape(s.source)},security_model=none${s.readOnly ? ',readonly=on' : ''}`,
    '-device',
    `${micro ? 'virtio-9p-device' : 'virtio-9p-pci'},fsdev=fs-${s.tag},mount_tag=${s.tag}`,
  ]);
}
