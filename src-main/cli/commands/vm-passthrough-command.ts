// `nova vm device add|rm VM ADDR` (a host PCI device passed to the VM from its next
// start, through vm.update) and `nova vm showcmd VM` (the QEMU command line the next
// start would run, as Proxmox's `qm showcmd`, ready to paste into a shell).
import { Option, type Command } from 'commander';
import { type DevicePolicy, DevicePolicySchema } from '../../../src-shared/device.js';
import { parseFilePath } from '../../../src-shared/vocabulary/posix-path.js';
import { parsePciAddress } from '../../../src-shared/vocabulary/pci-address.js';
import { withHelper, type CliContext } from '../cli-context.js';
import { describeUpdate } from './vm-hardware-command.js';
import { nameArg, single } from './option-parsers.js';

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** POSIX shell quoting: what needs none stays bare, the rest in single quotes. */
export function shellQuote(arg: string): string {
  return SAFE.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}

export function registerVmPassthroughCommands(program: Command, ctx: CliContext): void {
  const vm = program.commands.find((c) => c.name() === 'vm') ?? program.command('vm').description('Virtual machines');
  const json = (o: { json?: boolean }) => o.json === true || ctx.globals().json;
  const out = (text: string) => ctx.io.stdout(`${text}\n`);
  const vmName = nameArg('vm');
  const address = single(parsePciAddress);
  const device = vm.command('device').description('Host PCI devices passed through to a VM (its IOMMU group comes along; bound to vfio-pci at each start)');
  device
    .command('add')
    .argument('<vm>', 'the VM', vmName)
    .argument('<address>', 'PCI address as lspci -D prints it, e.g. 0000:01:00.0', address)
    .addOption(new Option('--policy <policy>', 'after the VM stops: restore (back to the host driver) or keep (stay on vfio-pci)').choices(DevicePolicySchema.options).default('restore'))
    .option('--rom <path>', 'a ROM image shown to the guest instead of the card\'s own', single(parseFilePath))
    .description('Pass a host PCI device to the VM from its next start (nova device check ADDR says whether it can be)')
    .action(async (name: string, addr: string, o: { policy: DevicePolicy; rom?: string }) => {
      const info = await withHelper(ctx, (h) => h.call('vm.update', { name, devices: [{ op: 'pci.add', device: { address: addr, policy: o.policy, ...(o.rom ? { rom: o.rom } : {}) } }] }));
      out(ctx.globals().json ? JSON.stringify(info, null, 2) : describeUpdate(info, []));
    });
  device
    .command('rm')
    .argument('<vm>', 'the VM', vmName)
    .argument('<address>', 'PCI address as lspci -D prints it', address)
    .description('Stop passing the device to the VM (from its next start)')
    .action(async (name: string, addr: string) => {
      const info = await withHelper(ctx, (h) => h.call('vm.update', { name, devices: [{ op: 'pci.remove', address: addr }] }));
      out(ctx.globals().json ? JSON.stringify(info, null, 2) : describeUpdate(info, []));
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
