// `nova vm set|disk|cd|nic|boot-order`: a VM's hardware after create, each one
// `vm.update` call. What a running VM takes now (CD media, disk growth, the NIC's link)
// is said apart from what waits for its next start, as the helper reports it.
import { Option, type Command } from 'commander';
import { FirmwareSchema, type Firmware, type VmInfo, type VmUpdateSpecIn } from '../../../src-shared/vm.js';
import { BootDeviceSchema, DiskBusSchema, DiskCacheSchema, type VmDeviceChangeIn } from '../../../src-shared/vm-devices.js';
import { DISK_SIZE, formatSize, VM_MEMORY } from '../../../src-shared/vocabulary/size.js';
import { parseFilePath } from '../../../src-shared/vocabulary/posix-path.js';
import { fail, ok, type Parsed } from '../../../src-shared/vocabulary/parsed.js';
import { parseResolution } from '../../../src-shared/vm-passthrough.js';
import type { CliContext } from '../cli-context.js';
import { registerVmShareCommands } from './vm-share-command.js';
import { registerVmNicCommands } from './vm-nic-command.js';
import { AUTOSTART_MAX_DELAY_SECONDS, AUTOSTART_MAX_ORDER, VmRestartPolicySchema, type AutostartIn, type VmRestartPolicy } from '../../../src-shared/vm-lifecycle.js';
import { nameArg, single, sizeArg, wholeNumber } from './option-parsers.js';

const SIZE_HELP = 'e.g. 8Gi; a bare number is MiB';
const DISPLAYS = ['vnc', 'spice', 'both', 'none'] as const;

function parseDiskId(text: string): Parsed<string> {
  return /^disk[0-9]{1,2}$/.test(text) ? ok(text) : fail(`"${text}" is not a disk; disks are named disk0, disk1, ... (see nova vm show)`);
}
function parseCdDrive(text: string): Parsed<string> {
  return /^cd[0-3]$/.test(text) ? ok(text) : fail(`"${text}" is not a CD drive; drives are cd0 (the installer) to cd3`);
}
function parseOnOff(text: string): Parsed<'on' | 'off'> {
  return text === 'on' || text === 'off' ? ok(text) : fail(`"${text}" is neither on nor off`);
}
/** "2560x1440", or off to remove Looking Glass's region (kept as "off": commander turns a null value into ""). */
function parseLookingGlass(text: string): Parsed<string> {
  if (text === 'off') return ok('off');
  const r = parseResolution(text);
  return r.ok ? ok(`${r.value.width}x${r.value.height}`) : fail(`${r.message}, or off`);
}
function parseBootOrder(text: string): Parsed<string[] | null> {
  if (text === 'auto') return ok(null);
  const items = text.split(',').map((s) => s.trim());
  const bad = items.find((i) => !BootDeviceSchema.safeParse(i).success);
  return bad === undefined ? ok(items) : fail(`"${bad}" is not a boot device; give diskN, cdN or net0, comma-separated (or auto)`);
}

interface VmSetOptions {
  cpus?: number;
  memory?: number;
  machine?: 'q35' | 'microvm';
  display?: (typeof DISPLAYS)[number];
  bootOrder?: string[] | null;
  autostart?: boolean | 'on' | 'off';
  autostartOrder?: number;
  autostartDelay?: number;
  restart?: VmRestartPolicy;
  firmware?: Firmware;
  secureBoot?: boolean;
  tpm?: boolean;
  hyperv?: boolean;
  lookingGlass?: string;
  singleGpu?: boolean;
}

/** --autostart, or an order or delay, marks it; --no-autostart unmarks it; none of them leaves it as it is. */
export function autostartOf(o: Pick<VmSetOptions, 'autostart' | 'autostartOrder' | 'autostartDelay'>): AutostartIn | null | undefined {
  if (o.autostart === 'off') return null;
  if (o.autostart === undefined && o.autostartOrder === undefined && o.autostartDelay === undefined) return undefined;
  return { order: o.autostartOrder ?? 0, delaySeconds: o.autostartDelay ?? 0 };
}

/** What the change did, as a person reads it: saved for a stopped VM; now and at the next start for a running one. */
export function describeUpdate(info: VmInfo, liveNow: readonly string[]): string {
  const name = info.definition.name;
  if (info.state !== 'running' && info.state !== 'paused') return `${name}: saved; takes effect when it starts`;
  const lines = [`${name}: updated`];
  if (liveNow.length > 0) lines.push(`  applied now: ${liveNow.join(', ')}`);
  const pending = info.pendingChanges ?? [];
  if (pending.length > 0) lines.push(`  at the next start: ${pending.join('; ')}`);
  return lines.join('\n');
}

export function registerVmHardwareCommands(program: Command, ctx: CliContext): void {
  const vm = program.commands.find((c) => c.name() === 'vm') ?? program.command('vm').description('Virtual machines');
  registerVmShareCommands(vm, ctx);
  const update = async (spec: VmUpdateSpecIn, liveNow: string[] = []) => {
    const h = await ctx.connectHelper();
    try {
      const info = await h.call('vm.update', spec);
      ctx.io.stdout((ctx.globals().json ? JSON.stringify(info, null, 2) : describeUpdate(info, liveNow)) + '\n');
    } finally {
      h.close();
    }
  };
  const devices = (name: string, change: VmDeviceChangeIn, liveNow: string[] = []) => update({ name, devices: [change] }, liveNow);
  const vmName = nameArg('vm');
  const diskId = single(parseDiskId);

  vm.command('set')
    .description('Change CPUs, memory, machine, display, Looking Glass or single-GPU mode (a running VM takes them at its next start); firmware, TPM and Hyper-V on a stopped VM')
    .argument('<vm>', 'the VM', vmName)
    .option('--cpus <n>', 'virtual CPUs', wholeNumber('--cpus', 1, 256))
    .option('--memory <size>', `memory, ${SIZE_HELP}`, sizeArg(VM_MEMORY))
    .addOption(new Option('--machine <m>', 'machine type').choices(['q35', 'microvm']))
    .addOption(new Option('--display <d>', 'consoles').choices(DISPLAYS))
    .option('--boot-order <list>', 'boot devices in order, e.g. disk0,cd0 (auto: an installed disk first)', single(parseBootOrder))
    .addOption(new Option('--firmware <f>', 'firmware (a new one starts from fresh UEFI variables)').choices(FirmwareSchema.options))
    .option('--secure-boot', 'UEFI Secure Boot (firmware uefi-secure)')
    .option('--no-secure-boot', 'plain UEFI, without Secure Boot')
    .option('--tpm', 'add a TPM 2.0 (swtpm)')
    .option('--no-tpm', 'remove the TPM and its state')
    .option('--hyperv', 'Hyper-V enlightenments (Windows guests)')
    .option('--no-hyperv', 'no Hyper-V enlightenments')
    // Not --no-autostart: that is the global option about starting the helper.
    .option('--autostart [on|off]', 'start it when the host boots (see --autostart-order, --autostart-delay); off: no longer', single(parseOnOff))
    .option('--autostart-order <n>', `lower starts first, 0 to ${AUTOSTART_MAX_ORDER} (implies --autostart)`, wholeNumber('--autostart-order', 0, AUTOSTART_MAX_ORDER))
    .option('--autostart-delay <seconds>', `seconds to wait before starting it, up to ${AUTOSTART_MAX_DELAY_SECONDS} (implies --autostart)`, wholeNumber('--autostart-delay', 0, AUTOSTART_MAX_DELAY_SECONDS))
    .option('--looking-glass <WxH|off>', 'shared memory for the Looking Glass client, sized for this resolution (e.g. 2560x1440); off: none', single(parseLookingGlass))
    .option('--single-gpu', 'single-GPU mode: allow passing the boot GPU (the host screen goes dark while the VM runs)')
    .option('--no-single-gpu', 'the boot GPU is refused again')
    .addOption(new Option('--restart <policy>', 'start it again when QEMU dies (on-crash), or also when the guest powers off (always); never after a stop').choices(VmRestartPolicySchema.options))
    .action(async (name: string, o: VmSetOptions) => {
      const { cpus, memory, machine, display, bootOrder, firmware, secureBoot, tpm, hyperv, restart, singleGpu } = o;
      const devices: VmDeviceChangeIn[] = o.lookingGlass !== undefined ? [{ op: 'lookingGlass.set', resolution: o.lookingGlass === 'off' ? null : o.lookingGlass }] : [];
      await update({ name, cpus, memory, machine, display, bootOrder, firmware, secureBoot, tpm, hyperv, autostart: autostartOf(o), restart, singleGpu, ...(devices.length > 0 ? { devices } : {}) });
    });

  const disk = vm.command('disk').description("A VM's disks");
  disk
    .command('add <vm>')
    .description('Add a new empty disk (--size) or an existing file (--path)')
    .option('--size <size>', `a new qcow2 disk of this size, ${SIZE_HELP}`, sizeArg(DISK_SIZE))
    .option('--path <file>', 'an existing qcow2 or raw disk, used in place', single(parseFilePath))
    .addOption(new Option('--bus <bus>', 'virtio (fastest), sata (every installer sees it) or scsi').choices(DiskBusSchema.options).default('virtio'))
    .addOption(new Option('--cache <mode>', 'cache mode').choices(DiskCacheSchema.options).default('writeback'))
    .action(async (name: string, o: { size?: number; path?: string; bus: 'virtio'; cache: 'writeback' }) => {
      await devices(name, { op: 'disk.add', ...(o.size !== undefined ? { size: o.size } : {}), ...(o.path ? { path: o.path } : {}), bus: o.bus, cache: o.cache });
    });
  disk
    .command('rm')
    .description('Remove a disk; a disk Nova made is deleted unless --keep-file')
    .argument('<vm>', 'the VM', vmName)
    .argument('<disk>', 'disk0, disk1, ...', diskId)
    .option('--keep-file', 'detach it and leave its file', false)
    .action(async (name: string, id: string, o: { keepFile: boolean }) => {
      await devices(name, { op: 'disk.remove', id, keepFile: o.keepFile });
    });
  disk
    .command('resize')
    .description('Grow a disk (live on a running VM); disks never shrink')
    .argument('<vm>', 'the VM', vmName)
    .argument('<disk>', 'disk0, disk1, ...', diskId)
    .argument('<size>', `the new size, ${SIZE_HELP}`, sizeArg(DISK_SIZE))
    .action(async (name: string, id: string, size: number) => {
      await devices(name, { op: 'disk.resize', id, size }, [`${id} grown to ${formatSize(size)}`]);
    });
  disk
    .command('set')
    .description("Change a disk's bus or cache mode (at the next start)")
    .argument('<vm>', 'the VM', vmName)
    .argument('<disk>', 'disk0, disk1, ...', diskId)
    .addOption(new Option('--bus <bus>', 'bus').choices(DiskBusSchema.options))
    .addOption(new Option('--cache <mode>', 'cache mode').choices(DiskCacheSchema.options))
    .action(async (name: string, id: string, o: { bus?: 'virtio'; cache?: 'writeback' }) => {
      await devices(name, { op: 'disk.set', id, bus: o.bus, cache: o.cache });
    });

  const cd = vm.command('cd').description("A VM's CD drives: cd0 (the installer) to cd3 (e.g. a driver ISO)");
  cd.command('insert <vm> <iso>')
    .description('Put an ISO into a drive (live on a running VM); a drive that does not exist yet is added')
    .option('--drive <cdN>', 'the drive', single(parseCdDrive), 'cd0')
    .action(async (name: string, iso: string, o: { drive: string }) => {
      await devices(name, { op: 'cd.insert', drive: o.drive, path: single(parseFilePath)(iso) }, [`${o.drive} holds ${iso}`]);
    });
  cd.command('eject <vm>')
    .description('Take the disc out of a drive (live on a running VM)')
    .option('--drive <cdN>', 'the drive', single(parseCdDrive), 'cd0')
    .action(async (name: string, o: { drive: string }) => {
      await devices(name, { op: 'cd.eject', drive: o.drive }, [`${o.drive} ejected`]);
    });
  cd.command('rm')
    .description('Remove a CD drive (at the next start)')
    .argument('<vm>', 'the VM', vmName)
    .argument('<drive>', 'cd0 to cd3', single(parseCdDrive))
    .action(async (name: string, drive: string) => {
      await devices(name, { op: 'cd.remove', drive });
    });

  registerVmNicCommands(vm, devices, ctx);
}
