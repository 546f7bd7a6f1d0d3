// USB handlers: a VM's USB devices hot-plugged, unplugged and listed (devices/usb-hotplug.ts).
import type { VmUsbDevices } from '../devices/usb-hotplug.js';
import type { HelperHandlers } from './handler-table.js';

export type VmUsbMethodName = 'vm.usbAttach' | 'vm.usbDetach' | 'vm.usbList';

export function vmUsbHandlers(usb: VmUsbDevices): Pick<HelperHandlers, VmUsbMethodName> {
  return {
    'vm.usbAttach': ({ name, device }, ctx) => usb.attach(name, device, ctx),
    'vm.usbDetach': ({ name, device }, ctx) => usb.detach(name, device, ctx),
    'vm.usbList': ({ name }) => usb.list(name),
  };
}
