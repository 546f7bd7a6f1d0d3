// A client for the QEMU guest agent (qemu-ga) on the VM's virtio-serial channel, which
// QEMU serves on a unix socket in the VM's runtime dir. The agent speaks QMP-like JSON
// lines without a greeting or events, and the channel may hold a half answer from an
// earlier client: each connection first sends guest-sync-delimited with a fresh id and
// drops everything before the 0xFF marker and that id's answer. Every command has a
// deadline: a guest without the agent never answers, and that must cost only the wait.
import { createConnection, type Socket } from 'node:net';
import { NovaError } from '../../../src-shared/errors.js';

export const GUEST_AGENT_TIMEOUT_MS = 3_000;
/** The agent's answers are small (interfaces, a few KB); a longer line is not the agent. */
const MAX_LINE_BYTES = 1024 * 1024;
const SYNC_MARKER = 0xff;

/** One guest interface as the overview shows it. */
export interface GuestInterface {
  name: string;
  mac: string | null;
  addresses: string[];
}

interface RawInterface {
  name?: unknown;
  'hardware-address'?: unknown;
  'ip-addresses'?: Array<{ 'ip-address'?: unknown; prefix?: unknown }>;
}

export class GuestAgentClient {
  private nextSync = Math.floor(Math.random() * 0x7fffffff);

  constructor(
    private readonly socketPath: string,
    private readonly timeoutMs = GUEST_AGENT_TIMEOUT_MS,
  ) {}

  /** Whether an agent answers in the guest. */
  async ping(): Promise<boolean> {
    return this.execute('guest-ping').then(
      () => true,
      () => false,
    );
  }

  /** The guest's own view of its interfaces and addresses (loopback left out). */
  async interfaces(): Promise<GuestInterface[]> {
    const raw = await this.execute<RawInterface[]>('guest-network-get-interfaces');
    return (Array.isArray(raw) ? raw : [])
      .filter((i) => typeof i.name === 'string' && i.name !== 'lo')
      .map((i) => ({
        name: String(i.name),
        mac: typeof i['hardware-address'] === 'string' ? i['hardware-address'] : null,
        addresses: (i['ip-addresses'] ?? []).flatMap((a) => (typeof a['ip-address'] === 'string' ? [`${a['ip-address']}${typeof a.prefix === 'number' ? `/${a.prefix}` : ''}`] : [])),
      }));
  }

  /** Asks the guest's OS to power off; the agent does not answer this one, so a quiet deadline is success. */
  async shutdown(): Promise<void> {
    await this.execute('guest-shutdown', { mode: 'powerdown' }, { noReply: true });
  }

  /** Freezes the guest's filesystems (their caches written out) for a consistent snapshot; returns how many. */
  async freeze(): Promise<number> {
    return this.execute<number>('guest-fsfreeze-freeze');
  }

  async thaw(): Promise<number> {
    return this.execute<number>('guest-fsfreeze-thaw');
  }

  /** One command on its own connection: sync, then the command, each within the deadline. */
  async execute<T = unknown>(command: string, args?: Record<string, unknown>, opts: { noReply?: boolean } = {}): Promise<T> {
    const socket = await this.connect();
    const lines = new LineReader(socket);
    try {
      const id = this.nextSync++ & 0x7fffffff;
      socket.write(JSON.stringify({ execute: 'guest-sync-delimited', arguments: { id } }) + '\n');
      await this.until(lines, (msg) => isObject(msg) && msg.return === id, 'guest-sync-delimited');
      socket.write(JSON.stringify({ execute: command, ...(args ? { arguments: args } : {}) }) + '\n');
      if (opts.noReply) {
        await lines.next(Math.min(this.timeoutMs, 1_000)).catch(() => undefined);
        return undefined as T;
      }
      const answer = await this.until(lines, (msg) => isObject(msg) && ('return' in msg || 'error' in msg), command);
      if (isObject(answer.error)) {
        const desc = typeof answer.error.desc === 'string' ? answer.error.desc : 'refused';
        throw new NovaError('failed_precondition', `the guest agent refused ${command}: ${desc}`);
      }
      return answer.return as T;
    } finally {
      socket.destroy();
    }
  }

  private connect(): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const socket = createConnection(this.socketPath);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new NovaError('timeout', `the guest agent's channel ${this.socketPath} did not accept within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      socket.once('connect', () => (clearTimeout(timer), resolve(socket)));
      socket.once('error', (err) => (clearTimeout(timer), reject(new NovaError('unavailable', `the guest agent's channel cannot be reached: ${err.message}`))));
    });
  }

  private async until(lines: LineReader, done: (msg: unknown) => boolean, what: string): Promise<Record<string, unknown>> {
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) throw new NovaError('timeout', `the guest agent did not answer ${what} within ${this.timeoutMs} ms`);
      const line = await lines.next(left).catch(() => null);
      if (line === null) throw new NovaError('timeout', `the guest agent did not answer ${what} within ${this.timeoutMs} ms`);
      let msg: unknown;
      try {
        msg = JSON.parse(line);
      } catch {
        continue; // a half answer left in the channel by an earlier client
      }
      if (done(msg)) return msg as Record<string, unknown>;
    }
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Newline-framed text from the channel, with the sync marker byte taken as a line break. */
class LineReader {
  private buffer = Buffer.alloc(0);
  private readonly queue: string[] = [];
  private waiter: ((line: string | null) => void) | null = null;
  private closed = false;

  constructor(socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.push(chunk));
    socket.on('close', () => {
      this.closed = true;
      this.waiter?.(null);
    });
    socket.on('error', () => undefined);
  }

  next(timeoutMs: number): Promise<string> {
    const queued = this.queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.closed) return Promise.reject(new Error('closed'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        reject(new Error('timeout'));
      }, timeoutMs);
      this.waiter = (line) => {
        clearTimeout(timer);
        this.waiter = null;
        if (line === null) reject(new Error('closed'));
        else resolve(line);
      };
    });
  }

  private push(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const at = this.buffer.findIndex((b) => b === 0x0a || b === SYNC_MARKER);
      if (at === -1) break;
      const line = this.buffer.subarray(0, at).toString('utf8').trim();
      this.buffer = this.buffer.subarray(at + 1);
      if (line !== '') this.deliver(line);
    }
    if (this.buffer.length > MAX_LINE_BYTES) this.buffer = Buffer.alloc(0);
  }

  private deliver(line: string): void {
    if (this.waiter) this.waiter(line);
    else this.queue.push(line);
  }
}
