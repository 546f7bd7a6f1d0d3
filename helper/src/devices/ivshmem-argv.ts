// Looking Glass's shared memory on QEMU's command line (VFIO.md 3): a file in /dev/shm
// that QEMU creates and maps shared, handed to the guest as an ivshmem-plain PCI device.
// The guest's host application writes frames into it and the client on the host reads
// them from the same file. Pure; golden-tested through qemu-argv.ts.
import { lookingGlassBytes, type LookingGlass } from '../../../src-shared/vm-passthrough.js';

/** Per VM, so two VMs' frames never share a file: the client is pointed at it with `-f`. */
export function lookingGlassShmPath(vm: string): string {
  return `/dev/shm/nova-looking-glass-${vm}`;
}

export function ivshmemArgs(vm: string, lookingGlass: LookingGlass | undefined): string[] {
  if (!lookingGlass) return [];
  const mib = lookingGlassBytes(lookingGlass.resolution) / (1024 * 1024);
  return [
    '-object', `memory-backend-file,id=looking-glass,share=on,mem-path=${lookingGlassShmPath(vm)},size=${mib}M`,
    '-device', 'ivshmem-plain,id=looking-glass-dev,memdev=looking-glass',
  ];
}
