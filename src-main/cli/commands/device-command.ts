// `nova device ls|show|check|prepare|release` (bind and restore are their old names): the host's PCI and USB devices, one device in
// full, the passthrough preflight of one (exit 1 when something blocks, so scripts can
// ask), a dry run listing the exact sysfs writes, and binding a device's IOMMU group to vfio-pci and back (with progress; Ctrl+C
// asks the helper to cancel, which it does between functions, rolling back).
import { type Command, Option } from 'commander';
import { parsePciAddress } from '../../../src-shared/vocabulary/pci-address.js';
import { VM_MEMORY, parseSize } from '../../../src-shared/vocabulary/size.js';
import { type DevicePolicy, DevicePolicySchema } from '../../../src-shared/device.js';
import { withHelper, type CliContext } from '../cli-context.js';
import { callOperation, progressStyleFor } from '../operation-call.js';
import { formatBindPreview, formatDevice, formatDeviceList, formatPreflight } from '../device-format.js';
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
  device.command('prepare')
    .alias('bind')
    .argument('<address>', 'PCI address as lspci -D prints it, e.g. 0000:01:00.0', pciAddress)
    .option('--dry-run', 'change nothing: print the exact sysfs writes the bind (and a later release) would make', false)
    .description('Prepare for passthrough: bind the device and every endpoint of its IOMMU group to vfio-pci (bridges and pci-stub devices stay); refuses before any change when the group is not viable, a program uses it, or it is the boot GPU')
    .addOption(new Option('--policy <policy>', 'when a VM that used it stops: keep (stay on vfio-pci) or restore (back to the host driver)').choices(DevicePolicySchema.options).default('keep'))
    .option('--single-gpu', 'allow the boot GPU: the host display goes dark until it is restored', false)
    .option('--json', 'machine-readable output')
    .action(async (address: string, o: { policy: DevicePolicy; singleGpu: boolean; dryRun: boolean; json?: boolean }) => {
      if (o.dryRun) {
        const p = await withHelper(ctx, (h) => h.call('device.bindPreview', { address, singleGpu: o.singleGpu }));
        return out(json(o) ? JSON.stringify(p, null, 2) : formatBindPreview(p));
      }
      const r = await withHelper(ctx, (h) => callOperation(h, 'device.bind', { address, policy: o.policy, singleGpu: o.singleGpu }, { write: ctx.io.stderr, style: progressStyleFor(json(o)) }));
      if (json(o)) return out(JSON.stringify(r, null, 2));
      for (const w of r.warnings) ctx.io.stderr(`warning: ${w}\n`);
      const moved = r.binding.functions.filter((f) => f.originalDriver !== 'vfio-pci');
      out(r.changed
        ? `IOMMU group ${r.binding.group} is on vfio-pci: ${moved.map((f) => `${f.address} (was ${f.originalDriver ?? 'unbound'})`).join(', ')}`
        : `IOMMU group ${r.binding.group} was on vfio-pci already: nothing changed`);
    });
  device.command('release')
    .alias('restore')
    .argument('<address>', 'PCI address as lspci -D prints it, e.g. 0000:01:00.0', pciAddress)
    .description('Release: give the device\'s IOMMU group back to the drivers it had before Nova bound it (a function that had none stays unbound)')
    .option('--json', 'machine-readable output')
    .action(async (address: string, o: { json?: boolean }) => {
      const r = await withHelper(ctx, (h) => callOperation(h, 'device.restore', { address }, { write: ctx.io.stderr, style: progressStyleFor(json(o)) }));
      if (json(o)) return out(JSON.stringify(r, null, 2));
      out(r.restored.length > 0 ? `restored ${r.restored.join(', ')} to their host drivers` : `${address} was not bound by Nova: nothing changed`);
    });
}
