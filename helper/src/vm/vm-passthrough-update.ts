// The passthrough half of `vm.update`: USB devices, mediated devices, Looking Glass and
// single-GPU mode (PCI devices stay in vm-hardware-update.ts beside the other devices).
// USB goes to a running QEMU at once through the same hot-plug path as vm.usbAttach
// (devices/usb-hotplug.ts), and is unplugged again if the definition cannot be saved;
// the rest waits for the next start, shown as pending changes (vm-pending-changes.ts).
import { NovaError } from '../../../src-shared/errors.js';
import type { UsbDevice } from '../../../src-shared/device.js';
import type { VmDefinition } from '../../../src-shared/vm.js';
import type { VmDeviceChange } from '../../../src-shared/vm-devices.js';
import { formatMdevSpec, MAX_VM_MDEVS } from '../../../src-shared/vm-passthrough.js';
import { checkUsbAdd, plugUsb, unplugUsb } from '../devices/usb-hotplug.js';
import type { QmpClient } from './qmp-client.js';

export type PassthroughChange = Extract<VmDeviceChange, { op: 'usb.add' | 'usb.remove' | 'mdev.add' | 'mdev.remove' | 'lookingGlass.set' }>;

export function isPassthroughChange(change: VmDeviceChange): change is PassthroughChange {
  return ['usb.add', 'usb.remove', 'mdev.add', 'mdev.remove', 'lookingGlass.set'].includes(change.op);
}

/** The host's USB devices now; absent (tests without a device host): no presence check. */
export type HostUsb = (() => Promise<UsbDevice[]>) | null;
/** Gives a USB device's node to the user the VM's running QEMU runs as (vm-node-handover.ts); absent: QEMU runs as root only. */
export type HandOverUsb = ((vm: string, selector: string) => Promise<void>) | null;

/**
 * `def` with the change in. `live`: the running VM's monitor, which USB changes reach
 * now; what a live change did is undone by the function pushed on `undo`.
 */
export async function applyPassthroughChange(
  def: VmDefinition,
  change: PassthroughChange,
  live: QmpClient | null,
  host: { usb: HostUsb; handOverUsb: HandOverUsb },
  undo: Array<() => Promise<void>>,
): Promise<VmDefinition> {
  switch (change.op) {
    case 'usb.add': {
      await checkUsbAdd(def, change.device, live !== null, host.usb);
      if (live) {
        // A user's QEMU opens the node itself: the same hand-over as vm.usbAttach's.
        await host.handOverUsb?.(def.name, change.device);
        await plugUsb(live, change.device, def.name);
        undo.push(() => unplugUsb(live, change.device));
      }
      return { ...def, usb: [...(def.usb ?? []), change.device] };
    }
    case 'usb.remove': {
      if (!(def.usb ?? []).includes(change.device)) throw new NovaError('not_found', `VM ${def.name} has no USB device ${change.device}`);
      if (live) {
        await unplugUsb(live, change.device);
        undo.push(() => plugUsb(live, change.device, def.name));
      }
      return { ...def, usb: (def.usb ?? []).filter((s) => s !== change.device) };
    }
    case 'mdev.add': {
      const mdevs = def.mdevs ?? [];
      if (def.machine === 'microvm') throw new NovaError('failed_precondition', `VM ${def.name} is a microvm, which has no PCI bus for a mediated device: use the q35 machine`);
      if (mdevs.length >= MAX_VM_MDEVS) throw new NovaError('failed_precondition', `VM ${def.name} has ${mdevs.length} mediated devices, the most a VM has; remove one first`);
      return { ...def, mdevs: [...mdevs, change.mdev] };
    }
    case 'mdev.remove': {
      const mdevs = def.mdevs ?? [];
      const at = mdevs.map((m) => m.parent === change.mdev.parent && m.type === change.mdev.type).lastIndexOf(true);
      if (at < 0) throw new NovaError('not_found', `VM ${def.name} has no ${formatMdevSpec(change.mdev)}; it has ${mdevs.map(formatMdevSpec).join(', ') || 'no mediated devices'}`);
      const rest = mdevs.filter((_, i) => i !== at);
      const { mdevs: _gone, ...without } = def;
      return rest.length > 0 ? { ...without, mdevs: rest } : without;
    }
    case 'lookingGlass.set': {
      const { lookingGlass: _old, ...without } = def;
      if (change.resolution === null) return without;
      if (def.machine === 'microvm') throw new NovaError('failed_precondition', `VM ${def.name} is a microvm, which has no PCI bus for Looking Glass's shared memory: use the q35 machine`);
      return { ...without, lookingGlass: { resolution: change.resolution } };
    }
  }
}

/** Single-GPU mode on (kept as true) or off (the key goes, as on a VM that never had it). */
export function withSingleGpu(def: VmDefinition, on: boolean | undefined): VmDefinition {
  if (on === undefined) return def;
  const { singleGpu: _old, ...without } = def;
  return on ? { ...without, singleGpu: true } : without;
}
