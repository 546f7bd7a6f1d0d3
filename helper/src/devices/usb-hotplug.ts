// A VM's USB devices while it runs and while it is stopped: `vm.usbAttach` checks a host
// device is plugged into the host before QEMU hears of it (QEMU's usb-host would accept
// an absent one silently and wait for it), then device_add's it on the VM's xHCI
// controller with the same id and properties a start gives it (usb-argv.ts), and keeps it
// in the definition; `vm.usbDetach` device_del's it and waits until QEMU has let it go.
// A QEMU run as a user is handed the device's /dev/bus/usb node first (vm-node-handover.ts).
import { NovaError } from '../../../src-shared/errors.js';
import type { UsbDevice } from '../../../src-shared/device.js';
import type { VmDefinition, VmInfo } from '../../../src-shared/vm.js';
import type { VmUsbEntry } from '../../../src-shared/api/vm-usb-api.js';
import { MAX_VM_USB_DEVICES, usbDeviceId, usbTargetOf } from '../../../src-shared/vm-passthrough.js';
import type { Requester } from '../operations/operation-manager.js';
import type { QmpClient } from '../vm/qmp-client.js';
import { usbDeviceProps } from './usb-argv.js';
import type { VmNodeHandover } from './vm-node-handover.js';

/** What this needs of the VM manager (vm-manager.ts). */
export interface UsbVmPort {
  changeWithMonitor(name: string, label: string, requester: Requester | null, change: (def: VmDefinition, qmp: QmpClient | null) => Promise<{ next: VmDefinition; undo: () => Promise<void> }>): Promise<VmInfo>;
  monitorOf(name: string): QmpClient | null;
  get(name: string): Promise<VmInfo>;
}

export interface VmUsbDeps {
  vms: UsbVmPort;
  /** The host's USB devices, read afresh (device-inventory.ts). */
  hostDevices: () => Promise<UsbDevice[]>;
  /** Gives a host device's node to the user a running QEMU runs as; none: QEMU runs as root only. */
  nodes?: Pick<VmNodeHandover, 'handOverToQemu'>;
  /** Bound on waiting for QEMU to let an unplugged device go. */
  unplugTimeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** The host device a selector names now, or null (an emulated one is never on the host). */
export function hostDeviceFor(selector: string, devices: readonly UsbDevice[]): UsbDevice | null {
  const t = usbTargetOf(selector);
  if (t.kind === 'product') return devices.find((d) => d.vendorId === t.vendorId && d.productId === t.productId) ?? null;
  if (t.kind === 'port') return devices.find((d) => d.port === `${t.bus}-${t.port}`) ?? null;
  return null;
}

export class VmUsbDevices {
  constructor(private readonly deps: VmUsbDeps) {}

  attach(name: string, selector: string, requester: Requester | null): Promise<VmInfo> {
    return this.deps.vms.changeWithMonitor(name, `USB attach of ${selector}`, requester, async (def, qmp) => {
      await checkUsbAdd(def, selector, qmp !== null, this.deps.hostDevices);
      const next = { ...def, usb: [...(def.usb ?? []), selector] };
      if (qmp === null) return { next, undo: async () => undefined };
      await this.handNode(name, selector);
      await plugUsb(qmp, selector, name);
      return { next, undo: () => unplugUsb(qmp, selector, this.deps) };
    });
  }

  detach(name: string, selector: string, requester: Requester | null): Promise<VmInfo> {
    return this.deps.vms.changeWithMonitor(name, `USB detach of ${selector}`, requester, async (def, qmp) => {
      if (!(def.usb ?? []).includes(selector)) throw new NovaError('not_found', `VM ${name} has no USB device ${selector}`);
      if (qmp !== null) await unplugUsb(qmp, selector, this.deps);
      // Unplugged for good: saving can only fail before the guest would see it again at a start.
      return { next: { ...def, usb: (def.usb ?? []).filter((s) => s !== selector) }, undo: async () => undefined };
    });
  }

  async list(name: string): Promise<{ controller: boolean; devices: VmUsbEntry[]; available: UsbDevice[] }> {
    const { definition } = await this.deps.vms.get(name);
    const host = await this.deps.hostDevices();
    const qmp = this.deps.vms.monitorOf(name);
    const plugged = qmp ? await pluggedIds(qmp) : null;
    const devices = (definition.usb ?? []).map((device) => ({
      device,
      qemuId: usbDeviceId(device),
      host: hostDeviceFor(device, host),
      plugged: plugged === null ? null : plugged.has(usbDeviceId(device)),
    }));
    const taken = new Set(devices.map((d) => d.host?.port));
    return { controller: definition.usb !== undefined || definition.display.spice, devices, available: host.filter((d) => !taken.has(d.port)) };
  }

  /** Its node to the user QEMU runs as, before QEMU opens it. */
  private async handNode(name: string, selector: string): Promise<void> {
    if (!this.deps.nodes) return;
    await this.deps.nodes.handOverToQemu(name, selector, (await this.deps.vms.get(name)).pid);
  }
}

/** Why `selector` cannot join the VM's USB devices now (`live`: its QEMU runs), or nothing: the same for vm.usbAttach and vm.update. */
export async function checkUsbAdd(def: VmDefinition, selector: string, live: boolean, hostDevices: (() => Promise<UsbDevice[]>) | null): Promise<void> {
  const name = def.name;
  const usb = def.usb ?? [];
  if (usb.includes(selector)) throw new NovaError('already_exists', `VM ${name} already has ${selector}`);
  if (usb.length >= MAX_VM_USB_DEVICES) throw new NovaError('failed_precondition', `VM ${name} has ${usb.length} USB devices, the most it can have; detach one first`);
  if (def.machine === 'microvm') throw new NovaError('failed_precondition', `VM ${name} is a microvm, which has no USB controller`);
  if (live && def.usb === undefined) {
    throw new NovaError('failed_precondition', `VM ${name} was started without a USB controller (it was made before Nova gave VMs one): stop it, attach the device, and start it again`);
  }
  if (hostDevices && usbTargetOf(selector).kind !== 'emulated' && hostDeviceFor(selector, await hostDevices()) === null) {
    throw new NovaError('not_found', `No USB device ${selector.slice('usb:'.length)} is plugged into this host; plug it in, or see what is with nova device ls`, { device: selector });
  }
}

/** device_add with the properties a start gives it (usb-argv.ts), QEMU's refusal said with the VM's name. */
export async function plugUsb(qmp: QmpClient, selector: string, vm: string): Promise<void> {
  try {
    await qmp.execute('device_add', usbDeviceProps(selector));
  } catch (err) {
    throw new NovaError('failed_precondition', `QEMU refused ${selector} for VM ${vm}: ${(err as Error).message}`, { device: selector });
  }
}

/** device_del, then wait until the id is gone from QEMU's peripherals: the guest has seen the unplug. */
export async function unplugUsb(qmp: QmpClient, selector: string, opts: { unplugTimeoutMs?: number; sleep?: (ms: number) => Promise<void> } = {}): Promise<void> {
  const id = usbDeviceId(selector);
  try {
    await qmp.execute('device_del', { id });
  } catch (err) {
    // Not there (it never came back after a host unplug): already what was asked for.
    if (!(await pluggedIds(qmp)).has(id)) return;
    throw err;
  }
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const timeout = opts.unplugTimeoutMs ?? 10_000;
  const deadline = Date.now() + timeout;
  while ((await pluggedIds(qmp)).has(id)) {
    if (Date.now() > deadline) throw new NovaError('timeout', `QEMU did not let ${selector} go within ${timeout} ms`);
    await sleep(50);
  }
}

/** The ids of the devices added with one (-device id= or device_add): QEMU's /machine/peripheral. */
async function pluggedIds(qmp: QmpClient): Promise<Set<string>> {
  const props = await qmp.execute<Array<{ name: string; type: string }>>('qom-list', { path: '/machine/peripheral' });
  return new Set(props.filter((p) => p.type.startsWith('child<')).map((p) => p.name));
}
