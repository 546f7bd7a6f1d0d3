// Devices in the contract: the host's PCI and USB inventory and the passthrough
// preflight of one PCI device. Both only read the host, so they are a view of it;
// binding will ask for org.nova.device.passthrough.
import { z } from 'zod';
import { POLKIT_ACTIONS } from '../actions.js';
import { DeviceInventorySchema, DevicePreflightSchema, PciAddressSchema, PciDeviceSchema } from '../device.js';
import { defineMethod } from './define.js';

const view = { by: 'helper', action: POLKIT_ACTIONS.hostInspect } as const;

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
} as const;
