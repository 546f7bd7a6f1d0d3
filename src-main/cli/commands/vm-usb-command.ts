// `nova vm usb attach|detach|ls VM [DEVICE]`: a VM's USB devices. Attach and detach act
// on a running guest at once (hot-plug) and are kept for its next starts; on a stopped VM
// they are only kept. `ls` shows the VM's devices and the host's that could be given.
import type { Command } from 'commander';
import type { UsbDevice } from '../../../src-shared/device.js';
import type { VmUsbEntry } from '../../../src-shared/api/vm-usb-api.js';
import type { VmInfo } from '../../../src-shared/vm.js';
import { parseUsbSelector } from '../../../src-shared/vocabulary/usb-selector.js';
import type { CliContext } from '../cli-context.js';
import { nameArg, single } from './option-parsers.js';

const DEVICE_HELP = 'usb:VENDOR:PRODUCT (as lsusb prints it), usb:BUS-PORT, or usb:tablet|keyboard|mouse';

function usbName(d: UsbDevice): string {
  return [d.vendorName ?? d.manufacturer, d.productName ?? d.product].filter((s) => s !== null).join(' ') || 'unknown device';
}

/** One line per device, the VM's first, then what the host has that could be given. */
export function formatVmUsb(vm: string, list: { controller: boolean; devices: VmUsbEntry[]; available: UsbDevice[] }): string {
  const lines: string[] = [];
  if (!list.controller) lines.push(`${vm} has no USB controller (made before Nova gave VMs one); attaching a device while it is stopped gives it one`);
  if (list.devices.length === 0) lines.push(`${vm} has no USB devices`);
  for (const d of list.devices) {
    const where = d.host ? `host bus ${d.host.bus} port ${d.host.port}: ${usbName(d.host)}` : d.device.match(/^usb:(tablet|keyboard|mouse)$/) ? 'emulated' : 'not plugged into the host';
    const state = d.plugged === null ? '' : d.plugged ? ', in the guest' : ', not in the guest';
    lines.push(`  ${d.device}  (${where}${state})`);
  }
  if (list.available.length > 0) {
    lines.push('host devices it could be given:');
    for (const d of list.available) lines.push(`  usb:${d.vendorId}:${d.productId}  bus ${d.bus} port ${d.port}  ${usbName(d)}`);
  }
  return lines.join('\n');
}

function describeChange(info: VmInfo, device: string, verb: 'attached' | 'detached'): string {
  const name = info.definition.name;
  const running = info.state === 'running' || info.state === 'paused';
  return running ? `${name}: ${device} ${verb} now and kept for its next starts` : `${name}: ${device} ${verb}; takes effect when it starts`;
}

export function registerVmUsbCommand(program: Command, ctx: CliContext): void {
  const vm = program.commands.find((c) => c.name() === 'vm') ?? program.command('vm').description('Virtual machines');
  const usb = vm.command('usb').description("A VM's USB devices: host devices by vendor:product or port, and emulated ones; live on a running VM");
  const vmName = nameArg('vm');
  const device = single(parseUsbSelector);
  const call = async <T>(work: (h: Awaited<ReturnType<CliContext['connectHelper']>>) => Promise<T>, print: (r: T) => string) => {
    const h = await ctx.connectHelper();
    try {
      const r = await work(h);
      ctx.io.stdout((ctx.globals().json ? JSON.stringify(r, null, 2) : print(r)) + '\n');
    } finally {
      h.close();
    }
  };
  usb.command('attach')
    .description('Give the VM a USB device (hot-plugged into a running guest)')
    .argument('<vm>', 'the VM', vmName)
    .argument('<device>', DEVICE_HELP, device)
    .action((name: string, d: string) => call((h) => h.call('vm.usbAttach', { name, device: d }), (info) => describeChange(info, d, 'attached')));
  usb.command('detach')
    .description('Take a USB device from the VM (unplugged from a running guest)')
    .argument('<vm>', 'the VM', vmName)
    .argument('<device>', DEVICE_HELP, device)
    .action((name: string, d: string) => call((h) => h.call('vm.usbDetach', { name, device: d }), (info) => describeChange(info, d, 'detached')));
  usb.command('ls')
    .description("The VM's USB devices and the host's it could be given")
    .argument('<vm>', 'the VM', vmName)
    .action((name: string) => call((h) => h.call('vm.usbList', { name }), (list) => formatVmUsb(name, list)));
}
