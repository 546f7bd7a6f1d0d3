// `nova plan [-f FILE] [--json] [--exit-code]`: what `nova up` would change to make the
// helper match the project's NovaFile (./NovaFile.toml or the nearest one above); with
// `nova --host NAME plan`, guests without a `host` key are planned on NAME.
// --exit-code, as `git diff --exit-code`: 3 when something is pending, 0 when nothing.
import type { Command } from 'commander';
import { planHasChanges } from '../../../src-shared/project.js';
import { formatNovaFileDiagnostic } from '../../core/novafile/novafile-parser.js';
import { formatPlan } from '../../core/project/plan-format.js';
import { findNovaFile } from '../../core/project/project-discovery.js';
import { planNovaFile } from '../../core/project/project-planner.js';
import type { CliContext } from '../cli-context.js';
import { withProjectHosts } from '../project-hosts.js';

export const EXIT_CHANGES_PENDING = 3;

export function registerPlanCommand(program: Command, ctx: CliContext): void {
  program
    .command('plan')
    .description("Show what would change to bring the project's resources in line with its NovaFile")
    .option('-f, --file <path>', 'the NovaFile (default: NovaFile.toml here or in the nearest folder above)')
    .option('--json', 'print the plan as JSON')
    .option('--exit-code', 'exit 3 when changes are pending, 0 when none')
    .action(async (opts: { file?: string; json?: boolean; exitCode?: boolean }) => {
      const file = await findNovaFile(process.cwd(), opts.file);
      const { plan } = await withProjectHosts(ctx, async (hosts) => planNovaFile(file, await hosts.readers(file), (d) => ctx.io.stderr(formatNovaFileDiagnostic(d) + '\n')));
      if (opts.json === true || ctx.globals().json) ctx.io.stdout(JSON.stringify(plan, null, 2) + '\n');
      else ctx.io.stdout(formatPlan(plan, process.stdout.isTTY === true && process.env.NO_COLOR === undefined));
      if (opts.exitCode === true && planHasChanges(plan)) process.exitCode = EXIT_CHANGES_PENDING;
    });
}
