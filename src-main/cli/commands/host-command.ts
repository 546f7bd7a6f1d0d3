// `nova host check`: the host check through the helper; exits 1 when an item failed,
// as virt-host-validate does.
import type { Command } from 'commander';
import type { CliContext } from '../cli-context.js';
import { formatHostReport } from '../host-report-format.js';
import { registerHostRegistryCommands } from './host-registry-command.js';

export function registerHostCommand(program: Command, ctx: CliContext): void {
  const host = program.command('host').description('Inspect this host; register remote hosts for --host');
  host
    .command('check')
    .description('Check what this host can run: KVM, QEMU, IOMMU, cgroups, OCI runtimes, networking tools, polkit')
    .option('--refresh', 'run every probe again instead of using the cached report', false)
    .option('--json', 'print the report as JSON')
    .action(async (opts: { refresh: boolean; json?: boolean }) => {
      const helper = await ctx.connectHelper();
      try {
        const report = await helper.call('host.check', { refresh: opts.refresh });
        if (opts.json || ctx.globals().json) ctx.io.stdout(JSON.stringify(report, null, 2) + '\n');
        else ctx.io.stdout(formatHostReport(report, process.stdout.isTTY === true));
        if (report.items.some((i) => i.status === 'fail')) process.exitCode = 1;
      } finally {
        helper.close();
      }
    });
  registerHostRegistryCommands(host, ctx);
}
