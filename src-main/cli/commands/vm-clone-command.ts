// `nova vm clone SOURCE TARGET [--full|--linked]` and `nova vm template VM [--undo]`: a
// clone is a helper operation, so the copy shows its progress per disk on stderr and
// Ctrl+C cancels it; the helper then stops qemu-img and removes the partial clone rather
// than finishing a copy nobody waits for. A template is a stopped VM kept as the source of
// linked clones (`nova vm create NEW --from-template T`), which it refuses to start.
import { InvalidArgumentError, type Command } from 'commander';
import type { CliContext } from '../cli-context.js';
import { callOperation, progressStyleFor } from '../operation-call.js';

/** Adds `clone` and `template` under the `vm` command that vm-command.ts registers. */
export function registerVmCloneCommand(program: Command, ctx: CliContext): void {
  const vm = program.commands.find((c) => c.name() === 'vm') ?? program.command('vm').description('Virtual machines');
  vm.command('clone <source> <target>')
    .description('Clone a stopped VM: a full copy of its disks (the default), or --linked overlays on a template')
    .option('--full', 'copy every disk, so the clone stands alone (the default)')
    .option('--linked', "overlays on the source's disks (the source must be a template)", false)
    .option('--json', 'machine-readable output: the new VM, and progress as JSON lines on stderr')
    .action(async (source: string, target: string, o: { full?: boolean; linked: boolean; json?: boolean }) => {
      if (o.full && o.linked) throw new InvalidArgumentError('--full and --linked exclude each other');
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
  vm.command('template <vm>')
    .description('Make a stopped VM a template: it no longer starts, and new VMs are made from it with nova vm create NEW --from-template VM')
    .option('--undo', 'make it an ordinary VM again', false)
    .option('--json', 'machine-readable output: the VM')
    .action(async (name: string, o: { undo: boolean; json?: boolean }) => {
      const json = o.json === true || ctx.globals().json;
      const h = await ctx.connectHelper();
      try {
        const info = await h.call('vm.setTemplate', { name, template: !o.undo });
        ctx.io.stdout(json ? JSON.stringify(info, null, 2) + '\n' : o.undo ? `${name} is an ordinary VM again\n` : `${name} is a template: nova vm create NEW --from-template ${name}\n`);
      } finally {
        h.close();
      }
    });
}
