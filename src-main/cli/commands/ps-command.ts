// `nova ps [-f FILE] [--json]`: the project's resources with state, health and address.
import type { Command } from 'commander';
import { formatNovaFileDiagnostic } from '../../core/novafile/novafile-parser.js';
import { readActualState } from '../../core/project/actual-state.js';
import { findNovaFile } from '../../core/project/project-discovery.js';
import { loadDesiredState } from '../../core/project/project-planner.js';
import { formatPsTable, projectRows } from '../../core/project/project-ps.js';
import { withHelper, type CliContext } from '../cli-context.js';

export function registerPsCommand(program: Command, ctx: CliContext): void {
  program
    .command('ps')
    .description("List the project's networks, VMs and capsules with state, health and address")
    .option('-f, --file <path>', 'the NovaFile (default: NovaFile.toml here or in the nearest folder above)')
    .option('--json', 'print the rows as JSON')
    .action(async (opts: { file?: string; json?: boolean }) => {
      const file = await findNovaFile(process.cwd(), opts.file);
      const { desired } = await loadDesiredState(file, (d) => ctx.io.stderr(formatNovaFileDiagnostic(d) + '\n'));
      const rows = await withHelper(ctx, async (h) => projectRows(desired, await readActualState(h), h));
      if (opts.json === true || ctx.globals().json) ctx.io.stdout(JSON.stringify({ project: desired.project, resources: rows }, null, 2) + '\n');
      else ctx.io.stdout(formatPsTable(rows));
    });
}
