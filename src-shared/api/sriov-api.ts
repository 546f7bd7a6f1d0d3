// SR-IOV in the contract: making a physical function's virtual functions, each then
// passable to a VM like any PCI device. Under org.nova.device.passthrough (auth_admin,
// no keep), as binding is: new functions appear on the host's PCI bus.
import { z } from 'zod';
import { POLKIT_ACTIONS } from '../actions.js';
import { PciAddressSchema } from '../device.js';
import { defineMethod } from './define.js';

const passthrough = { by: 'helper', action: POLKIT_ACTIONS.devicePassthrough } as const;

export const sriovMethods = {
  'device.sriovSet': defineMethod({
    summary: "Make a physical function's SR-IOV virtual functions (autoprobe off first, so each stays free for a VM), or remove them all with count 0; a different non-zero count is refused while some exist",
    params: z.strictObject({ address: PciAddressSchema, count: z.number().int().min(0).max(2048) }),
    result: z.strictObject({ address: z.string(), totalVfs: z.number().int(), vfs: z.array(z.string()) }),
    served: passthrough,
  }),
} as const;
