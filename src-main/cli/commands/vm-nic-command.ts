// `nova vm nic add|rm|set|ls`: a VM's NICs, each named by its place (--index N, netN in
// QEMU) or its MAC. Network, MAC and model wait for the next start of a running VM; the
// link (cable in or out) reaches a running VM at once and is kept for its next starts.
import { Option, type Command } from 'commander';
import type { VmInfo, VmNetworkChoice } from '../../../src-shared/vm.js';
import { MAX_VM_NICS, NicModelSchema, showNicNetwork, type NicModel, type VmDeviceChangeIn } from '../../../src-shared/vm-devices.js';
import { parseMacAddress } from '../../../src-shared/vocabulary/mac-address.js';
import { parseVmNetworkChoice } from '../../../src-shared/vocabulary/vm-network-choice.js';
import type { CliContext } from '../cli-context.js';
import { nameArg, single, wholeNumber } from './option-parsers.js';

type Devices = (name: string, change: VmDeviceChangeIn, liveNow?: string[]) => Promise<void>;

interface NicOptions {
  index?: number;
  mac?: string | null;
  of?: string;
  network?: VmNetworkChoice;
  model?: NicModel;
  link?: 'up' | 'down';
}

/** One line per NIC: its place, network, MAC, model and link, and while it runs its tap and address. */
export function formatNics(info: VmInfo): string {
  const nics = info.definition.nics;
  if (nics.length === 0) return 'no NICs\n';
  return nics
    .map((n, i) => {
      const live = info.nics?.find((r) => (r.index ?? 0) === i);
      const parts = [`net${i}`, showNicNetwork(n.network), n.mac ?? live?.mac ?? 'automatic MAC', n.model ?? 'virtio', `link ${n.link ?? 'up'}`];
      if (live) parts.push(`tap ${live.ifname}`, live.address ? `address ${live.address}` : 'no address yet');
      return parts.join('  ') + '\n';
    })
    .join('');
}

export function registerVmNicCommands(vm: Command, devices: Devices, ctx: CliContext): void {
  const vmName = nameArg('vm');
  const mac = single(parseMacAddress);
  const index = wholeNumber('--index', 0, MAX_VM_NICS - 1);
  const nic = vm.command('nic').description("A VM's network interfaces (net0, net1, ...)");
  const modelOption = () => new Option('--model <m>', 'virtio, or e1000e for a guest without virtio drivers').choices(NicModelSchema.options);
  /** A command on one NIC of a VM: by its place or by its MAC. */
  const onNic = (verb: string, description: string) =>
    nic
      .command(verb)
      .description(description)
      .argument('<vm>', 'the VM', vmName)
      .option('--index <n>', 'which NIC: 0 for net0 (the default), 1 for net1, ...', index)
      .option('--of <mac>', 'which NIC: the one with this MAC', mac);

  nic
    .command('add')
    .description('Give the VM one more NIC, on a network (a running VM gets it at its next start)')
    .argument('<vm>', 'the VM', vmName)
    .option('--network <n>', 'user, or nova:NAME', single(parseVmNetworkChoice), 'user')
    .option('--mac <mac>', 'its MAC address (absent: the automatic one)', mac)
    .addOption(modelOption())
    .addOption(new Option('--link <state>', 'start with the cable in or out').choices(['up', 'down']))
    .action(async (name: string, o: NicOptions & { network: VmNetworkChoice }) => {
      await devices(name, { op: 'nic.add', network: o.network, ...(o.mac ? { mac: o.mac } : {}), ...(o.model ? { model: o.model } : {}), ...(o.link ? { link: o.link } : {}) });
    });

  onNic('set', "Change a NIC's network, MAC or model (at the next start), or its link (now, and kept)")
    .option('--network <n>', 'none (removes it), user, or nova:NAME', single(parseVmNetworkChoice))
    .option('--mac <mac>', 'its MAC address (auto: the automatic one)', (v: string) => (v === 'auto' ? null : mac(v)))
    .addOption(modelOption())
    .addOption(new Option('--link <state>', 'cable plugged in or not').choices(['up', 'down']))
    .action(async (name: string, o: NicOptions) => {
      const change: VmDeviceChangeIn = { op: 'nic.set', ...pick(o, ['index', 'of', 'network', 'mac', 'model', 'link']) };
      await devices(name, change, o.link ? [`net${o.index ?? 0} link ${o.link}`] : []);
    });

  onNic('rm', 'Remove a NIC (a running VM keeps it until its next start); the NICs after it move up one place').action(async (name: string, o: NicOptions) => {
      await devices(name, { op: 'nic.remove', ...(o.index !== undefined ? { index: o.index } : {}), ...(o.of !== undefined ? { mac: o.of } : {}) });
    });

  nic
    .command('ls')
    .description("List the VM's NICs; while it runs, each one's tap and DHCP address")
    .argument('<vm>', 'the VM', vmName)
    .action(async (name: string) => {
      const h = await ctx.connectHelper();
      try {
        const info = await h.call('vm.get', { name });
        ctx.io.stdout(ctx.globals().json ? JSON.stringify({ nics: info.definition.nics, running: info.nics ?? [] }, null, 2) + '\n' : formatNics(info));
      } finally {
        h.close();
      }
    });
}

function pick<T extends object, K extends keyof T>(o: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}
