// `nova run vm NAME` and `nova run container NAME`: one resource of the NovaFile in the
// current folder (or -f FILE) brought up through the helper by novafile-apply: the
// networks it names, the VM or capsule itself, then started. Problems name their line.
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { NovaError } from '../../../src-shared/errors.js';
import { applyCapsule, applyVm, novaFileLocator, type ApplyReport } from '../../core/novafile-apply.js';
import { formatNovaFileDiagnostic, loadNovaFile, NOVAFILE_NAME, type NovaFileConfig } from '../../core/novafile/novafile-parser.js';
import type { HelperClient } from '../../core/helper-client.js';
import type { CliContext } from '../cli-context.js';

type Apply = typeof applyVm;

export function registerRunCommand(program: Command, ctx: CliContext): void {
  const run = program.command('run').description('Bring up one VM or container of a NovaFile (default: ./NovaFile.toml)');
  const json = (opts: { json?: boolean }) => opts.json === true || ctx.globals().json;

  const action = (apply: Apply) => async (name: string, opts: { file: string; json?: boolean }) => {
    const { config, text, file } = await readConfig(opts.file, ctx);
    const helper = await ctx.connectHelper();
    let report: ApplyReport;
    try {
      report = await apply(config, name, {
        helper: helper as HelperClient,
        locate: novaFileLocator(file, text),
        onAction: json(opts) ? undefined : (line) => ctx.io.stdout(`${line}\n`),
      });
    } finally {
      helper.close();
    }
    if (json(opts)) ctx.io.stdout(JSON.stringify(report, null, 2) + '\n');
    else for (const n of report.notices) ctx.io.stdout(`${n}\n`);
  };

  run
    .command('vm <name>')
    .description('Create (or update) and start a VM of the NovaFile, with the networks it names')
    .option('-f, --file <path>', 'the NovaFile (or its folder)', NOVAFILE_NAME)
    .option('--json', 'print what was done as JSON')
    .action(action(applyVm));
  run
    .command('container <name>')
    .description('Create and start a container (capsule) of the NovaFile, pulling its image when missing')
    .option('-f, --file <path>', 'the NovaFile (or its folder)', NOVAFILE_NAME)
    .option('--json', 'print what was done as JSON')
    .action(action(applyCapsule));
}

async function readConfig(path: string, ctx: CliContext): Promise<{ config: NovaFileConfig; text: string; file: string }> {
  const loaded = await loadNovaFile(path);
  for (const d of loaded.diagnostics) ctx.io.stderr(formatNovaFileDiagnostic(d) + '\n');
  if (!loaded.config) {
    const errors = loaded.diagnostics.filter((d) => d.severity === 'error').length;
    throw new NovaError('invalid_argument', `${path}: ${errors} problem(s) in the NovaFile; fix them and run again (nova validate ${path} lists them)`);
  }
  const file = loaded.config.file;
  return { config: loaded.config, text: await readFile(file, 'utf8'), file };
}
