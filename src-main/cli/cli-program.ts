// The `nova` command tree. Exit codes: 0 success, 1 failure, 2 usage error.
import { Command, CommanderError } from 'commander';
import { DEFAULT_HELPER_SOCKET, DEFAULT_STATE_DIR, NOVA_VERSION, toErrorShape } from '../../src-shared/index.js';
import { realConnectHelper, type CliContext, type CliIo, type GlobalOptions } from './cli-context.js';
import { registerCapsuleCommand } from './commands/capsule-command.js';
import { registerCapsuleMigrateCommand } from './commands/capsule-migrate-command.js';
import { registerConnectCommand } from './commands/connect-command.js';
import { registerExportCommand } from './commands/export-command.js';
import { registerDownCommand } from './commands/down-command.js';
import { registerDeviceCommand } from './commands/device-command.js';
import { registerDeviceVfsCommand } from './commands/device-vfs-command.js';
import { registerHostCommand } from './commands/host-command.js';
import { registerNetCommand } from './commands/net-command.js';
import { registerOpCommand } from './commands/op-command.js';
import { registerPlanCommand } from './commands/plan-command.js';
import { registerPsCommand } from './commands/ps-command.js';
import { registerRunCommand } from './commands/run-command.js';
import { registerStatsCommand } from './commands/stats-command.js';
import { registerUpCommand } from './commands/up-command.js';
import { registerVmCommands } from './commands/vm-command.js';
import { registerVmCloneCommand } from './commands/vm-clone-command.js';
import { registerVmMigrateCommand } from './commands/vm-migrate-command.js';
import { registerVmViewerCommand } from './commands/vm-viewer-command.js';
import { registerVmHardwareCommands } from './commands/vm-hardware-command.js';
import { registerVmUsbCommand } from './commands/vm-usb-command.js';
import { registerVmPassthroughCommands } from './commands/vm-passthrough-command.js';
import { registerValidateCommand } from './commands/validate-command.js';
import { registerTokenCommand } from './commands/token-command.js';
import { registerWebCommand } from './commands/web-command.js';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export interface CliOverrides {
  connectHelper?: CliContext['connectHelper'];
  /** Defaults to connectHelper for every host when only that is given. */
  connectHost?: CliContext['connectHost'];
}

export function buildProgram(io: CliIo, overrides: CliOverrides = {}): Command {
  const program = new Command('nova');
  const globals = (): GlobalOptions => {
    const o = program.opts<{ socket: string; stateDir: string; json: boolean; autostart: boolean; host?: string }>();
    return { socket: o.socket, stateDir: o.stateDir, json: o.json, autostart: o.autostart, ...(o.host !== undefined ? { host: o.host } : {}) };
  };
  const fake = overrides.connectHelper;
  const ctx: CliContext = {
    io,
    globals,
    connectHelper: fake ?? realConnectHelper(globals),
    connectHost: overrides.connectHost ?? (fake ? () => fake() : (host) => realConnectHelper(() => ({ ...globals(), host }))()),
  };

  program
    .description('Nova: virtual machines, capsules and networks on this workstation')
    .option('--socket <path>', 'the helper socket', process.env.NOVA_SOCKET ?? DEFAULT_HELPER_SOCKET)
    .option('--state-dir <dir>', 'the state directory (for a helper started by this command)', process.env.NOVA_STATE_DIR ?? DEFAULT_STATE_DIR)
    .option('--json', 'machine-readable output', false)
    .option('--no-autostart', 'do not start the helper when it is not running')
    .option('--host <name>', 'the host to manage: a name from "nova host ls", an ssh://[user@]host[:port] address, or local', process.env.NOVA_HOST)
    .version(`nova ${NOVA_VERSION}`, '-V, --version', 'print the version')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride();

  program
    .command('version')
    .description('Print the version of this CLI')
    .action(() => {
      if (globals().json) io.stdout(JSON.stringify({ version: NOVA_VERSION }) + '\n');
      else io.stdout(`nova ${NOVA_VERSION}\n`);
    });
  registerHostCommand(program, ctx);
  registerValidateCommand(program, ctx);
  registerVmCommands(program, ctx);
  registerVmCloneCommand(program, ctx);
  registerVmMigrateCommand(program, ctx);
  registerVmViewerCommand(program, ctx);
  registerVmHardwareCommands(program, ctx);
  registerVmUsbCommand(program, ctx);
  registerVmPassthroughCommands(program, ctx);
  registerNetCommand(program, ctx);
  registerRunCommand(program, ctx);
  registerPlanCommand(program, ctx);
  registerExportCommand(program, ctx);
  registerUpCommand(program, ctx);
  registerDownCommand(program, ctx);
  registerPsCommand(program, ctx);
  registerCapsuleCommand(program, ctx);
  registerCapsuleMigrateCommand(program, ctx);
  registerOpCommand(program, ctx);
  registerStatsCommand(program, ctx);
  registerDeviceCommand(program, ctx);
  registerDeviceVfsCommand(program, ctx);
  registerWebCommand(program, ctx);
  registerTokenCommand(program, ctx);
  registerConnectCommand(program, ctx);

  // Every subcommand reports usage errors through the same override.
  const harden = (cmd: Command) => {
    cmd.exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
    cmd.commands.forEach(harden);
  };
  program.commands.forEach(harden);
  return program;
}

export async function runCli(argv: string[], io: CliIo, overrides: CliOverrides = {}): Promise<number> {
  const program = buildProgram(io, overrides);
  const previous = process.exitCode;
  process.exitCode = undefined;
  try {
    if (argv.length === 0) {
      program.outputHelp();
      return EXIT_USAGE;
    }
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT_OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') {
        return EXIT_OK;
      }
      return EXIT_USAGE;
    }
    const shape = toErrorShape(err);
    const json = program.opts<{ json?: boolean }>().json;
    if (json) io.stdout(JSON.stringify({ error: shape }) + '\n');
    io.stderr(`nova: ${shape.message} [${shape.code}]\n`);
    return EXIT_FAILURE;
  } finally {
    process.exitCode = previous;
  }
}
