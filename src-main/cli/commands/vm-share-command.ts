// `nova vm share add|rm|ls`: a VM's shared folders, each change the whole list sent with
// vm.update (tags of the shares that stay are kept by the helper). A relative host path
// is taken from the current folder, as `nova capsule create -v` takes it.
import type { Command } from 'commander';
import { NovaError } from '../../../src-shared/errors.js';
import { guestMountCommand, shareTransport, type VmShare } from '../../../src-shared/vm-shares.js';
import { parseVolume, resolveVolume } from '../../../src-shared/vocabulary/volume.js';
import { fail, ok, type Parsed } from '../../../src-shared/vocabulary/parsed.js';
import type { CliContext } from '../cli-context.js';
import { nameArg, single } from './option-parsers.js';

function parseShareTag(text: string): Parsed<string> {
  return /^share[0-7]$/.test(text) ? ok(text) : fail(`"${text}" is not a share; shares are share0 ... share7 (see nova vm share ls)`);
}

/** One line per share, with what carries it and the mount command the guest needs. */
export function formatShares(shares: readonly VmShare[]): string {
  if (shares.length === 0) return 'no shared folders\n';
  return shares.map((s) => `${s.tag}  ${s.source} -> ${s.target}${s.readOnly ? ' (read-only)' : ''}  via ${shareTransport(s)}\n      in the guest: ${guestMountCommand(s)}\n`).join('');
}

const asSpec = (s: VmShare) => ({ source: s.source, target: s.target, readOnly: s.readOnly });

export function registerVmShareCommands(vm: Command, ctx: CliContext): void {
  const share = vm.command('share').description("A VM's shared folders: host folders the guest mounts (virtiofs; 9p on microvm or without virtiofsd), changed while the VM is stopped");
  const withHelper = async <T>(work: (h: Awaited<ReturnType<CliContext['connectHelper']>>) => Promise<T>): Promise<T> => {
    const h = await ctx.connectHelper();
    try {
      return await work(h);
    } finally {
      h.close();
    }
  };
  const print = (shares: readonly VmShare[]) => ctx.io.stdout(ctx.globals().json ? JSON.stringify(shares, null, 2) + '\n' : formatShares(shares));

  share
    .command('add')
    .description('Share a host folder: HOST:GUEST or HOST:GUEST:ro (e.g. ./src:/mnt/src:ro)')
    .argument('<vm>', 'the VM', nameArg('vm'))
    .argument('<share>', 'host:guest[:ro|:rw]', (t: string) => resolveVolume(single(parseVolume)(t), process.cwd()))
    .action(async (name: string, wanted: { source: string; target: string; readOnly: boolean }) => {
      const info = await withHelper(async (h) => {
        const current = (await h.call('vm.get', { name })).definition.shares ?? [];
        return h.call('vm.update', { name, shares: [...current.map(asSpec), wanted] });
      });
      print(info.definition.shares ?? []);
    });
  share
    .command('rm')
    .description('Stop sharing a folder')
    .argument('<vm>', 'the VM', nameArg('vm'))
    .argument('<tag>', 'share0 ... share7', single(parseShareTag))
    .action(async (name: string, tag: string) => {
      const info = await withHelper(async (h) => {
        const current = (await h.call('vm.get', { name })).definition.shares ?? [];
        if (!current.some((s) => s.tag === tag)) throw new NovaError('not_found', `VM ${name} has no share ${tag} (see nova vm share ls ${name})`);
        return h.call('vm.update', { name, shares: current.filter((s) => s.tag !== tag).map(asSpec) });
      });
      print(info.definition.shares ?? []);
    });
  share
    .command('ls')
    .description("List a VM's shared folders and how the guest mounts them")
    .argument('<vm>', 'the VM', nameArg('vm'))
    .action(async (name: string) => {
      print((await withHelper((h) => h.call('vm.get', { name }))).definition.shares ?? []);
    });
}
