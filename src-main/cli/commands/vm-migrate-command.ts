// `nova vm migrate VM --to HOST [--from HOST]`: moves a running VM to another host live,
// with this CLI holding the connection to both helpers (core/hosts/vm-migration.ts). The
// send shows its progress and Ctrl+C cancels it: the VM then runs on where it was.
import type { Command } from 'commander';
import { NovaError } from '../../../src-shared/errors.js';
import type { HelperClient } from '../../core/helper-client.js';
import { HostRegistry } from '../../core/hosts/host-registry.js';
import { migrationListenAddress } from '../../core/hosts/migration-listen.js';
import { migrateVm } from '../../core/hosts/vm-migration.js';
import { realConnectHelper, type CliContext } from '../cli-context.js';
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
    .description("Move a running VM to another host while it runs: its disks and memory copied over TLS, the source's copy removed once it runs there")
    .requiredOption('--to <host>', 'the destination: a name from "nova host ls" or an ssh:// address')
    .option('--from <host>', 'the source (default: --host, else this machine)')
    .option('--postcopy', 'switch to post-copy after the first pass over the memory (for a guest that writes memory faster than the link carries it)', false)
    .option('--listen <address>', "the destination's address as the source reaches it (default: the host of its ssh:// address)")
    .option('--json', 'machine-readable output: the result, and progress as JSON lines on stderr')
    .action(async (name: string, o: MigrateOptions) => {
      const json = o.json === true || ctx.globals().json;
      const from = o.from ?? ctx.globals().host ?? 'local';
      const listen = await migrationListenAddress(new HostRegistry(), o.to, o.listen);
      if (from === o.to) throw new NovaError('invalid_argument', `--from and --to are the same host (${from})`);
      const connect = (host: string) => realConnectHelper(() => ({ ...ctx.globals(), host }))();
      const source = await connect(from);
      let destination: HelperClient | null = null;
      try {
        destination = await connect(o.to);
        const style = progressStyleFor(json);
        const report = await migrateVm(
          {
            source,
            destination,
            send: (params) => callOperation(source, 'vm.migrateSend', params, { write: ctx.io.stderr, style }),
            note: (line) => (json ? undefined : ctx.io.stderr(`${line}\n`)),
          },
          { name, listen, postcopy: o.postcopy },
        );
        ctx.io.stdout(
          json
            ? JSON.stringify(report, null, 2) + '\n'
            : `moved ${name} to ${o.to} in ${(report.wallMs / 1000).toFixed(1)} s (paused ${report.downtimeMs} ms at the switch; disks ${formatBytes(report.diskBytes)}, memory ${formatBytes(report.ramBytes)})\n`,
        );
      } finally {
        destination?.close();
        source.close();
      }
    });
}
