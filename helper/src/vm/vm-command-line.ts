// The QEMU command line a VM's next start would run (`nova vm showcmd`, as Proxmox's `qm
// showcmd`): the launcher's own pure builders fed with what a start would resolve,
// without making anything. What only a start can know (a free VNC port, the tap the
// network makes) is shown as a placeholder and named in the notes.
import { NovaError } from '../../../src-shared/errors.js';
import { resolveBootOrder } from '../../../src-shared/vm-devices.js';
import type { VmDefinition } from '../../../src-shared/vm.js';
import type { PreparedVmDevices, VmDevicePort } from '../devices/vm-devices.js';
import { imagesFor, type FirmwareImages } from './firmware.js';
import { buildQemuArgv } from './qemu-argv.js';
import type { VmLayout } from './vm-layout.js';

/** Shown where a start would put the free port it picks. */
export const VNC_PORT_PLACEHOLDER = 5900;

export interface CommandLineDeps {
  layout: VmLayout;
  qemuBinary: string;
  firmware: FirmwareImages;
  hostAccelerator: () => Promise<'kvm' | 'tcg'>;
  devices: VmDevicePort | null;
}

/** QEMU's argv with what passed devices add: the memlock raise before it, root ports and vfio-pci after. */
export function withDevices(qemuArgv: readonly string[], devices: PreparedVmDevices | null): string[] {
  return devices ? [...devices.prefix, ...qemuArgv, ...devices.args] : [...qemuArgv];
}

export async function vmCommandLine(def: VmDefinition, deps: CommandLineDeps): Promise<{ argv: string[]; notes: string[] }> {
  const notes: string[] = ['disk, ISO, kernel and initrd files reach QEMU as descriptors the helper opens at start (fd 3 on); backing chains are read then'];
  const accel = def.accel === 'auto' ? await deps.hostAccelerator() : def.accel;
  if (def.display.vnc) notes.push(`VNC's websocket listens on a free port picked at each start (shown as ${VNC_PORT_PLACEHOLDER})`);
  const taps = def.nics.flatMap((nic, index) => {
    if (nic.network.mode !== 'nova') return [];
    const n = index === 0 ? '' : String(index);
    notes.push(`network ${nic.network.network} makes the tap of net${index} at start (shown as TAP${n})`);
    return [{ index, ifname: `TAP${n}`, mac: nic.mac ?? `MAC${n}` }];
  });
  if (Object.keys(deps.layout.virtiofsSockets(def)).length > 0) notes.push('each virtiofs share gets its own virtiofsd at start, as QEMU\'s user, serving the folder mounted in a private mount namespace');
  let devices: PreparedVmDevices | null = null;
  if (def.devices?.length || def.mdevs?.length) {
    if (!deps.devices) throw new NovaError('unsupported', `VM ${def.name} lists PCI or mediated devices, but this helper has no device passthrough`);
    devices = await deps.devices.preview(def);
    if (def.devices?.length) notes.push('the devices\' IOMMU groups are bound to vfio-pci at start; memlock is guest RAM + 1 GiB');
    if (def.mdevs?.length) notes.push('the mediated devices are made at start under these UUIDs (the same at every start) and removed at stop; memlock is guest RAM + 1 GiB');
  }
  const qemuArgv = buildQemuArgv({
    qemuBinary: deps.qemuBinary,
    def,
    accel,
    paths: deps.layout.runtimePaths(def.name),
    vncWebsocketPort: def.display.vnc ? VNC_PORT_PLACEHOLDER : null,
    ovmfCode: imagesFor(deps.firmware, def.firmware)?.code ?? null,
    taps,
    cloudInitSeed: def.cloudInit ? deps.layout.cloudInitSeed(def.name) : null,
    paused: true,
    bootOrder: resolveBootOrder(def, false),
    virtiofsSockets: deps.layout.virtiofsSockets(def),
  });
  return { argv: withDevices(qemuArgv, devices), notes };
}
