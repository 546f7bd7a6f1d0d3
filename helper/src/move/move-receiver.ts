// The destination's end of a cold move: a TLS listener for exactly one connection from the
// source, which must present the client certificate made for this move. The frames it
// carries feed `tar --extract` into the staging folder; the end frame closes tar's input
// and the source is told whether tar took the whole stream. A listener that hears nothing
// for `idleMs` (a caller that died, a source that stalled) gives up and calls `onIdle`, so
// no move waits forever.
import type { ChildProcess } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import { NovaError } from '../../../src-shared/errors.js';
import type { ProcessRunner } from '../process/process-runner.js';
import { FrameReader, tarExtractArgv } from './move-stream.js';

export interface ServerCredentials {
  caCert: string;
  cert: string;
  key: string;
}

export interface MoveReceiverOptions {
  dir: string;
  listen: string;
  credentials: ServerCredentials;
  runner: Pick<ProcessRunner, 'spawnDetached'>;
  idleMs: number;
  onIdle: () => void;
}

export class MoveReceiver {
  /** Settles when the copy is unpacked whole (resolves) or can no longer be (rejects). */
  readonly received: Promise<void>;
  private settle!: { resolve: () => void; reject: (err: Error) => void };
  private tar: ChildProcess | null = null;
  private socket: TLSSocket | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  private outcome: 'pending' | 'received' | 'failed' = 'pending';

  private constructor(
    private readonly o: MoveReceiverOptions,
    private readonly server: Server,
  ) {
    this.received = new Promise<void>((resolve, reject) => (this.settle = { resolve, reject }));
    // Nobody may be waiting yet: a failure is read by finish or dropped by discard.
    this.received.catch(() => undefined);
  }

  static async open(o: MoveReceiverOptions): Promise<MoveReceiver> {
    const server = createServer({ key: o.credentials.key, cert: o.credentials.cert, ca: [o.credentials.caCert], requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.3' });
    const receiver = new MoveReceiver(o, server);
    server.on('secureConnection', (socket) => receiver.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(new NovaError('invalid_argument', `this host cannot listen on ${o.listen}: ${err.message}`)));
      server.listen(0, o.listen, () => resolve());
    });
    receiver.touch();
    return receiver;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get state(): 'pending' | 'received' | 'failed' {
    return this.outcome;
  }

  /** Stops listening and unpacking; what was unpacked stays for the caller to remove. */
  close(reason = 'the move was discarded'): void {
    this.fail(new NovaError('cancelled', reason));
  }

  private accept(socket: TLSSocket): void {
    // One connection per move: the listener closes as the source's arrives.
    this.server.close();
    if (this.socket || this.outcome !== 'pending') {
      socket.destroy();
      return;
    }
    this.socket = socket;
    this.touch();
    void this.unpack(socket).catch((err: unknown) => this.fail(err instanceof Error ? err : new Error(String(err))));
  }

  private async unpack(socket: TLSSocket): Promise<void> {
    const tar = await this.o.runner.spawnDetached({ argv: tarExtractArgv(this.o.dir), stdio: ['pipe', 'ignore', 'pipe'], detached: false });
    this.tar = tar;
    let tarSaid = '';
    tar.stderr?.on('data', (d: Buffer) => (tarSaid = (tarSaid + d.toString()).slice(-4000)));
    tar.stdin?.on('error', () => undefined);
    const exited = new Promise<number | null>((resolve) => tar.once('exit', (code) => resolve(code)));
    const reader = new FrameReader();
    socket.on('data', (chunk: Buffer) => {
      this.touch();
      let frames: Buffer[];
      try {
        frames = reader.push(chunk);
      } catch (err) {
        this.fail(err as Error);
        return;
      }
      for (const f of frames) {
        if (tar.stdin && !tar.stdin.write(f)) {
          socket.pause();
          tar.stdin.once('drain', () => socket.resume());
        }
      }
      if (reader.ended) tar.stdin?.end();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (!reader.ended) this.fail(new NovaError('unavailable', 'the connection from the source ended before the copy was whole'));
    });
    const code = await exited;
    if (this.outcome !== 'pending') return;
    if (code !== 0 || !reader.ended) {
      const why = tarSaid.trim().split('\n').slice(-3).join('; ') || `tar exited ${code}`;
      socket.end(`error: unpacking failed here: ${why}\n`);
      this.fail(new NovaError('internal', `unpacking the copy failed on the destination: ${why}`));
      return;
    }
    this.outcome = 'received';
    this.clearIdle();
    socket.end('ok\n');
    this.settle.resolve();
  }

  private fail(err: Error): void {
    if (this.outcome !== 'pending') return;
    this.outcome = 'failed';
    this.clearIdle();
    this.server.close();
    this.tar?.kill('SIGKILL');
    this.socket?.destroy();
    this.settle.reject(err);
  }

  private touch(): void {
    this.clearIdle();
    this.idleTimer = setTimeout(() => {
      this.fail(new NovaError('timeout', `nothing came from the source for ${Math.round(this.o.idleMs / 1000)} s: the move was given up`));
      this.o.onIdle();
    }, this.o.idleMs);
    this.idleTimer.unref();
  }

  private clearIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }
}
