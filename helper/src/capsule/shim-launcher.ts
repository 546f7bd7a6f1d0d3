// Starts capsule shims through one long-lived `nova-capsule-shim --launcher` (see the C
// source), so a capsule start costs a pipe write and a fork of that small process instead of
// a fork of the helper: Node forks itself for every spawn, in time that grows with its memory.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';

const LAUNCH_TIMEOUT_MS = 10_000;

interface Pending {
  resolve: (pid: number) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

/** The request the launcher reads: the argument count, then each argument, all NUL-terminated. */
export function launchRequest(argv: readonly string[]): Buffer {
  for (const a of argv) if (a.includes('\0')) throw new Error(`a shim argument contains a NUL byte: ${JSON.stringify(a)}`);
  return Buffer.from([String(argv.length), ...argv].map((a) => `${a}\0`).join(''));
}

/** One launcher process and the requests it has yet to answer (in order: it answers in order). */
interface Connection {
  child: ChildProcessByStdio<Writable, Readable, null>;
  pending: Pending[];
  output: string;
}

export class ShimLauncher {
  private current: Connection | null = null;

  /** `binary` is the shim executable; the launcher only ever starts that same binary. */
  constructor(private readonly binary: string) {}

  /** Starts a detached shim with argv (argv[0] first) and resolves with its pid. */
  launch(argv: readonly string[]): Promise<number> {
    const request = launchRequest(argv);
    const c = this.current ?? this.connect();
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => this.fail(c, new Error(`the shim launcher did not answer within ${LAUNCH_TIMEOUT_MS} ms`)), LAUNCH_TIMEOUT_MS);
      c.pending.push({ resolve, reject, timer });
      c.child.stdin.write(request);
    });
  }

  /** Lets the launcher exit (its stdin ends) once it has answered; shims it started keep running. */
  close(): void {
    this.current?.child.stdin.end();
    this.current = null;
  }

  private connect(): Connection {
    // Its own session, as the shims: a terminal's Ctrl-C to the helper's group must not reach it.
    const child = spawn(this.binary, ['--launcher'], { detached: true, stdio: ['pipe', 'pipe', 'ignore'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
    const c: Connection = { child, pending: [], output: '' };
    this.current = c;
    // Neither the launcher nor its pipes keep the helper's event loop alive.
    child.unref();
    for (const pipe of [child.stdin, child.stdout]) (pipe as Partial<Socket>).unref?.();
    child.stdin.on('error', (err) => this.fail(c, err));
    child.on('error', (err) => this.fail(c, err));
    child.on('exit', (code, signal) => this.fail(c, new Error(`the shim launcher ${this.binary} exited (${signal ?? `code ${code}`})`)));
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      c.output += chunk;
      let nl: number;
      while ((nl = c.output.indexOf('\n')) >= 0) {
        const line = c.output.slice(0, nl);
        c.output = c.output.slice(nl + 1);
        const p = c.pending.shift();
        if (!p) continue;
        clearTimeout(p.timer);
        const n = Number(line);
        if (Number.isInteger(n) && n > 0) p.resolve(n);
        else p.reject(new Error(`the shim launcher could not fork (errno ${-n || line})`));
      }
    });
    return c;
  }

  /** This launcher is unusable: its requests in flight fail, and the next launch starts a new one. */
  private fail(c: Connection, err: Error): void {
    if (this.current === c) this.current = null;
    if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
    c.child.stdin.destroy();
    for (const p of c.pending.splice(0)) {
      clearTimeout(p.timer);
      p.reject(err);
    }
  }
}
