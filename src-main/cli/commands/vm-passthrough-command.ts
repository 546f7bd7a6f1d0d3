// `nova vm device add|rm VM DEVICE` (a host PCI device or a mediated device from the
// VM's next start; a USB device hot-plugged into a running VM; through vm.update) and `nova vm showcmd VM` (the QEMU command line the next
// start would run, as Proxmox's `qm showcmd`, ready to paste into a shell).
import { Option, type Command } from 'commander';
import { type DevicePolicy, DevicePolicySchema } from '../../../src-shared/device.js';
import { parseFilePath } from '../../../src-shared/vocabulary/posix-path.js';
import { parsePciAddress } from '../../../src-shared/vocabulary/pci-address.js';
import { parseUsbSelector } from '../../../src-shared/vocabulary/usb-selector.js';
import { parseMdevSpec, type VmMdev } from '../../../src-shared/vm-passthrough.js';
import { fail, ok, type Parsed } from '../../../src-shared/vocabulary/parsed.js';
import { NovaError } from '../../../src-shared/errors.js';
import type { VmDeviceChangeIn } from '../../../src-shared/vm-devices.js';
import { withHelper, type CliContext } from '../cli-context.js';
import { describeUpdate } from './vm-hardware-command.js';
import { nameArg, single } from './option-parsers.js';

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** POSIX shell quoting: what needs none stays bare, the rest in single quotes. */
export function shellQuote(arg: string): string {
  return SAFE.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}

export type DeviceArg = { kind: 'pci'; address: string } | { kind: 'usb'; selector: string } | { kind: 'mdev'; mdev: VmMdev };

const DEVICE_HELP = 'a PCI address (0000:01:00.0), a USB device (usb:046d:c52b, usb:1-1.2, usb:tablet) or a mediated device (mdev:0000:00:02.0:TYPE)';

/** One argument, three kinds, told apart by their prefix as the NovaFile's `devices` tells them. */
export function parseDeviceArg(text: string): Parsed<DeviceArg> {
  if (/^usb:/i.test(text)) {
    const r = parseUsbSelector(text);
    return r.ok ? ok({ kind: 'usb', selector: r.value }) : r;
  }
  if (/^mdev:/i.test(text)) {
    const r = parseMdevSpec(text);
    return r.ok ? ok({ kind: 'mdev', mdev: r.value }) : r;
  }
  const r = parsePciAddress(text);
  return r.ok ? ok({ kind: 'pci', address: r.value }) : fail(`"${text}" is no device; give ${DEVICE_HELP}`);
}

export function registerVmPassthroughCommands(program: Command, ctx: CliContext): void {
  const vm = program.commands.find((c) => c.name() === 'vm') ?? program.command('vm').description('Virtual machines');
  const json = (o: { json?: boolean }) => o.json === true || ctx.globals().json;
  const out = (text: string) => ctx.io.stdout(`${text}\n`);
  const vmName = nameArg('vm');
  const deviceArg = single(parseDeviceArg);
  const device = vm.command('device').description('Devices passed to a VM: host PCI devices (bound to vfio-pci at each start, with their IOMMU group), USB devices and mediated devices');
  const send = async (name: string, change: VmDeviceChangeIn, liveNow: string[]) => {
    const info = await withHelper(ctx, (h) => h.call('vm.update', { name, devices: [change] }));
    out(ctx.globals().json ? JSON.stringify(info, null, 2) : describeUpdate(info, info.state === 'running' || info.state === 'paused' ? liveNow : []));
  };
  device
    .command('add')
    .argument('<vm>', 'the VM', vmName)
    .argument('<device>', DEVICE_HELP, deviceArg)
    .addOption(new Option('--policy <policy>', 'PCI: after the VM stops, restore (back to the host driver) or keep (stay on vfio-pci)').choices(DevicePolicySchema.options).default('restore'))
    .option('--rom <path>', 'PCI: a ROM image shown to the guest instead of the card\'s own', single(parseFilePath))
    .description('Pass a device to the VM: PCI and mediated devices from its next start (nova device check ADDR says whether one can be), USB at once when it runs')
    .action(async (name: string, d: DeviceArg, o: { policy: DevicePolicy; rom?: string }) => {
      if (d.kind !== 'pci' && (o.rom !== undefined || o.policy !== 'restore')) throw new NovaError('invalid_argument', '--policy and --rom are for PCI devices only');
      if (d.kind === 'pci') return send(name, { op: 'pci.add', device: { address: d.address, policy: o.policy, ...(o.rom ? { rom: o.rom } : {}) } }, []);
      if (d.kind === 'usb') return send(name, { op: 'usb.add', device: d.selector }, [`${d.selector} plugged in`]);
      return send(name, { op: 'mdev.add', mdev: d.mdev }, []);
    });
  device
    .command('rm')
    .argument('<vm>', 'the VM', vmName)
    .argument('<device>', DEVICE_HELP, deviceArg)
    .description('Stop passing the device to the VM: USB at once when it runs, the others from its next start')
    .action(async (name: string, d: DeviceArg) => {
      if (d.kind === 'pci') return send(name, { op: 'pci.remove', address: d.address }, []);
      if (d.kind === 'usb') return send(name, { op: 'usb.remove', device: d.selector }, [`${d.selector} unplugged`]);
      return send(name, { op: 'mdev.remove', mdev: d.mdev }, []);
    });
  vm.command('showcmd')
    .argument('<vm>', 'the VM', vmName)
    .option('--json', 'the argv as a JSON array, with the notes')
    .description('Print the QEMU command line the VM\'s next start would run (nothing is started or changed)')
    .action(async (name: string, o: { json?: boolean }) => {
      const r = await withHelper(ctx, (h) => h.call('vm.showCommand', { name }));
      if (json(o)) return out(JSON.stringify(r, null, 2));
      out(r.argv.map(shellQuote).join(' '));
      for (const note of r.notes) ctx.io.stderr(`# ${note}\n`);
    });
}
