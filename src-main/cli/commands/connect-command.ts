// `nova connect`: the remote end of `ssh HOST nova connect`. It joins its stdin and
// stdout to this host's helper socket, byte for byte, starting the helper first as every
// other command does. The helper then sees this process as its peer (SO_PEERCRED), so
// the SSH user is authorized by polkit exactly as a local caller; nothing listens anew.
// Which socket: --socket or NOVA_SOCKET, as for every command; a key restricted with
// `command="nova --socket PATH connect",restrict` in authorized_keys pins it.
import { createConnection } from 'node:net';
import type { Command } from 'commander';
import { NovaError } from '../../../src-shared/index.js';
import { ensureHelper } from '../../core/helper-launcher.js';
import { bundledHelperScript, withHelper, type CliContext } from '../cli-context.js';
import { readFileTail, SERIAL_REPLAY_BYTES } from '../../core/file-tail.js';
import { consoleRequest, consoleTargetPath } from './console-pipe.js';

export function registerConnectCommand(program: Command, ctx: CliContext): void {
  program
    .command('connect')
    .description("Join stdin/stdout to this host's helper: what `nova --host` runs over ssh on the remote host")
    .option('--console <kind>', "carry a VM's console (vnc, serial or spice) or a capsule's shell (terminal) instead: a remote console's own ssh channel")
    .argument('[guest]', 'the VM, or with terminal the capsule, whose console')
    .action(async (guest: string | undefined, o: { console?: string }) => {
      const g = ctx.globals();
      if (g.host !== undefined && g.host !== 'local') {
        throw new NovaError('invalid_argument', '"nova connect" is the remote end of --host; it always joins this host\'s helper');
      }
      if (g.autostart) await ensureHelper({ socketPath: g.socket, stateDir: g.stateDir, helperScript: bundledHelperScript() });
      const asked = consoleRequest(o.console, guest, process.env);
      if (!asked) return pipeToSocket(g.socket, process.stdin, process.stdout);
      const target = await withHelper(ctx, (h) => consoleTargetPath(h, asked));
      // What the guest printed before anyone connected, as the local console shows it; a log
      // this user may not read only loses the replay.
      if (target.replayLog) {
        const tail = await readFileTail(target.replayLog, SERIAL_REPLAY_BYTES).catch(() => null);
        if (tail && tail.length > 0) process.stdout.write(tail);
      }
      await pipeToSocket(target.socketPath, process.stdin, process.stdout);
    });
}

/** Resolves when the helper or the far side has closed; refuses when the socket does not answer. */
export function pipeToSocket(socketPath: string, input: NodeJS.ReadableStream, output: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(socketPath);
    let connected = false;
    socket.once('connect', () => {
      connected = true;
      input.pipe(socket);
      socket.pipe(output);
    });
    socket.once('error', (err) => {
      if (!connected) reject(new NovaError('unavailable', `The Nova helper is not reachable on ${socketPath} (${err.message})`));
    });
    // The client hung up (ssh closed our stdin): let the helper see the end of input.
    input.once('end', () => socket.end());
    socket.once('close', () => {
      input.unpipe(socket);
      if (connected) resolve();
    });
  });
}
