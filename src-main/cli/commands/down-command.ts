// `nova down [-f FILE] [--volumes]`: stops the project's guests in reverse dependency
// order and deletes its networks (project-down.ts says what is kept and why); with
// --volumes, the guests are deleted with their disks, layers and snapshots. A project on
// several hosts is taken down on each of them.
import type { Command } from 'commander';
import { formatNovaFileDiagnostic } from '../../core/novafile/novafile-parser.js';
import { readHostStates } from '../../core/project/actual-state.js';
import { guestNodes } from '../../core/project/apply-order.js';
import { downProjectOnHosts } from '../../core/project/project-down.js';
import { findNovaFile } from '../../core/project/project-discovery.js';
import { loadDesiredState } from '../../core/project/project-planner.js';
import type { CliContext } from '../cli-context.js';
import { InterruptHub } from '../interrupt-hub.js';
import { cliProjectHelper, EXIT_INTERRUPTED } from '../project-operations.js';
import { withProjectHosts } from '../project-hosts.js';

const HELP_AFTER = `
Without --volumes, nova down releases everything a guest runs on and keeps its data: each
VM's QEMU and tap and each capsule's runc container, network namespace and veth are gone,
and the project's networks are deleted (bridge, nftables table, dnsmasq), except a network
that a guest outside the project still uses, which is kept with the reason. The guests
stay, stopped (nova ps shows them so), with their disks, writable layers and snapshots:
the next nova up recreates the networks and starts the same guests on their kept data.
With --volumes the guests are deleted too, disks, layers and snapshots included.
Exit codes: 0 done, 1 something could not be stopped or deleted (named), 130 cancelled with Ctrl+C.`;

export function registerDownCommand(program: Command, ctx: CliContext): void {
  program
    .command('down')
    .description("Stop the project's guests and delete its networks; disks, capsule layers and snapshots are kept unless --volumes")
    .option('-f, --file <path>', 'the NovaFile (default: NovaFile.toml here or in the nearest folder above)')
    .option('--volumes', 'delete the guests too, with their disks, writable layers and snapshots')
    .option('--json', 'print the outcome as JSON')
    .addHelpText('after', HELP_AFTER)
    .action(async (opts: { file?: string; volumes?: boolean; json?: boolean }) => {
      const json = opts.json === true || ctx.globals().json;
      const file = await findNovaFile(process.cwd(), opts.file);
      await withProjectHosts(ctx, async (hosts) => {
        const { desired } = await loadDesiredState(file, (d) => ctx.io.stderr(formatNovaFileDiagnostic(d) + '\n'), undefined, await hosts.readers(file));
        const actual = await readHostStates(desired.hosts, (host) => hosts.client(host));
        const helpers = new Map(await Promise.all(desired.hosts.map(async (host) => [host, await hosts.client(host)] as const)));
        const hub = new InterruptHub().listen();
        try {
          const out = await downProjectOnHosts(actual, (host) => cliProjectHelper(ctx, helpers.get(host)!, hub, json), {
            project: desired.project,
            declared: guestNodes(desired),
            volumes: opts.volumes === true,
            signal: hub.controller.signal,
            onLine: (subject, line) => {
              if (!json) ctx.io.stdout(`${subject}: ${line}\n`);
            },
          });
          // Deleted everywhere: nothing of the project is left on another host to remember.
          if (opts.volumes === true && !out.cancelled && out.failed.length === 0) await hosts.memory.remember(file, []);
          if (json) ctx.io.stdout(JSON.stringify(out, null, 2) + '\n');
          else {
            for (const f of out.failed) ctx.io.stdout(`failed: ${f.kind} ${f.name}: ${f.message}\n`);
            const total = out.removed.length + out.stopped.length;
            ctx.io.stdout(total + out.kept.length + out.failed.length === 0 ? `Project ${desired.project} has nothing on ${desired.hosts.length > 1 ? `its hosts (${desired.hosts.join(', ')})` : 'this host'}.\n` : `Project ${desired.project}: ${out.stopped.length} stopped, ${out.removed.length} deleted, ${out.kept.length} kept, ${out.failed.length} failed.\n`);
          }
          if (out.cancelled) process.exitCode = EXIT_INTERRUPTED;
          else if (out.failed.length > 0) process.exitCode = 1;
        } finally {
          hub.close();
        }
      });
    });
}
