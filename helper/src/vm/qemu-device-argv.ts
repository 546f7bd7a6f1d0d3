// The -device half of a VM's disks and CD drives, beside qemu-argv.ts (which writes their
// -blockdev nodes): which bus each disk sits on, its cache's device side, each CD drive's
// AHCI port (so media can change while it runs), and the boot order as bootindex values.
// Pure, covered by qemu-argv's golden tests. A disk's device id is `<id>-dev`, which QMP
// names when it changes media or resizes.
import type { VmDefinition, VmDisk } from '../../../src-shared/vm.js';

/** q35's built-in AHCI ports: ide.0 the installer CD, ide.1 the cloud-init seed, ide.2.. the further CD drives. */
const CD_PORT: Readonly<Record<string, string>> = { cd0: 'ide.0', cd1: 'ide.2', cd2: 'ide.3', cd3: 'ide.4' };
/** One AHCI controller of our own for SATA disks: six ports. */
export const MAX_SATA_DISKS = 6;

/**
 * The bootindex of each device: its place in `order` when one is given; otherwise the
 * numbering VMs always had (the installer CD 1, the disks after it), so their command
 * lines stay as they were. null: not a boot device.
 */
export function bootIndexer(def: VmDefinition, order: readonly string[] | null): (id: string, diskIndex: number) => number | null {
  if (order) {
    return (id) => {
      const at = order.indexOf(id);
      return at === -1 ? null : at + 1;
    };
  }
  return (id, diskIndex) => {
    if (id === 'cd0') return 1;
    if (!id.startsWith('disk')) return null;
    return !def.kernel && !def.iso ? diskIndex + 1 : diskIndex + 2;
  };
}

/** The controllers the disks' buses need beyond the machine's own. */
export function diskControllerArgs(disks: readonly VmDisk[], micro: boolean): string[] {
  if (micro) return [];
  const args: string[] = [];
  if (disks.some((d) => d.bus === 'sata')) args.push('-device', 'ahci,id=sata0');
  if (disks.some((d) => d.bus === 'scsi')) args.push('-device', 'virtio-scsi-pci,id=scsi0');
  return args;
}

/** A disk's device: virtio-blk, a SATA disk on our AHCI controller, or a virtio-scsi disk; each on its own port, counted per bus. */
export function diskDeviceArgs(disk: VmDisk, disks: readonly VmDisk[], micro: boolean, bootindex: number | null): string[] {
  if (micro) return ['-device', `virtio-blk-device,drive=${disk.id},id=${disk.id}-dev`];
  const bus = disk.bus ?? 'virtio';
  const port = disks.filter((d) => (d.bus ?? 'virtio') === bus).indexOf(disk);
  const ids = [`drive=${disk.id}`, `id=${disk.id}-dev`];
  const opts =
    bus === 'sata' ? ['ide-hd', ...ids, `bus=sata0.${port}`] : bus === 'scsi' ? ['scsi-hd', ...ids, 'bus=scsi0.0', `scsi-id=${port}`, 'lun=0'] : ['virtio-blk-pci', ...ids];
  if (bootindex !== null) opts.push(`bootindex=${bootindex}`);
  if (disk.cache === 'writethrough') opts.push('write-cache=off');
  return ['-device', opts.join(',')];
}

/**
 * A CD drive, with its medium when it has one: a read-only raw node over the descriptor's
 * fd set. An empty drive is still a drive, so media can be inserted into it while the VM runs.
 */
export function cdDeviceArgs(cd: { id: string; path: string | null }, micro: boolean, bootindex: number | null, fdsetOf: (node: string) => string): string[] {
  const args: string[] = [];
  if (cd.path !== null) {
    args.push('-blockdev', `driver=file,filename=${fdsetOf(`${cd.id}-file`)},node-name=${cd.id}-file,read-only=on`);
    args.push('-blockdev', `driver=raw,file=${cd.id}-file,node-name=${cd.id},read-only=on`);
  }
  if (micro) {
    // microvm has no AHCI: its CD is a read-only virtio disk, whose medium cannot change.
    if (cd.path !== null) args.push('-device', `virtio-blk-device,drive=${cd.id},id=${cd.id}-dev`);
    return args;
  }
  const opts = ['ide-cd', ...(cd.path !== null ? [`drive=${cd.id}`] : []), `id=${cd.id}-dev`, `bus=${CD_PORT[cd.id] ?? 'ide.5'}`];
  if (bootindex !== null) opts.push(`bootindex=${bootindex}`);
  return [...args, '-device', opts.join(',')];
}
