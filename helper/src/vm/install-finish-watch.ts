// Tells when an ISO install has finished: the guest restarts itself (QMP RESET with
// guest: true) while the installer CD is in, and the first disk now holds a partition
// table. QEMU is first told to flush that disk (HMP qemu-io "flush"), so what the
// installer wrote is in the file, not only in QEMU's caches, before the helper reads
// its first sector (disk-boot-sector.ts).
import type { QmpClient, QmpEvent } from './qmp-client.js';

export interface InstallWatch {
  /** The disk the installer writes to, while the installer CD is in; null otherwise. */
  installing: () => { diskId: string } | null;
  /** Whether that disk's first sector now has a boot signature, read from its file. */
  installed: (diskId: string) => Promise<boolean>;
  onFinished: () => void;
}

export function watchInstallFinish(qmp: QmpClient, watch: InstallWatch): () => void {
  let checking = false;
  return qmp.onEvent((event: QmpEvent) => {
    if (event.event !== 'RESET' || event.data?.guest !== true || checking) return;
    const target = watch.installing();
    if (!target) return;
    checking = true;
    qmp
      .execute('human-monitor-command', { 'command-line': `qemu-io ${target.diskId} "flush"` })
      .then(() => watch.installed(target.diskId))
      .then((done) => done && watch.onFinished())
      .catch(() => undefined)
      .finally(() => (checking = false));
  });
}
