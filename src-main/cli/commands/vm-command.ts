// `nova vm|snapshot|logs`: VMs through the helper (`nova image` and the capsule side of `logs`
// live in capsule-command.ts). Listings take --json; errors keep the helper's code.
import { open, readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { z } from 'zod';
import type { HelperMethodName } from '../../../src-shared/api/nova-api.js';
import { NovaError } from '../../../src-shared/errors.js';
import type { vmMethods } from '../../../src-shared/api/vm-api.js';
import type { CloudInitSpecIn, VmInfo, VmNetworkChoice } from '../../../src-shared/vm.js';
import type { HelperClient } from '../../core/helper-client.js';
import type { CliContext } from '../cli-context.js';
import { callOperation, progressStyleFor } from '../operation-call.js';
import { isCapsuleKind, printCapsuleLogs, registerImageCommand } from './capsule-command.js';

type VmTable = typeof vmMethods;
type VmMethod = keyof VmTable;

/** Typed call for the VM table; the cast goes once vmMethods is spread into novaApi. */
async function vmCall<M extends VmMethod>(
  helper: HelperClient,
  method: M,
  params: z.input<VmTable[M]['params']>,
): Promise<z.output<VmTable[M]['result']>> {
  return (await helper.callRaw(method as unknown as HelperMethodName, params)) as z.output<VmTable[M]['result']>;
}

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
      const list = await withHelper((h) => vmCall(h, 'vm.list', {}));
      if (json(opts)) return out(JSON.stringify(list, null, 2));
      out(formatVmTable(list));
    });
  vm.command('create <name>')
    .description('Create a VM')
    .option('--cpus <n>', 'virtual CPUs', (v) => Number(v), 1)
    .option('--memory <size>', 'memory, e.g. 512Mi or 4Gi', '512Mi')
    .option('--disk-size <size>', 'a new empty qcow2 disk of this size')
    .option('--image <path>', 'an existing disk image (a linked overlay is made on it)')
    .option('--iso <path>', 'an installer ISO')
    .option('--kernel <path>', 'direct kernel boot: the kernel')
    .option('--initrd <path>', 'direct kernel boot: the initrd')
    .option('--cmdline <text>', 'direct kernel boot: the command line')
    .option('--machine <m>', 'q35 or microvm', 'q35')
    .option('--firmware <f>', 'bios or uefi', 'bios')
    .option('--accel <a>', 'auto, kvm or tcg', 'auto')
    .option('--display <d>', 'vnc, spice, both or none', 'vnc')
    .option('--network <n>', 'none, user, or nova:NAME for a Nova network (see nova net ls)', 'none')
    .option('--hostname <name>', "cloud-init: the guest's host name")
    .option('--user <login>', 'cloud-init: a user created with sudo rights (default: the image\'s own user)')
    .option('--password-file <file>', "cloud-init: the user's password, read from this file (- for stdin); stored hashed")
    .option('--ssh-key <key|file>', 'cloud-init: an SSH public key line, or a file of them (repeatable)', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('--from-template <vm>', 'create as a linked clone of this template')
    .option('--json', 'machine-readable output')
    .action(async (name: string, o: Record<string, string | number | boolean | string[] | undefined>) => {
      const cloudInit = await cloudInitFromOptions(
        { hostname: o.hostname as string | undefined, user: o.user as string | undefined, passwordFile: o.passwordFile as string | undefined, sshKeys: o.sshKey as string[] },
        readTextInput,
      );
      const spec = {
        name,
        cpus: o.cpus as number,
        memory: o.memory as string,
        machine: o.machine as 'q35' | 'microvm',
        firmware: o.firmware as 'bios' | 'uefi',
        accel: o.accel as 'auto' | 'kvm' | 'tcg',
        display: o.display as 'vnc' | 'spice' | 'both' | 'none',
        network: parseNetworkOption(String(o.network)),
        ...(cloudInit ? { cloudInit } : {}),
        ...(o.diskSize ? { diskSize: String(o.diskSize) } : {}),
        ...(o.image ? { image: String(o.image) } : {}),
        ...(o.iso ? { iso: String(o.iso) } : {}),
        ...(o.kernel ? { kernel: String(o.kernel) } : {}),
        ...(o.initrd ? { initrd: String(o.initrd) } : {}),
        ...(o.cmdline ? { cmdline: String(o.cmdline) } : {}),
        ...(o.fromTemplate ? { fromTemplate: String(o.fromTemplate) } : {}),
      };
      const info = await withHelper((h) => callOperation(h, 'vm.create', spec, progress({ json: o.json === true })));
      out(json(o) ? JSON.stringify(info, null, 2) : `created ${info.definition.name}`);
    });
  const simple = (verb: 'start' | 'pause' | 'resume' | 'reboot', what: string) =>
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
  vm.command('stop <name>')
    .description('Press the power button, then quit after the timeout')
    .option('--force', 'quit at once', false)
    .option('--timeout <seconds>', 'how long the guest gets to shut down', (v) => Number(v), 30)
    .action(async (name: string, o: { force: boolean; timeout: number }) => {
      const r = await withHelper((h) => vmCall(h, 'vm.stop', { name, force: o.force, timeoutMs: Math.round(o.timeout * 1000) }));
      out(`${name}: stopped${r.graceful ? '' : o.force ? ' (forced)' : ' (the guest did not shut down in time: quit)'}`);
    });
  vm.command('rm <name>')
    .description('Delete a VM')
    .option('--force', 'stop it first if it runs', false)
    .option('--keep-disks', 'keep its disk files', false)
    .action(async (name: string, o: { force: boolean; keepDisks: boolean }) => {
      await withHelper((h) => vmCall(h, 'vm.delete', { name, force: o.force, keepDisks: o.keepDisks }));
      out(`deleted ${name}`);
    });
  vm.command('console <name>')
    .description('Show how to reach the consoles of a running VM')
    .option('--json', 'machine-readable output')
    .action(async (name: string, o: { json?: boolean }) => {
      const c = await withHelper((h) => vmCall(h, 'vm.consoleInfo', { name }));
      if (json(o)) return out(JSON.stringify(c, null, 2));
      const lines = [`serial: ${c.serialSocket} (log ${c.serialLog})`];
      if (c.vnc) lines.push(`vnc: ${c.vnc.socket}; websocket ${c.vnc.websocketUrl}; password ${c.vnc.password}`);
      if (c.spice) lines.push(`spice: remote-viewer ${c.spice.uri}`);
      out(lines.join('\n'));
    });

  const snap = program.command('snapshot').description('VM snapshots');
  snap.command('vm <name>')
    .description('Take a snapshot (with RAM when the VM runs)')
    .option('--name <snapshot>', 'the snapshot name (default: a timestamp)')
    .option('--description <text>', 'what this snapshot is', '')
    .action(async (name: string, o: { name?: string; description: string }) => {
      const snapshot = o.name ?? `snap-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      const s = await withHelper((h) => callOperation(h, 'vm.snapshotCreate', { name, snapshot, description: o.description }, progress()));
      out(`${name}: snapshot ${s.name}${s.withMemory ? ' (with RAM)' : ' (disks only)'}`);
    });
  snap.command('ls')
    .description('List snapshots: nova snapshot ls vm NAME')
    .argument('<kind>', '"vm"')
    .argument('<name>')
    .option('--json', 'machine-readable output')
    .action(async (kind: string, name: string, o: { json?: boolean }) => {
      requireVm(kind);
      const tree = await withHelper((h) => vmCall(h, 'vm.snapshotList', { name }));
      if (json(o)) return out(JSON.stringify(tree, null, 2));
      const rows = tree.snapshots.map((s) => `${s.name === tree.current ? '*' : ' '} ${s.name.padEnd(24)} ${(s.parent ?? '-').padEnd(24)} ${s.withMemory ? 'ram+disk' : 'disk    '} ${s.createdAt} ${s.description}`);
      out(['  NAME                     PARENT                   KIND     CREATED', ...rows].join('\n'));
    });
  for (const [verb, method, what] of [
    ['restore', 'vm.snapshotRestore', 'Go back to a snapshot'],
    ['rm', 'vm.snapshotDelete', 'Delete a snapshot'],
  ] as const) {
    snap.command(verb)
      .description(`${what}: nova snapshot ${verb} vm NAME SNAPSHOT`)
      .argument('<kind>', '"vm"')
      .argument('<name>')
      .argument('<snapshot>')
      .action(async (kind: string, name: string, snapshot: string) => {
        requireVm(kind);
        await withHelper((h) => callOperation(h, method, { name, snapshot }, progress()));
        out(`${name}: ${verb === 'rm' ? 'deleted' : 'restored'} ${snapshot}`);
      });
  }

  // `nova image` serves VM images and OCI images alike: see registerImageCommand (capsule-command.ts).
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
      const { serialLog } = await withHelper((h) => vmCall(h, 'vm.consoleInfo', { name }));
      await printLog(serialLog, o.follow, ctx.io.stdout);
    });
}

/** `--network`: none, user, or nova:NAME. */
export function parseNetworkOption(text: string): VmNetworkChoice {
  if (text === 'none' || text === 'user') return text;
  const m = /^nova:(.+)$/.exec(text);
  if (m) return { nova: m[1]! };
  throw new NovaError('invalid_argument', `--network is none, user or nova:NAME (a Nova network), not "${text}"`);
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

export function formatVmTable(list: VmInfo[]): string {
  const header = 'NAME                 STATE     CPUS  MEMORY   MACHINE  PID';
  const rows = list.map((v) =>
    [
      v.definition.name.padEnd(20),
      (v.definition.template ? 'template' : v.state).padEnd(9),
      String(v.definition.cpus).padEnd(5),
      `${v.definition.memoryMiB}Mi`.padEnd(8),
      v.definition.machine.padEnd(8),
      v.pid ?? '-',
    ].join(' '),
  );
  return [header, ...rows].join('\n');
}
