// Device handlers: the PCI/USB inventory and one device's passthrough preflight. Both
// only read the host; binding (org.nova.device.passthrough) comes with its own methods.
import type { DeviceInventoryService } from '../devices/device-inventory.js';
import type { HelperHandlers } from './handler-table.js';

export function deviceHandlers(devices: DeviceInventoryService): Pick<HelperHandlers, 'device.list' | 'device.get' | 'device.check'> {
  return {
    'device.list': ({ refresh }) => devices.list(refresh),
    'device.get': ({ address }) => devices.get(address),
    'device.check': ({ address, memoryMib }) => devices.check(address, memoryMib),
  };
}
