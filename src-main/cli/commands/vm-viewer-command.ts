// `nova vm viewer VM`: the VM's SPICE display in remote-viewer, as the VM page's "Open in
// remote-viewer" does. With --host naming another host, the display comes through a relay
// (core/hosts/spice-relay.ts: a private local socket, one `ssh HOST nova connect --console
// spice VM` per SPICE channel) that this command keeps until the viewer closes.
import type { Command } from 'commander';
import { LOCAL_HOST } from '../../../src-shared/vocabulary/index.js';
import { HostRegistry } from '../../core/hosts/host-registry.js';
import { openRemoteConsole } from '../../core/hosts/remote-console.js';
import { openSpiceRelay, relayBaseDir, type SpiceRelay } from '../../core/hosts/spice-relay.js';
import { sshOptionsFromEnv } from '../../core/hosts/ssh-command.js';
import { RemoteViewerLauncher } from '../../core/remote-viewer-launcher.js';
import { withHelper, type CliContext } from '../cli-context.js';

export function registerVmViewerCommand(program: Command, ctx: CliContext): void {
  const vm = program.commands.find((c) => c.name() === 'vm') ?? program.command('vm').description('Virtual machines');
  vm.command('viewer <vm>')
    .description("Open a running VM's SPICE display in remote-viewer; for another host's VM (--host), through ssh, staying until the viewer closes")
    .action(async (name: string) => {
      const g = ctx.globals();
      const address = g.host === undefined || g.host === LOCAL_HOST ? null : await new HostRegistry().resolve(g.host);
      const remote = address?.kind === 'ssh' ? address : null;
      // Set by the launcher's openRelay, for a remote VM only.
      const held: { relay: SpiceRelay | null } = { relay: null };
      const opened = await withHelper(ctx, (helper) => {
        const launcher = new RemoteViewerLauncher({
          consoleInfo: (n) => helper.call('vm.consoleInfo', { name: n }),
          vmInfo: (n) => helper.call('vm.get', { name: n }),
          ...(remote
            ? {
                // Each SPICE channel is its own ssh: no prompts, since several start at once.
                openRelay: async (_host: string, n: string) => {
                  held.relay = await openSpiceRelay(() => openRemoteConsole(remote, sshOptionsFromEnv(process.env, true), 'spice', n), relayBaseDir(process.env));
                  return held.relay;
                },
              }
            : {}),
        });
        return launcher.open(name, remote ? (g.host ?? LOCAL_HOST) : LOCAL_HOST);
      });
      ctx.io.stdout(`remote-viewer is open (pid ${opened.pid}) on ${opened.uri}\n`);
      const open = held.relay;
      if (!open) return;
      ctx.io.stderr('nova: carrying the display over ssh until the viewer closes (Ctrl+C closes it here)\n');
      const interrupt = () => void open.close();
      process.once('SIGINT', interrupt);
      try {
        await open.closed;
      } finally {
        process.off('SIGINT', interrupt);
      }
    });
}
