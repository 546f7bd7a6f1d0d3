// `nova device ls|show|check`: the host's PCI and USB devices, one device in full, and
// the passthrough preflight of one (exit 1 when something blocks, so scripts can ask).
import type { Command } from 'commander';
import { parsePciAddress } from '../../../src-shared/vocabulary/pci-address.js';
import { VM_MEMORY, parseSize } from '../../../src-shared/vocabulary/size.js';
import { withHelper, type CliContext } from '../cli-context.js';
import { formatDevice, formatDeviceList, formatPreflight } from '../device-format.js';
import { single } from './option-parsers.js';

const pciAddress = single(parsePciAddress);
const memory = single((text: string) => parseSize(text, VM_MEMORY));

export function registerDeviceCommand(program: Command, ctx: CliContext): void {
  const json = (o: { json?: boolean }) => o.json === true || ctx.globals().json;
  const out = (text: string) => ctx.io.stdout(text.endsWith('\n') ? text : `${text}\n`);
  const device = program.command('device').description('Host devices: PCI (with IOMMU groups) and USB, and whether a PCI device can be passed to a VM');
  device.command('ls')
    .description('List PCI devices (address, class, name, driver, IOMMU group, passthrough readiness) and USB devices')
    .option('--json', 'machine-readable output')
    .action(async (o: { json?: boolean }) => {
      const inv = await withHelper(ctx, (h) => h.call('device.list', { refresh: true }));
      out(json(o) ? JSON.stringify(inv, null, 2) : formatDeviceList(inv));
    });
  device.command('show')
    .argument('<address>', 'PCI address as lspci -D prints it, e.g. 0000:01:00.0', pciAddress)
    .description('One PCI device: names, driver, IOMMU group and members, reset, SR-IOV, users')
    .option('--json', 'machine-readable output')
    .action(async (address: string, o: { json?: boolean }) => {
      const d = await withHelper(ctx, (h) => h.call('device.get', { address }));
      out(json(o) ? JSON.stringify(d, null, 2) : formatDevice(d));
    });
  device.command('check')
    .argument('<address>', 'PCI address as lspci -D prints it, e.g. 0000:01:00.0', pciAddress)
    .description('The passthrough preflight: each item pass, warn or block, with what was read and how to fix it (exit 1 when something blocks)')
    .option('--memory <size>', 'the memory of the VM it would go to (for the memlock item), e.g. 16Gi', memory)
    .option('--json', 'machine-readable output')
    .action(async (address: string, o: { memory?: number; json?: boolean }) => {
      const p = await withHelper(ctx, (h) => h.call('device.check', { address, ...(o.memory === undefined ? {} : { memoryMib: o.memory }) }));
      out(json(o) ? JSON.stringify(p, null, 2) : formatPreflight(p));
      if (p.verdict === 'block') process.exitCode = 1;
    });
}
