// `nova vm|snapshot|logs`: VMs through the helper (`nova image` and the capsule side of `logs`
// live in capsule-command.ts). Listings take --json; errors keep the helper's code.
import type { BrokenRecord } from '../../../src-shared/broken-record.js';
import { brokenHint, brokenRows } from '../broken-format.js';
import { open, readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { NovaError } from '../../../src-shared/errors.js';
import { healthColumn } from '../../../src-shared/health.js';
import {
  AccelChoiceSchema,
  DEFAULT_VM_MEMORY_MIB,
  FirmwareSchema,
  MachineProfileSchema,
  VmCreateSpecSchema,
  type CloudInitSpecIn,
  type VmCreateSpecIn,
  type VmInfo,
} from '../../../src-shared/vm.js';
import { DISK_SIZE, formatSize, parseFilePath, parseUsbSelector, parseVmNetworkChoice, VM_MEMORY, type Parsed } from '../../../src-shared/vocabulary/index.js';
import { parseMdevSpec, parseResolution, type VmMdev } from '../../../src-shared/vm-passthrough.js';
import type { HelperClient } from '../../core/helper-client.js';
import type { CliContext } from '../cli-context.js';
import { callOperation, progressStyleFor } from '../operation-call.js';
import { isCapsuleKind, printCapsuleLogs } from './capsule-command.js';
import { registerImageCommand } from './image-command.js';
import { actOnCapsuleSnapshot, listCapsuleSnapshots, registerCapsuleSnapshotCommand } from './capsule-snapshot-command.js';
import { registerSnapshotPruneCommand } from './snapshot-prune-command.js';
import { nameArg, repeated, single, sizeArg, wholeNumber } from './option-parsers.js';

const SIZE_HELP = 'e.g. 512Mi, 2Gi, 2GiB or 2g; a bare number is MiB (2048 = 2 GiB)';

export function registerVmCommands(program: Command, ctx: CliContext): void {
  const withHelper = async <T>(work: (h: HelperClient) => Promise<T>): Promise<T> => {
    const h = await ctx.connectHelper();
    try {
      return await work(h);
    } finally {
      h.close();
    }
  };
  const json = (opts: { json?: boolean }) => opts.json === true || ctx.globals().json;
  const out = (text: string) => ctx.io.stdout(text.endsWith('\n') ? text : text + '\n');
  // Long actions show their operation's progress on stderr; Ctrl+C cancels it.
  const progress = (opts: { json?: boolean } = {}) => ({ write: ctx.io.stderr, style: progressStyleFor(json(opts)) });

  const vm = program.command('vm').description('Virtual machines');
  vm.command('ls')
    .description('List VMs')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const list = await withHelper((h) => h.call('vm.list', {}));
      if (json(opts)) return out(JSON.stringify(list, null, 2));
      out(formatVmTable(list.vms, list.broken));
    });
  vm.command('create')
    .description('Create a VM')
    .argument('<name>', 'the VM name: lowercase letters, digits and "-"', nameArg('vm'))
    .option('--cpus <n>', 'virtual CPUs', wholeNumber('--cpus', 1, 256))
    .option('--memory <size>', `memory (default ${formatSize(DEFAULT_VM_MEMORY_MIB)}), ${SIZE_HELP}`, sizeArg(VM_MEMORY))
    .option('--disk-size <size>', `a new empty qcow2 disk of this size, ${SIZE_HELP}`, sizeArg(DISK_SIZE))
    .option('--image <path>', 'an existing disk image (a linked overlay is made on it)', single(parseFilePath))
    .option('--iso <path>', 'an installer ISO', single(parseFilePath))
    .option('--kernel <path>', 'direct kernel boot: the kernel', single(parseFilePath))
    .option('--initrd <path>', 'direct kernel boot: the initrd', single(parseFilePath))
    .option('--cmdline <text>', 'direct kernel boot: the command line')
    .addOption(new Option('--machine <m>', 'machine type').choices(MachineProfileSchema.options).default('q35'))
    .addOption(new Option('--firmware <f>', 'firmware (default: bios, or what --os needs)').choices(FirmwareSchema.options))
    .option('--os <id>', 'OS profile: windows11 (UEFI Secure Boot, TPM, Hyper-V), or an osinfo id such as debian11 (osinfo-query os)')
    .option('--tpm', 'a TPM 2.0 (swtpm); windows11 has one by default')
    .option('--secure-boot', 'UEFI Secure Boot (firmware uefi-secure)')
    .option('--hyperv', 'Hyper-V enlightenments for Windows guests')
    .addOption(new Option('--accel <a>', 'accelerator').choices(AccelChoiceSchema.options).default('auto'))
    .addOption(new Option('--display <d>', 'consoles').choices(DISPLAYS).default('vnc'))
    .option('--network <n>', 'none, user, or nova:NAME for a Nova network (see nova net ls)', single(parseVmNetworkChoice), 'none' as const)
    .option('--hostname <name>', "cloud-init: the guest's host name")
    .option('--user <login>', 'cloud-init: a user created with sudo rights (default: the image\'s own user)')
    .option('--password-file <file>', "cloud-init: the user's password, read from this file (- for stdin); stored hashed")
    .option('--ssh-key <key|file>', 'cloud-init: an SSH public key line, or a file of them (repeatable)', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('--from-template <vm>', 'create as a linked clone of this template', nameArg('vm'))
    .option('--usb <device>', 'a USB device plugged at each start: usb:VENDOR:PRODUCT, usb:BUS-PORT or usb:tablet (repeatable)', repeated(parseUsbSelector))
    .option('--looking-glass <WxH>', "Looking Glass's shared memory for this resolution, e.g. 2560x1440", single(parseResolutionText))
    .option('--mdev <mdev:PARENT:TYPE>', 'a mediated device (vGPU slice) made at each start, e.g. mdev:0000:00:02.0:i915-GVTg_V5_4 (repeatable)', repeated(parseMdevSpec))
    .option('--single-gpu', 'single-GPU mode: the boot GPU may be passed (the host screen goes dark while the VM runs)')
    .option('--json', 'machine-readable output')
    .action(async (name: string, o: VmCreateOptions) => {
      const cloudInit = await cloudInitFromOptions(
        { hostname: o.hostname, user: o.user, passwordFile: o.passwordFile, sshKeys: o.sshKey },
        readTextInput,
      );
      const spec = vmCreateSpecFromOptions(name, o, cloudInit);
      const info = await withHelper((h) => callOperation(h, 'vm.create', spec, progress({ json: o.json === true })));
      out(json(o) ? JSON.stringify(info, null, 2) : `created ${info.definition.name}`);
    });
  const simple = (verb: 'start' | 'pause' | 'resume' | 'reboot' | 'suspend', what: string) =>
    vm.command(`${verb} <name>`)
      .description(what)
      .action(async (name: string) => {
        const info = await withHelper((h) => callOperation(h, `vm.${verb}`, { name }, progress()));
        out(`${info.definition.name}: ${info.state}`);
      });
  simple('start', 'Start a VM');
  simple('pause', 'Pause a VM');
  simple('resume', 'Resume a paused VM');
  simple('reboot', 'Reset a VM');
  simple('suspend', "Suspend a VM to disk: its state saved in its folder, QEMU stopped; a start resumes it (a stop discards the saved state)");
  vm.command('stop <name>')
    .description('Press the power button, then quit after the timeout')
    .option('--force', 'quit at once', false)
    .option('--timeout <seconds>', 'how long the guest gets to shut down', (v) => Number(v), 30)
    .action(async (name: string, o: { force: boolean; timeout: number }) => {
      const r = await withHelper((h) => h.call('vm.stop', { name, force: o.force, timeoutMs: Math.round(o.timeout * 1000) }));
      out(`${name}: stopped${r.graceful ? '' : o.force ? ' (forced)' : ' (the guest did not shut down in time: quit)'}`);
    });
  vm.command('rm <name>')
    .description('Delete a VM')
    .option('--force', 'stop it first if it runs', false)
    .option('--keep-disks', 'keep its disk files', false)
    .action(async (name: string, o: { force: boolean; keepDisks: boolean }) => {
      await withHelper((h) => h.call('vm.delete', { name, force: o.force, keepDisks: o.keepDisks }));
      out(`deleted ${name}`);
    });
  vm.command('console <name>')
    .description('Show how to reach the consoles of a running VM')
    .option('--json', 'machine-readable output')
    .action(async (name: string, o: { json?: boolean }) => {
      const c = await withHelper((h) => h.call('vm.consoleInfo', { name }));
      if (json(o)) return out(JSON.stringify(c, null, 2));
      const lines = [`serial: ${c.serialSocket} (log ${c.serialLog})`];
      if (c.vnc) lines.push(`vnc: ${c.vnc.socket}; websocket ${c.vnc.websocketUrl}; password ${c.vnc.password}`);
      if (c.spice) lines.push(`spice: remote-viewer ${c.spice.uri}`);
      out(lines.join('\n'));
    });

  const snap = program.command('snapshot').description('VM and capsule snapshots');
  snap.command('vm <name>')
    .description('Take a snapshot (with RAM when the VM runs)')
    .option('--name <snapshot>', 'the snapshot name (default: a timestamp): letters, digits, ".", "_" and "-"', nameArg('vm-snapshot'))
    .option('--description <text>', 'what this snapshot is', '')
    .option('--keep-forever', "never pruned by the VM's snapshot policy", false)
    .action(async (name: string, o: { name?: string; description: string; keepForever: boolean }) => {
      const snapshot = o.name ?? `snap-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      const s = await withHelper((h) => callOperation(h, 'vm.snapshotCreate', { name, snapshot, description: o.description, keepForever: o.keepForever }, progress()));
      out(`${name}: snapshot ${s.name}${s.withMemory ? ' (with RAM)' : ' (disks only)'}${s.keepForever ? ', kept forever' : ''}`);
    });
  snap.command('ls')
    .description('List snapshots: nova snapshot ls vm|capsule NAME')
    .argument('<kind>', '"vm" or "capsule"')
    .argument('<name>')
    .option('--json', 'machine-readable output')
    .action(async (kind: string, name: string, o: { json?: boolean }) => {
      if (isCapsuleKind(kind)) return ctx.io.stdout(await listCapsuleSnapshots(ctx, name, json(o)));
      requireVm(kind);
      const tree = await withHelper((h) => h.call('vm.snapshotList', { name }));
      if (json(o)) return out(JSON.stringify(tree, null, 2));
      const rows = tree.snapshots.map((s) => `${s.name === tree.current ? '*' : ' '} ${s.name.padEnd(24)} ${(s.parent ?? '-').padEnd(24)} ${s.withMemory ? 'ram+disk' : 'disk    '} ${s.createdAt} ${s.description}`);
      out(['  NAME                     PARENT                   KIND     CREATED', ...rows].join('\n'));
    });
  for (const [verb, method, what] of [
    ['restore', 'vm.snapshotRestore', 'Go back to a snapshot'],
    ['rm', 'vm.snapshotDelete', 'Delete a snapshot'],
  ] as const) {
    snap.command(verb)
      .description(`${what}: nova snapshot ${verb} vm|capsule NAME SNAPSHOT`)
      .argument('<kind>', '"vm" or "capsule"')
      .argument('<name>')
      .argument('<snapshot>')
      .action(async (kind: string, name: string, snapshot: string) => {
        if (isCapsuleKind(kind)) return ctx.io.stdout(await actOnCapsuleSnapshot(ctx, verb, name, snapshot));
        requireVm(kind);
        await withHelper((h) => callOperation(h, method, { name, snapshot }, progress()));
        out(`${name}: ${verb === 'rm' ? 'deleted' : 'restored'} ${snapshot}`);
      });
  }

  registerCapsuleSnapshotCommand(snap, ctx);
  registerSnapshotPruneCommand(snap, ctx);

  // `nova image` serves VM images and OCI images alike: see image-command.ts.
  registerImageCommand(program, ctx);

  program
    .command('logs')
    .description("A VM's serial console log or a capsule's output: nova logs vm|container NAME [--follow]")
    .argument('<kind>', '"vm", or "container" (or "capsule")')
    .argument('<name>')
    .option('-f, --follow', 'keep printing as the guest writes', false)
    .option('--since <time>', 'capsules: lines since a time (2026-01-02T03:04:05Z) or for a duration (10m, 2h)')
    .option('--tail <n>', 'capsules: only the last N lines', (v) => Number(v))
    .option('-t, --timestamps', 'capsules: prefix each line with its time', false)
    .action(async (kind: string, name: string, o: { follow: boolean; since?: string; tail?: number; timestamps: boolean }) => {
      if (isCapsuleKind(kind)) return printCapsuleLogs(ctx, name, o);
      requireVm(kind);
      const host = ctx.globals().host;
      if (host !== undefined && host !== 'local') {
        await withHelper((h) => printRemoteLog(h, name, o.follow, ctx.io.stdout));
        return;
      }
      const { serialLog } = await withHelper((h) => h.call('vm.consoleInfo', { name }));
      await printLog(serialLog, o.follow, ctx.io.stdout);
    });
}

const DISPLAYS = VmCreateSpecSchema.shape.display.unwrap().options;

export interface VmCreateOptions {
  cpus?: number;
  /** MiB, parsed by the vocabulary. */
  memory?: number;
  diskSize?: number;
  image?: string;
  iso?: string;
  kernel?: string;
  initrd?: string;
  cmdline?: string;
  machine: VmCreateSpecIn['machine'];
  firmware?: VmCreateSpecIn['firmware'];
  os?: string;
  tpm?: boolean;
  secureBoot?: boolean;
  hyperv?: boolean;
  accel: VmCreateSpecIn['accel'];
  display: VmCreateSpecIn['display'];
  network: NonNullable<VmCreateSpecIn['network']>;
  hostname?: string;
  user?: string;
  passwordFile?: string;
  sshKey: string[];
  fromTemplate?: string;
  usb?: string[];
  lookingGlass?: string;
  mdev?: VmMdev[];
  singleGpu?: boolean;
  json?: boolean;
}

function parseResolutionText(text: string): Parsed<string> {
  const r = parseResolution(text);
  return r.ok ? { ok: true, value: `${r.value.width}x${r.value.height}` } : r;
}

/** The `vm.create` params for `nova vm create NAME [flags]`: the flags' parsed values, and only those given. */
export function vmCreateSpecFromOptions(name: string, o: VmCreateOptions, cloudInit: CloudInitSpecIn | null): VmCreateSpecIn {
  return {
    name,
    machine: o.machine,
    accel: o.accel,
    ...(o.firmware !== undefined ? { firmware: o.firmware } : {}),
    ...(o.os !== undefined ? { os: o.os } : {}),
    ...(o.tpm ? { tpm: true } : {}),
    ...(o.secureBoot ? { secureBoot: true } : {}),
    ...(o.hyperv ? { hyperv: true } : {}),
    display: o.display,
    network: o.network,
    ...(o.cpus !== undefined ? { cpus: o.cpus } : {}),
    ...(o.memory !== undefined ? { memory: o.memory } : {}),
    ...(o.diskSize !== undefined ? { diskSize: o.diskSize } : {}),
    ...(cloudInit ? { cloudInit } : {}),
    ...(o.image ? { image: o.image } : {}),
    ...(o.iso ? { iso: o.iso } : {}),
    ...(o.kernel ? { kernel: o.kernel } : {}),
    ...(o.initrd ? { initrd: o.initrd } : {}),
    ...(o.cmdline ? { cmdline: o.cmdline } : {}),
    ...(o.fromTemplate ? { fromTemplate: o.fromTemplate } : {}),
    ...(o.usb ? { usb: o.usb } : {}),
    ...(o.lookingGlass ? { lookingGlass: { resolution: o.lookingGlass } } : {}),
    ...(o.mdev ? { mdevs: o.mdev } : {}),
    ...(o.singleGpu ? { singleGpu: true } : {}),
  };
}

export interface CloudInitOptions {
  hostname?: string;
  user?: string;
  passwordFile?: string;
  sshKeys: string[];
}

/** The cloud-init flags as the contract's spec (the helper validates it); null when none is given. */
export async function cloudInitFromOptions(o: CloudInitOptions, read: (file: string) => Promise<string>): Promise<CloudInitSpecIn | null> {
  if (o.hostname === undefined && o.user === undefined && o.passwordFile === undefined && o.sshKeys.length === 0) return null;
  const keys: string[] = [];
  for (const k of o.sshKeys) {
    if (/^(?:ssh-|ecdsa-|sk-)/.test(k)) keys.push(k.trim());
    else keys.push(...(await read(k)).split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#')));
  }
  let password: string | undefined;
  if (o.passwordFile !== undefined) {
    password = (await read(o.passwordFile)).replace(/\r?\n$/, '');
    if (!password) throw new NovaError('invalid_argument', `--password-file ${o.passwordFile} is empty: write the password into it`);
  }
  return {
    ...(o.hostname !== undefined ? { hostname: o.hostname } : {}),
    ...(o.user !== undefined ? { user: o.user } : {}),
    ...(password !== undefined ? { password } : {}),
    sshAuthorizedKeys: keys,
  };
}

async function readTextInput(file: string): Promise<string> {
  if (file === '-') {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }
  try {
    return await readFile(resolve(file), 'utf8');
  } catch (err) {
    throw new NovaError('invalid_argument', `cannot read ${file}: ${(err as Error).message}`);
  }
}

function requireVm(kind: string): void {
  if (kind !== 'vm') throw new NovaError('invalid_argument', `expected "vm", got "${kind}" (only VMs have snapshots and logs for now)`);
}

/** The same through the helper (vm.logs): the log lies on another host. */
async function printRemoteLog(h: HelperClient, name: string, follow: boolean, write: (s: string) => void): Promise<void> {
  let offset = 0;
  for (;;) {
    const page = await h.call('vm.logs', { name, offset });
    if (page.text) write(page.text);
    const more = page.nextOffset < page.size;
    offset = page.nextOffset;
    if (more) continue;
    if (!follow) return;
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Prints the log, then (with follow) polls it for growth until interrupted. */
async function printLog(path: string, follow: boolean, write: (s: string) => void): Promise<void> {
  let offset = 0;
  for (;;) {
    const size = await stat(path).then((s) => s.size, () => 0);
    if (size < offset) offset = 0; // the VM restarted and the log began again
    if (size > offset) {
      const fh = await open(path, 'r');
      try {
        const buf = Buffer.alloc(size - offset);
        await fh.read(buf, 0, buf.length, offset);
        write(buf.toString('utf8'));
      } finally {
        await fh.close();
      }
      offset = size;
    }
    if (!follow) return;
    await new Promise((r) => setTimeout(r, 250));
  }
}

export function formatVmTable(list: VmInfo[], broken: readonly BrokenRecord[] = []): string {
  const header = 'NAME                 STATE     HEALTH     CPUS  MEMORY   MACHINE  PID';
  const rows = list.map((v) =>
    [
      v.definition.name.padEnd(20),
      (v.definition.template ? 'template' : v.state).padEnd(9),
      healthColumn(v.health).padEnd(10),
      String(v.definition.cpus).padEnd(5),
      formatSize(v.definition.memoryMiB).padEnd(8),
      v.definition.machine.padEnd(8),
      v.pid ?? '-',
    ].join(' '),
  );
  return [header, ...rows, ...brokenRows(broken, 20, 9)].join('\n') + brokenHint(broken, 'nova vm rm') + installedHint(list);
}

/** A VM whose ISO install finished (the guest restarted with an installed disk) offers to eject its CD. */
function installedHint(list: readonly VmInfo[]): string {
  return list
    .filter((v) => v.ejectSuggested)
    .map((v) => `\n${v.definition.name}: the install finished; eject its CD so it boots from its disk: nova vm cd eject ${v.definition.name}`)
    .join('');
}
