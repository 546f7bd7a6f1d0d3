// `nova validate [FILE]`: every problem in a NovaFile, each with file, line and column.
import type { Command } from 'commander';
import { HostRegistry } from '../../core/hosts/host-registry.js';
import { loadNovaFile } from '../../core/novafile/novafile-parser.js';
import type { CliContext } from '../cli-context.js';

export function registerValidateCommand(program: Command, ctx: CliContext): void {
  program
    .command('validate')
    .description('Validate a NovaFile (default: ./NovaFile.toml)')
    .argument('[file]', 'the NovaFile to check', 'NovaFile.toml')
    .option('--json', 'print the result as JSON')
    .action(async (file: string, opts: { json?: boolean }) => {
      // A guest's `host` must name a saved host.
      const knownHosts = (await new HostRegistry().list()).map((h) => h.name);
      const { config: _config, ...result } = await loadNovaFile(file, { knownHosts });
      if (opts.json || ctx.globals().json) {
        ctx.io.stdout(JSON.stringify(result, null, 2) + '\n');
      } else {
        for (const d of result.diagnostics) {
          const key = d.key ? `${d.key}: ` : '';
          ctx.io.stderr(`${d.file}:${d.line}:${d.column}: ${d.severity}: ${key}${d.message}\n`);
        }
        if (result.valid && result.summary) {
          const s = result.summary;
          ctx.io.stdout(
            `${file} is valid: project ${s.project ?? '(unnamed)'}, ` +
              `${s.vms.length} VM(s), ${s.capsules.length} capsule(s), ${s.networks.length} network(s)\n`,
          );
        }
      }
      if (!result.valid) process.exitCode = 1;
    });
}
