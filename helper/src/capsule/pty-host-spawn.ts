// A PtySpawn whose terminals live in pty host child processes (pty-host.ts) rather than in
// the helper: same interface as node-pty's spawn, so CapsuleManager does not know the
// difference. A pty host that dies (even by a signal) ends its session with exit code -1.
import type { ChildProcess } from 'node:child_process';
import { forkNodeModule } from '../process/process-runner.js';
import type { Logger } from '../util/logger.js';
import type { PtyProcess, PtySpawn } from './capsule-terminals.js';
import type { FromPtyHost, ToPtyHost } from './pty-host-protocol.js';

export interface PtyHostOptions {
  /** The pty host entry point (out/helper/pty-host.mjs). */
  modulePath: string;
  /** The Node that runs it; the helper's own by default. */
  execPath?: string;
  logger: Logger;
}

export function ptyHostSpawn(o: PtyHostOptions): PtySpawn {
  return (file, args, opts) => {
    // The session belongs to the helper's connection: no process group of its own, so
    // stopping the helper's group stops its terminals too.
    const child: ChildProcess = forkNodeModule({ modulePath: o.modulePath, ...(o.execPath ? { execPath: o.execPath } : {}) });
    const dataListeners = new Set<(data: string) => void>();
    const exitListeners = new Set<(e: { exitCode: number; signal?: number }) => void>();
    let exited = false;
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4_000)));

    const finish = (exitCode: number, signal?: number) => {
      if (exited) return;
      exited = true;
      for (const l of exitListeners) l(signal === undefined ? { exitCode } : { exitCode, signal });
      dataListeners.clear();
      exitListeners.clear();
    };
    const post = (m: ToPtyHost) => {
      if (!exited && child.connected) child.send(m);
    };

    child.on('message', (raw) => {
      const m = raw as FromPtyHost;
      if (m.t === 'data') for (const l of dataListeners) l(m.d);
      else if (m.t === 'exit') finish(m.code, m.signal ?? undefined);
      else if (m.t === 'error') {
        o.logger.warn({ file, message: m.message }, 'terminal could not start');
        finish(-1);
      }
    });
    child.on('error', (err) => {
      o.logger.warn({ err }, 'pty host failed');
      finish(-1);
    });
    child.on('exit', (code, signal) => {
      if (!exited && (signal || code !== 0)) {
        o.logger.warn({ code, signal, stderr: stderr.trim() || undefined }, 'pty host ended abnormally: its terminal session is closed');
      }
      finish(-1);
    });

    post({ t: 'spawn', file, args, name: opts.name, cols: opts.cols, rows: opts.rows, cwd: opts.cwd, env: opts.env });

    const pty: PtyProcess = {
      onData(listener) {
        dataListeners.add(listener);
        return { dispose: () => void dataListeners.delete(listener) };
      },
      onExit(listener) {
        exitListeners.add(listener);
        return { dispose: () => void exitListeners.delete(listener) };
      },
      write: (d) => post({ t: 'write', d }),
      resize: (cols, rows) => post({ t: 'resize', cols, rows }),
      kill(signal) {
        post(signal === undefined ? { t: 'kill' } : { t: 'kill', signal });
        // A host that does not act on it within a bound is ended from here.
        setTimeout(() => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        }, 2_000).unref();
      },
    };
    return pty;
  };
}
