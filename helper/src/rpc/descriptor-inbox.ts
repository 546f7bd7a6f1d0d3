// Files callers hand over as open descriptors (SCM_RIGHTS on the descriptor socket beside
// the RPC socket), kept briefly under a random token that only the same process may then
// name in a request. The caller's own open decided whether it may read the file; the
// helper checks the descriptor was opened for reading (not write-only, not O_PATH), so
// root's reopening of it through /proc grants nothing the caller did not already hold.
import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, readFileSync } from 'node:fs';
import { chmod, open, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { NovaError } from '../../../src-shared/errors.js';
import type { DescriptorReceipt } from '../../../src-shared/wire/descriptor-handoff.js';
import { callerOf, loadPeercredAddon, socketFd, type Caller } from '../auth/peer-credentials.js';
import type { Logger } from '../util/logger.js';
import type { GuardedFile } from '../vm/path-guard.js';

export interface DescriptorInboxOptions {
  socketPath: string;
  /** How long a connected caller has to send its descriptor. */
  receiveWithinMs?: number;
  /** How long a handed file waits for the request that names it. */
  keepMs?: number;
  /** Files one uid may have waiting at once: each holds a descriptor of the helper's. */
  maxPerUid?: number;
}

interface Held {
  fd: number;
  caller: Caller;
  timer: NodeJS.Timeout;
}

const POLL_MS = 5;
const O_ACCMODE = 0o3;
const O_WRONLY = 0o1;
const O_PATH = 0o10000000;

export class DescriptorInbox {
  private server: Server | null = null;
  private readonly held = new Map<string, Held>();

  constructor(
    private readonly logger: Logger,
    private readonly options: DescriptorInboxOptions,
  ) {}

  async listen(): Promise<void> {
    const { socketPath } = this.options;
    await rm(socketPath, { force: true });
    // Paused: libuv's read(2) would drop the attached descriptor; recvmsg reads it instead.
    const server = createServer({ pauseOnConnect: true }, (socket) => void this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    await chmod(socketPath, 0o666);
  }

  async close(): Promise<void> {
    this.server?.close();
    this.server = null;
    for (const token of [...this.held.keys()]) this.drop(token);
    await rm(this.options.socketPath, { force: true });
  }

  /**
   * The file handed over under `token` by this very process (pid and start time), opened
   * read-only for the helper; `what` and `fileName` are words for messages.
   */
  async take(token: string, caller: Caller, what: string, fileName: string): Promise<GuardedFile> {
    const held = this.held.get(token);
    if (!held || held.caller.pid !== caller.pid || held.caller.startTime !== caller.startTime || held.caller.uid !== caller.uid) {
      throw new NovaError('not_found', `${what} ${fileName} was not handed to the helper by this process, or was handed over more than ${Math.round(this.keepMs / 1000)} s ago; send it again`);
    }
    this.held.delete(token);
    clearTimeout(held.timer);
    try {
      return await reopenForReading(held.fd, what, fileName);
    } finally {
      closeSync(held.fd);
    }
  }

  private get keepMs(): number {
    return this.options.keepMs ?? 60_000;
  }

  private drop(token: string): void {
    const held = this.held.get(token);
    if (!held) return;
    this.held.delete(token);
    clearTimeout(held.timer);
    closeSync(held.fd);
  }

  private async accept(socket: Socket): Promise<void> {
    socket.on('error', (err) => this.logger.debug({ err }, 'descriptor socket error'));
    const answer = (receipt: DescriptorReceipt): void => void socket.end(`${JSON.stringify(receipt)}\n`);
    // A peer that never sends keeps nothing open past the bound.
    const bound = setTimeout(() => socket.destroy(), (this.options.receiveWithinMs ?? 2_000) + 1_000);
    socket.once('close', () => clearTimeout(bound));
    try {
      const caller = await callerOf(socket);
      const fd = await this.receive(socket);
      if (fd === null) return answer({ error: 'no descriptor came: send one byte with the open file attached' });
      const mine = [...this.held.values()].filter((h) => h.caller.uid === caller.uid).length;
      if (mine >= (this.options.maxPerUid ?? 4)) {
        closeSync(fd);
        return answer({ error: `uid ${caller.uid} already has ${mine} files waiting to be used; use or let them go first` });
      }
      const token = randomBytes(16).toString('hex');
      const timer = setTimeout(() => this.drop(token), this.keepMs);
      timer.unref();
      this.held.set(token, { fd, caller, timer });
      answer({ token });
    } catch (err) {
      this.logger.debug({ err }, 'descriptor handoff failed');
      socket.destroy();
    }
  }

  /** Polls recvmsg on the paused socket until one descriptor came, the peer left, or the bound passed. */
  private async receive(socket: Socket): Promise<number | null> {
    const addon = loadPeercredAddon();
    const deadline = Date.now() + (this.options.receiveWithinMs ?? 2_000);
    while (Date.now() < deadline && !socket.destroyed) {
      const got = addon.receiveWithDescriptor(socketFd(socket));
      if (got === null) {
        await new Promise((r) => setTimeout(r, POLL_MS));
        continue;
      }
      if (got.fd >= 0) return got.fd;
      return null;
    }
    return null;
  }
}

/**
 * A new read-only handle on the file behind `fd`, after checking the caller opened it for
 * reading. Only regular files: a pipe or socket has no size to import, a device is not a file.
 */
async function reopenForReading(fd: number, what: string, fileName: string): Promise<GuardedFile> {
  const flags = Number.parseInt(/^flags:\s*([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))?.[1] ?? '', 8);
  if (!Number.isFinite(flags) || (flags & O_PATH) !== 0 || (flags & O_ACCMODE) === O_WRONLY) {
    throw new NovaError('not_authorized', `${what} ${fileName} was not opened for reading by the caller`, { path: fileName });
  }
  const before = fstatSync(fd);
  if (!before.isFile()) throw new NovaError('invalid_argument', `${what} ${fileName} is not a regular file`, { path: fileName });
  const handle = await open(`/proc/self/fd/${fd}`, 'r');
  const stats = await handle.stat();
  if (stats.dev !== before.dev || stats.ino !== before.ino) {
    await handle.close();
    throw new NovaError('internal', `${what} ${fileName} changed while the helper opened it`);
  }
  return { path: fileName, handle, stats };
}
