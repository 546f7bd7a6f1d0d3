// `nova export [NAME...] [--project P] [--adopt] [-o FILE]`: the named VMs, capsules and
// networks (or every resource of project P) as a NovaFile on stdout, so what was made in
// the GUI or with the CLI can become a project; `nova plan -f` on it shows no change.
// Resources of no project are written for P, but plan will not take them over (they are
// clashes) until they are P's: --adopt makes them so, as `terraform import` does, and
// without it they are named on stderr with that remedy.
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { exportProject } from '../../core/project/project-export.js';
import { nameArg } from './option-parsers.js';
import { withHelper, type CliContext } from '../cli-context.js';

export function registerExportCommand(program: Command, ctx: CliContext): void {
  program
    .command('export')
    .description('Write existing VMs, capsules and networks as a NovaFile (the networks their guests join come along)')
    .argument('[names...]', 'resources to export (default: every resource of --project)')
    .option('--project <name>', 'the project the file is for; alone, exports every resource it owns', nameArg('project'))
    .option('--adopt', 'make the exported resources of no project the project\'s own, so nova plan and nova up manage them', false)
    .option('-o, --output <file>', 'write the file here instead of to stdout (never over an existing file)')
    .action(async (names: string[], o: { project?: string; adopt: boolean; output?: string }) => {
      const { text, unmanaged, project } = await withHelper(ctx, (h) => exportProject(h, names, o.project, o.adopt));
      if (o.output) await writeFile(o.output, text, { flag: 'wx' });
      else ctx.io.stdout(text);
      const listed = unmanaged.map((r) => `${r.kind} ${r.name}`).join(', ');
      if (unmanaged.length > 0 && o.adopt) ctx.io.stderr(`nova export: ${listed} now belong to project ${project}\n`);
      else if (unmanaged.length > 0) {
        ctx.io.stderr(`nova export: ${listed} belong to no project, so nova plan reports them as clashes; run again with --adopt to make them project ${project}'s\n`);
      }
    });
}
