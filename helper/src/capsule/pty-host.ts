// The pty host: one child process per interactive terminal that loads node-pty, runs the
// terminal's command under a pty and relays it to the helper over IPC. node-pty is native
// code driven from a libuv thread; a fault in it must end one shell session, never the
// root daemon that manages every VM, network and capsule, so the helper never loads it.
// Built as its own entry point (out/helper/pty-host.mjs).
import { createRequire } from 'node:module';
import type * as NodePty from 'node-pty';
import { type FromPtyHost, ToPtyHostSchema } from './pty-host-protocol.js';

function send(message: FromPtyHost, then?: () => void): void {
  if (process.connected && process.send) process.send(message, undefined, {}, () => then?.());
  else then?.();
}

/** Sends the last message, then leaves; bounded in case the helper stopped reading. */
function sendAndExit(message: FromPtyHost, code: number): void {
  setTimeout(() => process.exit(code), 1_000).unref();
  send(message, () => process.exit(code));
}

function main(): void {
  let pty: NodePty.IPty | null = null;
  let exited = false;

  process.on('message', (raw: unknown) => {
    const parsed = ToPtyHostSchema.safeParse(raw);
    if (!parsed.success) {
      pty?.kill();
      sendAndExit({ t: 'error', message: `pty host: malformed message: ${parsed.error.issues[0]?.message ?? 'invalid'}` }, 2);
      return;
    }
    const m = parsed.data;
    if (m.t === 'spawn') {
      if (pty) return;
      try {
        const nodePty = createRequire(import.meta.url)('node-pty') as typeof NodePty;
        pty = nodePty.spawn(m.file, m.args, { name: m.name, cols: m.cols, rows: m.rows, cwd: m.cwd, env: m.env });
      } catch (err) {
        sendAndExit({ t: 'error', message: `cannot start ${m.file} under a pty: ${(err as Error).message}` }, 1);
        return;
      }
      pty.onData((d) => send({ t: 'data', d }));
      pty.onExit(({ exitCode, signal }) => {
        exited = true;
        sendAndExit({ t: 'exit', code: exitCode, signal: signal ?? null }, 0);
      });
      return;
    }
    if (!pty || exited) return;
    if (m.t === 'write') pty.write(m.d);
    else if (m.t === 'resize') pty.resize(m.cols, m.rows);
    else pty.kill(m.signal);
  });

  // The helper went away (stopped, restarted or crashed): the session cannot be reached again.
  process.on('disconnect', () => {
    if (pty && !exited) pty.kill('SIGHUP');
    setTimeout(() => process.exit(0), 200).unref();
  });
}

main();
