// Mediated devices (VFIO.md 1.6): an instance of a parent's mdev type made by writing a
// UUID to the type's `create`, handed to QEMU as vfio-pci's sysfsdev, and removed again
// (`remove` <- 1) when the VM stops. The parent stays on its vendor driver: no rebinding.
// A type with no available instance is refused before any write.
import { randomUUID } from 'node:crypto';
import { NovaError } from '../../../src-shared/errors.js';
import { errnoOf, type HostIO } from './host-io.js';

const MDEV_DEVICES = '/sys/bus/mdev/devices';

export interface MdevInstance {
  uuid: string;
  parent: string;
  type: string;
  /** What QEMU's vfio-pci opens it by. */
  sysfsdev: string;
}

export async function createMdev(io: HostIO, parent: string, type: string, uuid: string = randomUUID()): Promise<MdevInstance> {
  const typeDir = `/sys/class/mdev_bus/${parent}/mdev_supported_types/${type}`;
  const available = await io.readText(`${typeDir}/available_instances`);
  if (available === null) throw new NovaError('not_found', `${parent} offers no mediated device type ${type} (see its mdev_supported_types)`, { address: parent, type });
  if (Number(available.trim()) <= 0) {
    throw new NovaError('failed_precondition', `${parent} has no room for another ${type} instance (available_instances is 0): stop a VM using one, or pick a smaller type`, { address: parent, type });
  }
  try {
    await io.writeAttr(`${typeDir}/create`, `${uuid}\n`);
  } catch (err) {
    const why = errnoOf(err) === 'EUSERS' ? 'it has no room left' : (err as Error).message;
    throw new NovaError('failed_precondition', `${parent} refused a new ${type} instance: ${why}`, { address: parent, type });
  }
  const sysfsdev = `${MDEV_DEVICES}/${uuid}`;
  if (!(await io.exists(sysfsdev))) throw new NovaError('internal', `${parent} took ${uuid} for ${type} but no ${sysfsdev} appeared`);
  return { uuid, parent, type, sysfsdev };
}

/** The instance gone; one already gone (a host reboot) is what was asked for. */
export async function removeMdev(io: HostIO, uuid: string): Promise<void> {
  if (!(await io.exists(`${MDEV_DEVICES}/${uuid}`))) return;
  await io.writeAttr(`${MDEV_DEVICES}/${uuid}/remove`, '1\n');
}

/** QEMU's device for an instance, given the host's /sys as QEMU sees it. */
export function mdevDeviceArgs(instance: Pick<MdevInstance, 'uuid'>, index: number, sysfsRoot = '/sys'): string[] {
  return ['-device', `vfio-pci,sysfsdev=${sysfsRoot}/bus/mdev/devices/${instance.uuid},id=mdev${index}`];
}
