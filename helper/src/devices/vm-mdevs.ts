// A VM's mediated devices over its runs (VFIO.md 1.6): made from the definition's types
// when it starts, handed to QEMU, and removed when QEMU is gone. Each instance's UUID
// comes from the VM's name and its place in the list, so a helper that restarted (or
// crashed) finds a VM's instances again without a record, and a start first removes
// any its predecessor left.
import { createHash } from 'node:crypto';
import type { VmDefinition } from '../../../src-shared/vm.js';
import { MAX_VM_MDEVS } from '../../../src-shared/vm-passthrough.js';
import type { HostIO } from './host-io.js';
import { createMdev, mdevDeviceArgs, removeMdev } from './mdev-instances.js';

/** The same UUID for the same VM and place, every time: "nova-mdev:NAME:INDEX" hashed, as a version 5 UUID. */
export function vmMdevUuid(vm: string, index: number): string {
  const hex = createHash('sha256').update(`nova-mdev:${vm}:${index}`).digest('hex');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** QEMU's arguments for the VM's instances, made now; what was made is removed again when one fails. */
export async function createVmMdevs(io: HostIO, def: Pick<VmDefinition, 'name' | 'mdevs'>, sysfsRoot = '/sys'): Promise<string[]> {
  const wanted = def.mdevs ?? [];
  if (wanted.length === 0) return [];
  await removeVmMdevs(io, def.name);
  const args: string[] = [];
  try {
    for (const [i, m] of wanted.entries()) {
      const instance = await createMdev(io, m.parent, m.type, vmMdevUuid(def.name, i));
      args.push(...mdevDeviceArgs(instance, i, sysfsRoot));
    }
  } catch (err) {
    await removeVmMdevs(io, def.name);
    throw err;
  }
  return args;
}

/** Every instance of the VM's that exists, removed (QEMU is gone: stop, crash, failed start). */
export async function removeVmMdevs(io: HostIO, vm: string): Promise<void> {
  for (let i = 0; i < MAX_VM_MDEVS; i++) await removeMdev(io, vmMdevUuid(vm, i));
}
