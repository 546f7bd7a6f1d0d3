// Devices in the contract: the host's PCI and USB inventory and the passthrough
// preflight of one PCI device (a view of the host), and binding a device's IOMMU group
// to vfio-pci and back, which asks for org.nova.device.passthrough every time.
import { z } from 'zod';
import { POLKIT_ACTIONS } from '../actions.js';
import { BindPreviewSchema, DeviceBindingSchema, DeviceInventorySchema, DevicePolicySchema, DevicePreflightSchema, PciAddressSchema, PciDeviceSchema } from '../device.js';
import { defineMethod } from './define.js';

const view = { by: 'helper', action: POLKIT_ACTIONS.hostInspect } as const;
const passthrough = { by: 'helper', action: POLKIT_ACTIONS.devicePassthrough } as const;

export const deviceMethods = {
  'device.list': defineMethod({
    summary: 'The PCI and USB devices of this host, with IOMMU groups, drivers and passthrough readiness',
    params: z.strictObject({ refresh: z.boolean().default(false) }),
    result: DeviceInventorySchema,
    served: view,
  }),
  'device.get': defineMethod({
    summary: 'One PCI device by address (read afresh)',
    params: z.strictObject({ address: PciAddressSchema }),
    result: PciDeviceSchema,
    served: view,
  }),
  'device.check': defineMethod({
    summary: 'The passthrough preflight of one PCI device: each item pass, warn or block, with evidence and a fix',
    params: z.strictObject({
      address: PciAddressSchema,
      /** The guest memory the device would go with, for the memlock item. */
      memoryMib: z.number().int().positive().max(16 * 1024 * 1024).optional(),
    }),
    result: DevicePreflightSchema,
    served: view,
  }),
  'device.bindingList': defineMethod({
    summary: 'The IOMMU groups Nova has bound to vfio-pci: original drivers, who holds each, and any stuck unbind',
    params: z.strictObject({}),
    result: z.strictObject({ bindings: z.array(DeviceBindingSchema), broken: z.array(z.strictObject({ file: z.string(), problem: z.string() })) }),
    served: view,
  }),
  'device.bindPreview': defineMethod({
    summary: 'What device.bind would do, changing nothing: the same refusals, and the exact ordered sysfs writes of the bind and of the later restore, simulated on a model of the device\'s IOMMU group',
    params: z.strictObject({ address: PciAddressSchema, singleGpu: z.boolean().default(false) }),
    result: BindPreviewSchema,
    served: view,
  }),
  'device.bind': defineMethod({
    summary: 'Bind a PCI device and every endpoint of its IOMMU group to vfio-pci (an operation), refusing before any change when the group is not viable, the device is in use, or it is the boot GPU',
    params: z.strictObject({
      address: PciAddressSchema,
      /** What a VM's stop does with it later; a device bound by hand stays on vfio-pci by default. */
      policy: DevicePolicySchema.default('keep'),
      /** Allows the boot GPU: the host display goes dark while the device is away. */
      singleGpu: z.boolean().default(false),
    }),
    result: z.strictObject({ binding: DeviceBindingSchema, changed: z.boolean(), warnings: z.array(z.string()) }),
    served: passthrough,
    timeoutMs: 120_000,
  }),
  'device.restore': defineMethod({
    summary: 'Give a device\'s IOMMU group back to its original host drivers (an operation); refused while a running VM holds it',
    params: z.strictObject({ address: PciAddressSchema }),
    result: z.strictObject({ group: z.number().int().nullable(), restored: z.array(z.string()) }),
    served: passthrough,
    timeoutMs: 120_000,
  }),
} as const;

/** The host's devices changed (a kernel uevent, or a rescan that found a difference): a signal to list them again. */
export const deviceEvents = {
  'device.changed': z.strictObject({
    subsystems: z.array(z.enum(['pci', 'usb', 'mdev'])),
    via: z.enum(['uevent', 'rescan']),
  }),
} as const;
