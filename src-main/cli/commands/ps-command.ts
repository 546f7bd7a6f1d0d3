// `nova ps [-f FILE] [--json]`: the project's resources with state, health and address,
// with a HOST column when the project spans more than one host.
import type { Command } from 'commander';
import { formatNovaFileDiagnostic } from '../../core/novafile/novafile-parser.js';
import { readHostStates } from '../../core/project/actual-state.js';
import { findNovaFile } from '../../core/project/project-discovery.js';
import { loadDesiredState } from '../../core/project/project-planner.js';
import { formatPsTable, projectRowsOnHosts } from '../../core/project/project-ps.js';
import type { CliContext } from '../cli-context.js';
import { withProjectHosts } from '../project-hosts.js';

export function registerPsCommand(program: Command, ctx: CliContext): void {
  program
    .command('ps')
    .description("List the project's networks, VMs and capsules with state, health and address")
    .option('-f, --file <path>', 'the NovaFile (default: NovaFile.toml here or in the nearest folder above)')
    .option('--json', 'print the rows as JSON')
    .action(async (opts: { file?: string; json?: boolean }) => {
      const file = await findNovaFile(process.cwd(), opts.file);
      const rows = await withProjectHosts(ctx, async (hosts) => {
        const { desired } = await loadDesiredState(file, (d) => ctx.io.stderr(formatNovaFileDiagnostic(d) + '\n'), undefined, await hosts.readers(file));
        const actual = await readHostStates(desired.hosts, (host) => hosts.client(host));
        return { project: desired.project, rows: await projectRowsOnHosts(desired, actual, (host) => ({ call: async (method, params) => (await hosts.client(host)).call(method, params) })) };
      });
      if (opts.json === true || ctx.globals().json) ctx.io.stdout(JSON.stringify({ project: rows.project, resources: rows.rows }, null, 2) + '\n');
      else ctx.io.stdout(formatPsTable(rows.rows));
    });
}
