// Interactive terminals in running capsules: `runc exec --tty` under a pty, the pty held
// by a pty host process (pty-host-spawn.ts) so node-pty never loads into the helper. The
// helper's terminal server (terminal-server.ts) serves each session on its own socket.
import { NovaError } from '../../../src-shared/errors.js';
import * as rt from './runtime-argv.js';

/** The subset of node-pty this engine uses, so node-pty stays an optional, injected dependency. */
export interface PtyProcess {
  onData(listener: (data: string) => void): { dispose(): void };
  onExit(listener: (e: { exitCode: number; signal?: number }) => void): { dispose(): void };
  write(data: string): void;
  resize(cols: number, rows: number): void;
  kill(signal?: string): void;
}

export type PtySpawn = (file: string, args: string[], opts: { name: string; cols: number; rows: number; cwd: string; env: Record<string, string> }) => PtyProcess;

export interface TerminalSession {
  readonly id: string;
  onData(listener: (data: string) => void): void;
  onExit(listener: (exitCode: number) => void): void;
  write(data: string): void;
  resize(cols: number, rows: number): void;
  close(): void;
}

export interface TerminalTarget {
  capsule: string;
  runtime: string;
  runtimeRoot: string;
  containerId: string;
}

export class CapsuleTerminals {
  private readonly open = new Set<PtyProcess>();
  private seq = 0;

  constructor(private readonly spawn: PtySpawn | undefined) {}

  start(t: TerminalTarget, opts: { command?: string[]; cols?: number; rows?: number }): TerminalSession {
    if (!this.spawn) throw new NovaError('unsupported', 'Interactive terminals need node-pty, which is not installed with this helper');
    const argv = rt.execArgv(t.runtime, t.runtimeRoot, t.containerId, opts.command ?? ['/bin/sh'], { tty: true, env: { TERM: 'xterm-256color' } });
    const [file, ...args] = argv as [string, ...string[]];
    const pty = this.spawn(file, args, {
      name: 'xterm-256color',
      cols: opts.cols ?? 80,
      rows: opts.rows ?? 24,
      cwd: '/',
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', TERM: 'xterm-256color' },
    });
    this.open.add(pty);
    pty.onExit(() => this.open.delete(pty));
    return {
      id: `${t.capsule}-${++this.seq}`,
      onData: (l) => void pty.onData(l),
      onExit: (l) => void pty.onExit((e) => l(e.exitCode)),
      write: (d) => pty.write(d),
      resize: (c, r) => pty.resize(c, r),
      close: () => {
        this.open.delete(pty);
        pty.kill();
      },
    };
  }

  /** Ends every session (the helper stops: nobody can reach them any more). */
  closeAll(): void {
    for (const pty of this.open) pty.kill();
    this.open.clear();
  }
}
