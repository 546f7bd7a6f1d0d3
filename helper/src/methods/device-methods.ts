// Device handlers: the PCI/USB inventory and one device's passthrough preflight (reads
// of the host), and binding a device's IOMMU group to vfio-pci and back
// (org.nova.device.passthrough, as operations).
import type { DeviceInventoryService } from '../devices/device-inventory.js';
import { previewBind } from '../devices/bind-preview.js';
import type { DevicePassthrough } from '../devices/device-passthrough.js';
import type { HelperHandlers } from './handler-table.js';

type DeviceMethod = 'device.list' | 'device.get' | 'device.check' | 'device.bindingList' | 'device.bindPreview' | 'device.bind' | 'device.restore';

export function deviceHandlers(devices: DeviceInventoryService, passthrough: DevicePassthrough): Pick<HelperHandlers, DeviceMethod> {
  return {
    'device.list': ({ refresh }) => devices.list(refresh),
    'device.get': ({ address }) => devices.get(address),
    'device.check': ({ address, memoryMib }) => devices.check(address, memoryMib),
    'device.bindingList': () => passthrough.bindings(),
    'device.bindPreview': ({ address, singleGpu }) => previewBind(address, singleGpu, async () => (await devices.list(true)).pci),
    'device.bind': ({ address, policy, singleGpu }, ctx) => passthrough.bind({ address, policy, singleGpu }, ctx),
    'device.restore': ({ address }, ctx) => passthrough.restore(address, ctx),
  };
}
