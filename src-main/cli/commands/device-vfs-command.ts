// `nova device vfs ADDR COUNT`: a physical function's SR-IOV virtual functions made (each
// then passable to a VM like any device: nova device ls lists them), or removed with 0.
import type { Command } from 'commander';
import { parsePciAddress } from '../../../src-shared/vocabulary/pci-address.js';
import { withHelper, type CliContext } from '../cli-context.js';
import { single, wholeNumber } from './option-parsers.js';

export function registerDeviceVfsCommand(program: Command, ctx: CliContext): void {
  const device = program.commands.find((c) => c.name() === 'device') ?? program.command('device').description('Host devices');
  device.command('vfs')
    .description("Make COUNT SR-IOV virtual functions on a device (0 removes them); they come up with no host driver, free for VMs")
    .argument('<address>', 'the physical function, e.g. 0000:05:00.0', single(parsePciAddress))
    .argument('<count>', 'how many virtual functions (0: none)', wholeNumber('count', 0, 2048))
    .action(async (address: string, count: number) => {
      const r = await withHelper(ctx, (h) => h.call('device.sriovSet', { address, count }));
      const text = r.vfs.length === 0 ? `${address}: no virtual functions (it can make ${r.totalVfs})` : `${address}: ${r.vfs.length} of ${r.totalVfs} virtual functions: ${r.vfs.join(', ')}`;
      ctx.io.stdout((ctx.globals().json ? JSON.stringify(r, null, 2) : text) + '\n');
    });
}
