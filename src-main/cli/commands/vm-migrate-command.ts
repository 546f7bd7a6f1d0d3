// `nova vm migrate VM --to HOST [--from HOST]`: moves a VM to another host, with this CLI
// holding the connection to both helpers. A running VM moves live (core/hosts/vm-migration.ts);
// a stopped one moves cold, its disks and firmware state copied and its definition made there
// (core/hosts/guest-cold-move.ts). The send shows its progress and Ctrl+C cancels it: the VM
// then stays where it was.
import type { Command } from 'commander';
import { moveStoppedVm } from '../../core/hosts/guest-cold-move.js';
import { migrateVm } from '../../core/hosts/vm-migration.js';
import type { CliContext } from '../cli-context.js';
import { withHostPair } from '../host-pair.js';
import { callOperation, formatBytes, progressStyleFor } from '../operation-call.js';

interface MigrateOptions {
  to: string;
  from?: string;
  postcopy: boolean;
  listen?: string;
  json?: boolean;
}

export function registerVmMigrateCommand(program: Command, ctx: CliContext): void {
  const vm = program.commands.find((c) => c.name() === 'vm') ?? program.command('vm').description('Virtual machines');
  vm.command('migrate <vm>')
    .description("Move a VM to another host: a running one live (disks and memory copied over TLS while it runs), a stopped one cold (disks, UEFI variables and TPM state copied over TLS, its definition made there); the source's copy is removed once the destination has it")
    .requiredOption('--to <host>', 'the destination: a name from "nova host ls" or an ssh:// address')
    .option('--from <host>', 'the source (default: --host, else this machine)')
    .option('--postcopy', 'live: switch to post-copy after the first pass over the memory (for a guest that writes memory faster than the link carries it)', false)
    .option('--listen <address>', "the destination's address as the source reaches it (default: the host of its ssh:// address)")
    .option('--json', 'machine-readable output: the result, and progress as JSON lines on stderr')
    .action(async (name: string, o: MigrateOptions) => {
      const json = o.json === true || ctx.globals().json;
      await withHostPair(ctx, o, async ({ source, destination, listen }) => {
        const style = progressStyleFor(json);
        const note = (line: string) => (json ? undefined : ctx.io.stderr(`${line}\n`));
        const { state } = await source.call('vm.get', { name });
        // A suspended VM goes the cold way too, whose offer says what to do with its saved state.
        if (state === 'stopped' || state === 'crashed' || state === 'suspended') {
          const report = await moveStoppedVm(
            { source, destination, note, sendVm: (params) => callOperation(source, 'vm.moveSend', params, { write: ctx.io.stderr, style }) },
            { name, listen },
          );
          ctx.io.stdout(
            json
              ? JSON.stringify({ mode: 'cold', ...report }, null, 2) + '\n'
              : `moved ${name} (stopped, cold) to ${o.to} in ${(report.wallMs / 1000).toFixed(1)} s: ${report.files} file(s), ${formatBytes(report.bytes)} (${formatBytes(report.streamBytes)} sent)\n`,
          );
          return;
        }
        const report = await migrateVm(
          { source, destination, note, send: (params) => callOperation(source, 'vm.migrateSend', params, { write: ctx.io.stderr, style }) },
          { name, listen, postcopy: o.postcopy },
        );
        ctx.io.stdout(
          json
            ? JSON.stringify({ mode: 'live', ...report }, null, 2) + '\n'
            : `moved ${name} to ${o.to} in ${(report.wallMs / 1000).toFixed(1)} s (paused ${report.downtimeMs} ms at the switch; disks ${formatBytes(report.diskBytes)}, memory ${formatBytes(report.ramBytes)})\n`,
        );
      });
    });
}
