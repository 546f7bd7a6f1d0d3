// Tells when an ISO install has finished: the guest restarts itself (QMP RESET with
// guest: true) while the installer CD is in, and the first disk now holds a partition
// table. Read through QEMU's own block layer (HMP qemu-io on the disk's device), since
// what the installer wrote may still sit in QEMU's caches rather than in the file.
import type { QmpClient, QmpEvent } from './qmp-client.js';
import { hasBootSignature } from './disk-boot-sector.js';

export interface InstallWatch {
  /** The drive holding the installer, and the disk it installs to, as the definition says now. */
  installing: () => { diskId: string } | null;
  onFinished: () => void;
}

export function watchInstallFinish(qmp: QmpClient, watch: InstallWatch): () => void {
  let checking = false;
  return qmp.onEvent((event: QmpEvent) => {
    if (event.event !== 'RESET' || event.data?.guest !== true || checking) return;
    const target = watch.installing();
    if (!target) return;
    checking = true;
    firstSectorBootable(qmp, target.diskId)
      .then((bootable) => bootable && watch.onFinished())
      .catch(() => undefined)
      .finally(() => (checking = false));
  });
}

export async function firstSectorBootable(qmp: QmpClient, diskId: string): Promise<boolean> {
  const dump = await qmp.execute<string>('human-monitor-command', { 'command-line': `qemu-io -d ${diskId}-dev "read -v 0 512"` });
  return hasBootSignature(dump);
}
