// `nova capsule migrate NAME --to HOST [--from HOST] [--listen ADDR] [--restart]`: moves a
// capsule to another host (core/hosts/guest-cold-move.ts): its writable layer, its volumes'
// content and, when the destination lacks it, its image, copied over TLS, and the capsule
// made there. A running capsule moves only with --restart (stopped here, started there).
// The send shows its progress and Ctrl+C cancels it: the capsule then stays where it was.
import type { Command } from 'commander';
import { moveCapsule } from '../../core/hosts/guest-cold-move.js';
import type { CliContext } from '../cli-context.js';
import { withHostPair } from '../host-pair.js';
import { callOperation, formatBytes, progressStyleFor } from '../operation-call.js';

interface CapsuleMigrateOptions {
  to: string;
  from?: string;
  listen?: string;
  restart: boolean;
  json?: boolean;
}

export function registerCapsuleMigrateCommand(program: Command, ctx: CliContext): void {
  const capsule = program.commands.find((c) => c.name() === 'capsule') ?? program.command('capsule').description('Capsules');
  capsule
    .command('migrate <name>')
    .description("Move a stopped capsule to another host: its writable layer, volumes and (when missing there) image copied over TLS; the source's copy is removed once the destination has it whole")
    .requiredOption('--to <host>', 'the destination: a name from "nova host ls" or an ssh:// address')
    .option('--from <host>', 'the source (default: --host, else this machine)')
    .option('--listen <address>', "the destination's address as the source reaches it (default: the host of its ssh:// address)")
    .option('--restart', 'a running capsule is stopped here, moved, and started there (here again if the move fails)', false)
    .option('--json', 'machine-readable output: the result, and progress as JSON lines on stderr')
    .action(async (name: string, o: CapsuleMigrateOptions) => {
      const json = o.json === true || ctx.globals().json;
      await withHostPair(ctx, o, async ({ source, destination, listen }) => {
        const style = progressStyleFor(json);
        const report = await moveCapsule(
          {
            source,
            destination,
            note: (line) => (json ? undefined : ctx.io.stderr(`${line}\n`)),
            sendCapsule: (params) => callOperation(source, 'capsule.moveSend', params, { write: ctx.io.stderr, style }),
          },
          { name, listen, restart: o.restart },
        );
        ctx.io.stdout(
          json
            ? JSON.stringify(report, null, 2) + '\n'
            : `moved ${name} to ${o.to} in ${(report.wallMs / 1000).toFixed(1)} s: ${report.files} file(s), ${formatBytes(report.bytes)} (${formatBytes(report.streamBytes)} sent${report.imageSent ? ', image included' : ''})${report.restarted ? `; ${report.capsule.state} there` : ''}\n`,
        );
      });
    });
}
