// Serves one interactive capsule terminal (a pty from CapsuleManager.openTerminal) on a
// fresh one-connection unix socket: RUN/terminals/RANDOM.sock, mode 0600, owned by the
// caller, so only they (or root) can open it. The socket goes when the first client
// connects (nobody else can join), and everything goes when the session ends or when
// nobody connects in time. Bytes are framed by src-shared/terminal-protocol.ts.
import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdir, rm } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { NovaError } from '../../../src-shared/errors.js';
import { encodeTerminalData, encodeTerminalExit, TerminalFrameDecoder } from '../../../src-shared/terminal-protocol.js';
import type { Logger } from '../util/logger.js';
import type { TerminalSession } from './capsule-terminals.js';

export const TERMINAL_CONNECT_WITHIN_MS = 30_000;
/** Output kept while nobody is connected yet (the shell's first prompt); older bytes are dropped. */
const MAX_PENDING_OUTPUT = 256 * 1024;

export interface TerminalServerOptions {
  /** The folder for terminal sockets (RUN/terminals). */
  dir: string;
  logger: Logger;
  connectWithinMs?: number;
  /** The uid at the other end of a connection (SO_PEERCRED); a mismatch is refused. */
  peerUid?: (socket: Socket) => Promise<number>;
}

export interface TerminalOwner {
  uid: number;
  gid: number;
}

export class TerminalServer {
  private readonly live = new Set<() => void>();

  constructor(private readonly o: TerminalServerOptions) {}

  get connectWithinMs(): number {
    return this.o.connectWithinMs ?? TERMINAL_CONNECT_WITHIN_MS;
  }

  /**
   * Starts serving the session; resolves with the socket path once it is listening. Call it
   * as soon as the session exists: its output is collected from here on.
   */
  async serve(session: TerminalSession, owner: TerminalOwner): Promise<string> {
    const socketPath = join(this.o.dir, `${randomBytes(12).toString('hex')}.sock`);
    const server = createServer();
    server.maxConnections = 1;
    let client: Socket | null = null;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let ended = false;
    let exitCode: number | null = null;

    const finish = () => {
      if (ended) return;
      ended = true;
      this.live.delete(finish);
      clearTimeout(unused);
      server.close();
      void rm(socketPath, { force: true });
      try {
        session.close();
      } catch {
        // the pty had already exited
      }
      client?.destroy();
    };
    const unused = setTimeout(() => {
      this.o.logger.info({ session: session.id }, 'terminal not opened in time: closed');
      finish();
    }, this.connectWithinMs);
    unused.unref();
    this.live.add(finish);

    session.onData((text) => {
      const bytes = Buffer.from(text, 'utf8');
      if (client) {
        for (const f of encodeTerminalData(bytes)) client.write(f);
        return;
      }
      pending.push(bytes);
      pendingBytes += bytes.length;
      while (pendingBytes > MAX_PENDING_OUTPUT && pending.length > 1) pendingBytes -= pending.shift()!.length;
    });
    session.onExit((code) => {
      exitCode = code;
      // Without a client yet, the output and the exit code wait for it (or for the timeout).
      if (client && !client.destroyed) client.end(encodeTerminalExit(code), () => finish());
    });

    server.on('connection', (socket) => {
      // One client only: the name disappears as soon as it is taken.
      server.close();
      void rm(socketPath, { force: true });
      void this.accept(socket, owner, session).then((accepted) => {
        if (!accepted || ended) {
          socket.destroy();
          finish();
          return;
        }
        clearTimeout(unused);
        client = socket;
        for (const b of pending) for (const f of encodeTerminalData(b)) socket.write(f);
        pending = [];
        pendingBytes = 0;
        if (exitCode !== null) {
          socket.end(encodeTerminalExit(exitCode), () => finish());
          return;
        }
        const decoder = new TerminalFrameDecoder();
        const text = new StringDecoder('utf8');
        socket.on('data', (chunk: Buffer) => {
          try {
            for (const frame of decoder.push(chunk)) {
              if (frame.type === 'data') session.write(text.write(Buffer.from(frame.data)));
              else if (frame.type === 'resize') session.resize(frame.cols, frame.rows);
            }
          } catch (err) {
            this.o.logger.warn({ session: session.id, err }, 'terminal protocol error: closed');
            finish();
          }
        });
        socket.on('error', () => undefined);
        socket.on('close', finish);
      });
    });
    server.on('error', (err) => {
      this.o.logger.warn({ session: session.id, err }, 'terminal socket failed');
      finish();
    });

    try {
      // 0711: owners reach their socket by its unguessable name; nobody can list the others.
      await mkdir(this.o.dir, { recursive: true, mode: 0o711 });
      await chmod(this.o.dir, 0o711);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(socketPath, () => {
          server.off('error', reject);
          resolve();
        });
      });
      await chmod(socketPath, 0o600);
      await chown(socketPath, owner.uid, owner.gid);
    } catch (err) {
      finish();
      throw new NovaError('internal', `Cannot serve the terminal on ${socketPath}: ${(err as Error).message}`);
    }
    return socketPath;
  }

  /** Ends every session (the helper is stopping). */
  closeAll(): void {
    for (const finish of [...this.live]) finish();
  }

  private async accept(socket: Socket, owner: TerminalOwner, session: TerminalSession): Promise<boolean> {
    if (!this.o.peerUid) return true;
    try {
      const uid = await this.o.peerUid(socket);
      if (uid === owner.uid || uid === 0) return true;
      this.o.logger.warn({ session: session.id, uid, owner: owner.uid }, 'terminal opened by another user: refused');
      return false;
    } catch (err) {
      // Fail closed: a connection we cannot identify gets no shell.
      this.o.logger.warn({ session: session.id, err }, 'cannot identify the terminal client: refused');
      return false;
    }
  }
}
