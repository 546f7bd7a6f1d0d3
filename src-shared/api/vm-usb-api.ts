// A VM's USB devices: plugged into the running guest now through QMP (device_add on the
// VM's xHCI controller) and kept in its definition for later starts, or only kept when it
// is stopped. Under org.nova.vm.manage, as vm.update can already name them: a USB device
// reaches the guest through QEMU's emulated controller, with no DMA into host memory,
// unlike a VFIO device (org.nova.device.passthrough).
import { z } from 'zod';
import { POLKIT_ACTIONS } from '../actions.js';
import { UsbDeviceSchema } from '../device.js';
import { VmInfoSchema, VmNameSchema } from '../vm.js';
import { UsbSelectorSchema } from '../vm-passthrough.js';
import { defineMethod } from './define.js';

const view = { by: 'helper', action: POLKIT_ACTIONS.vmView } as const;
const manage = { by: 'helper', action: POLKIT_ACTIONS.vmManage } as const;

export const VmUsbEntrySchema = z.strictObject({
  /** "usb:046d:c52b", "usb:1-1.2", "usb:tablet". */
  device: z.string(),
  /** QEMU's id for it (what `info usb` shows). */
  qemuId: z.string(),
  /** The host device it is now; null for an emulated one or one not plugged into the host. */
  host: UsbDeviceSchema.nullable(),
  /** Running VM: QEMU has it on its controller now; null when the VM is stopped. */
  plugged: z.boolean().nullable(),
});
export type VmUsbEntry = z.infer<typeof VmUsbEntrySchema>;

export const vmUsbMethods = {
  'vm.usbAttach': defineMethod({
    summary: 'Give a VM a USB device (host vendor:product, host port, or an emulated tablet/keyboard/mouse): hot-plugged into a running guest and kept for its next starts; a host device that is not plugged in is refused and the VM left as it was',
    params: z.strictObject({ name: VmNameSchema, device: UsbSelectorSchema }),
    result: VmInfoSchema,
    served: manage,
  }),
  'vm.usbDetach': defineMethod({
    summary: "Take a USB device from a VM: unplugged from the running guest and dropped from its definition",
    params: z.strictObject({ name: VmNameSchema, device: UsbSelectorSchema }),
    result: VmInfoSchema,
    served: manage,
  }),
  'vm.usbList': defineMethod({
    summary: "A VM's USB devices (whether each is on the host and plugged into the guest now), and the host's USB devices it could be given",
    params: z.strictObject({ name: VmNameSchema }),
    result: z.strictObject({ controller: z.boolean(), devices: z.array(VmUsbEntrySchema), available: z.array(UsbDeviceSchema) }),
    served: view,
  }),
} as const;
