// `nova vm clone SOURCE TARGET [--linked]`: a clone is a helper operation, so the copy
// shows its progress per disk on stderr and Ctrl+C cancels it; the helper then stops
// qemu-img and removes the partial clone rather than finishing a copy nobody waits for.
import type { Command } from 'commander';
import type { CliContext } from '../cli-context.js';
import { callOperation, progressStyleFor } from '../operation-call.js';

/** Adds `clone` under the `vm` command that vm-command.ts registers. */
export function registerVmCloneCommand(program: Command, ctx: CliContext): void {
  const vm = program.commands.find((c) => c.name() === 'vm') ?? program.command('vm').description('Virtual machines');
  vm.command('clone <source> <target>')
    .description('Clone a stopped VM: a full copy of its disks, or --linked overlays on a template')
    .option('--linked', "overlays on the source's disks (the source must be a template)", false)
    .option('--json', 'machine-readable output: the new VM, and progress as JSON lines on stderr')
    .action(async (source: string, target: string, o: { linked: boolean; json?: boolean }) => {
      const json = o.json === true || ctx.globals().json;
      const h = await ctx.connectHelper();
      try {
        const info = await callOperation(h, 'vm.clone', { source, target, linked: o.linked }, { write: ctx.io.stderr, style: progressStyleFor(json) });
        const disks = info.definition.disks.length;
        ctx.io.stdout(json ? JSON.stringify(info, null, 2) + '\n' : `cloned ${source} to ${target} (${o.linked ? 'linked' : 'full'}, ${disks} disk${disks === 1 ? '' : 's'})\n`);
      } finally {
        h.close();
      }
    });
}
