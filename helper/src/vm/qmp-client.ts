// A QMP client on QEMU's unix socket: capability negotiation, commands with ids and
// per-command timeouts, asynchronous events, jobs waited on through JOB_STATUS_CHANGE,
// a debug transcript, and a synthetic SHUTDOWN when the socket drops (as Incus's qmp
// package does) so whoever cleans up after a VM always hears about its end.
import { createConnection, type Socket } from 'node:net';
import { loadPeercredAddon, socketFd } from '../auth/peer-credentials.js';
import { NovaError, isNovaError, type ErrorCode } from '../../../src-shared/errors.js';
import type { Logger } from '../util/logger.js';

export const QMP_DEFAULT_TIMEOUT_MS = 5_000;
export const QMP_JOB_TIMEOUT_MS = 5 * 60_000;
/**
 * The longest line a monitor may send. QEMU's largest answer (query-qmp-schema) is about
 * 200 KB; a monitor that sends more without a newline is not QEMU, and is cut off before
 * it can fill the helper's memory.
 */
export const QMP_MAX_LINE_BYTES = 8 * 1024 * 1024;

/** QEMU's error classes (qapi/error.json) as Nova's codes; an unknown class is a refusal like GenericError. */
const QMP_ERROR_CODES: Record<string, ErrorCode> = {
  GenericError: 'failed_precondition',
  CommandNotFound: 'unsupported',
  KVMMissingCap: 'unsupported',
  DeviceNotFound: 'not_found',
  DeviceNotActive: 'failed_precondition',
};

export function qmpErrorCode(errorClass: unknown): ErrorCode {
  return (typeof errorClass === 'string' && Object.hasOwn(QMP_ERROR_CODES, errorClass) ? QMP_ERROR_CODES[errorClass] : undefined) ?? 'failed_precondition';
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface QmpEvent {
  event: string;
  data: Record<string, unknown>;
  timestamp: { seconds: number; microseconds: number };
  /** True for the SHUTDOWN this client makes up when the socket closes without one. */
  synthetic?: boolean;
}

export interface QmpStatus {
  status: string;
  running: boolean;
  singlestep?: boolean;
}

export interface QmpBlockStats {
  device: string;
  node_name?: string;
  qdev?: string;
  stats: { rd_bytes: number; wr_bytes: number; rd_operations: number; wr_operations: number };
}

export interface QmpJobInfo {
  id: string;
  type: string;
  status: string;
  'current-progress': number;
  'total-progress': number;
  error?: string;
}

interface Pending {
  command: string;
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

type EventListener = (event: QmpEvent) => void;

export class QmpClient {
  private buffer = '';
  private nextId = 1;
  private readonly pending = new Map<string, Pending>();
  private readonly listeners = new Set<EventListener>();
  private closed = false;
  private sawShutdown = false;
  private closeWaiters: Array<() => void> = [];

  private constructor(
    private readonly socket: Socket,
    private readonly logger: Logger | null,
    /** Deadline of a command when its caller gives none. */
    private readonly commandTimeoutMs: number,
    /** Starts every message: "VM web1: QMP stop did not answer within 5000 ms". */
    private readonly prefix: string,
  ) {}

  /**
   * Connects, reads the greeting and negotiates capabilities, each bounded by timeoutMs.
   * `label` names whose monitor this is in every error ("VM web1"). `verifyPeer` runs
   * once connected, before a byte is read or written; what it throws ends the connect.
   */
  static async connect(path: string, opts: { timeoutMs?: number; logger?: Logger; label?: string; verifyPeer?: (socket: Socket) => void } = {}): Promise<QmpClient> {
    const timeoutMs = opts.timeoutMs ?? QMP_DEFAULT_TIMEOUT_MS;
    const socket = createConnection(path);
    const prefix = opts.label ? `${opts.label}: ` : '';
    const client = new QmpClient(socket, opts.logger ?? null, timeoutMs, prefix);
    const greeting = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new NovaError('timeout', `${prefix}QMP at ${path} sent no greeting within ${timeoutMs} ms`));
      }, timeoutMs);
      client.greetingHandler = () => {
        clearTimeout(timer);
        resolve();
      };
      if (opts.verifyPeer) {
        const verify = opts.verifyPeer;
        socket.pause();
        socket.once('connect', () => {
          try {
            verify(socket);
            socket.resume();
          } catch (err) {
            clearTimeout(timer);
            reject(isNovaError(err) ? new NovaError(err.code, `${prefix}${err.message}`, err.details) : err);
            socket.destroy();
          }
        });
      }
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(new NovaError('unavailable', `${prefix}cannot connect to QMP at ${path}: ${err.message}`));
      });
      socket.once('close', () => {
        clearTimeout(timer);
        reject(new NovaError('unavailable', `${prefix}QMP at ${path} closed before its greeting`));
      });
    });
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => client.onData(chunk));
    socket.on('close', () => client.onClose());
    socket.on('error', (err) => client.logger?.debug({ err }, 'qmp socket error'));
    try {
      await greeting;
      await client.execute('qmp_capabilities', {}, timeoutMs);
    } catch (err) {
      socket.destroy();
      throw err;
    }
    return client;
  }

  private greetingHandler: (() => void) | null = null;

  get isClosed(): boolean {
    return this.closed;
  }

  onEvent(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves when the socket has closed (QEMU exited or closed the monitor). */
  waitClosed(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => this.closeWaiters.push(resolve));
  }

  close(): void {
    this.socket.destroy();
  }

  /** Runs one command; QMP errors become NovaErrors carrying QEMU's class and description. */
  execute<T = unknown>(command: string, args: Record<string, unknown> = {}, timeoutMs = this.commandTimeoutMs): Promise<T> {
    return this.send(command, args, timeoutMs, (line) => this.socket.write(line));
  }

  /**
   * Runs one command with a descriptor attached (`add-fd`, `getfd`): QEMU gets the very
   * file the helper checked. Sent once Node's own queue is empty, so the line cannot
   * overtake one written before it.
   */
  async executeWithDescriptor<T = unknown>(command: string, args: Record<string, unknown>, descriptor: number, timeoutMs = this.commandTimeoutMs): Promise<T> {
    if (this.socket.writableLength > 0) await new Promise((resolve) => this.socket.once('drain', resolve));
    return this.send(command, args, timeoutMs, (line) => loadPeercredAddon().sendWithDescriptor(socketFd(this.socket), Buffer.from(line), descriptor));
  }

  private send<T>(command: string, args: Record<string, unknown>, timeoutMs: number, write: (line: string) => void): Promise<T> {
    if (this.closed) return Promise.reject(new NovaError('unavailable', `${this.prefix}QMP closed; cannot run ${command}`));
    const id = `nova-${this.nextId++}`;
    const message = Object.keys(args).length > 0 ? { execute: command, arguments: args, id } : { execute: command, id };
    const line = JSON.stringify(message);
    this.logger?.debug({ qmp: 'send', line }, 'qmp');
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new NovaError('timeout', `${this.prefix}QMP ${command} did not answer within ${timeoutMs} ms`, { qmpCommand: command }));
      }, timeoutMs);
      this.pending.set(id, { command, resolve: resolve as (v: unknown) => void, reject, timer });
      try {
        write(line + '\n');
      } catch (err) {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(new NovaError('internal', `${this.prefix}QMP ${command} could not be sent: ${(err as Error).message}`));
      }
    });
  }

  queryStatus(): Promise<QmpStatus> {
    return this.execute<QmpStatus>('query-status');
  }
  stop(): Promise<void> {
    return this.execute('stop').then(() => undefined);
  }
  cont(): Promise<void> {
    return this.execute('cont').then(() => undefined);
  }
  systemPowerdown(): Promise<void> {
    return this.execute('system_powerdown').then(() => undefined);
  }
  systemReset(): Promise<void> {
    return this.execute('system_reset').then(() => undefined);
  }
  /** QEMU may close the socket before answering `quit`: a close counts as success. */
  async quit(timeoutMs = this.commandTimeoutMs): Promise<void> {
    await Promise.race([this.execute('quit', {}, timeoutMs).catch((err: unknown) => {
      if (!this.closed) throw err;
    }), this.waitClosed()]);
  }
  queryBlockstats(): Promise<QmpBlockStats[]> {
    return this.execute<QmpBlockStats[]>('query-blockstats');
  }
  queryJobs(): Promise<QmpJobInfo[]> {
    return this.execute<QmpJobInfo[]>('query-jobs');
  }
  setVncPassword(password: string): Promise<void> {
    return this.execute('set_password', { protocol: 'vnc', password }).then(() => undefined);
  }

  snapshotSave(jobId: string, tag: string, vmstate: string, devices: string[], timeoutMs = QMP_JOB_TIMEOUT_MS): Promise<void> {
    return this.runJob('snapshot-save', { 'job-id': jobId, tag, vmstate, devices }, jobId, timeoutMs);
  }
  snapshotLoad(jobId: string, tag: string, vmstate: string, devices: string[], timeoutMs = QMP_JOB_TIMEOUT_MS): Promise<void> {
    return this.runJob('snapshot-load', { 'job-id': jobId, tag, vmstate, devices }, jobId, timeoutMs);
  }
  /** Internal snapshots of these block nodes, all or none (one transaction), without the RAM; the VM runs on. */
  snapshotDisksLive(tag: string, devices: string[], timeoutMs = QMP_JOB_TIMEOUT_MS): Promise<void> {
    const actions = devices.map((device) => ({ type: 'blockdev-snapshot-internal-sync', data: { device, name: tag } }));
    return this.execute('transaction', { actions }, timeoutMs).then(() => undefined);
  }
  snapshotDelete(jobId: string, tag: string, devices: string[], timeoutMs = QMP_JOB_TIMEOUT_MS): Promise<void> {
    return this.runJob('snapshot-delete', { 'job-id': jobId, tag, devices }, jobId, timeoutMs);
  }

  /**
   * Starts a job and waits for it to conclude, then reads its error and dismisses it.
   * Listens before sending so a fast job's events are not missed; polls query-jobs as a
   * fallback in case an event is lost.
   */
  async runJob(command: string, args: Record<string, unknown>, jobId: string, timeoutMs: number): Promise<void> {
    let concluded!: () => void;
    const done = new Promise<void>((resolve) => (concluded = resolve));
    const off = this.onEvent((ev) => {
      if (ev.event === 'JOB_STATUS_CHANGE' && ev.data.id === jobId && ev.data.status === 'concluded') concluded();
      if (ev.synthetic) concluded();
    });
    const poll = setInterval(() => {
      this.queryJobs().then(
        (jobs) => {
          const job = jobs.find((j) => j.id === jobId);
          if (!job || job.status === 'concluded') concluded();
        },
        () => undefined,
      );
    }, 500);
    let deadlineTimer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      deadlineTimer = setTimeout(() => reject(new NovaError('timeout', `${this.prefix}QMP job ${command} (${jobId}) did not finish within ${timeoutMs} ms`, { qmpCommand: command })), timeoutMs);
    });
    deadline.catch(() => undefined);
    try {
      await this.execute(command, args);
      await Promise.race([done, deadline]);
      if (this.closed) throw new NovaError('unavailable', `${this.prefix}QEMU went away during ${command}`);
      const job = (await this.queryJobs()).find((j) => j.id === jobId);
      if (job) await this.execute('job-dismiss', { id: jobId });
      if (job?.error) throw new NovaError('internal', `${this.prefix}${command} failed: ${job.error}`, { qmpJob: job });
    } finally {
      clearTimeout(deadlineTimer);
      clearInterval(poll);
      off();
    }
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    for (let nl = this.buffer.indexOf('\n'); nl !== -1; nl = this.buffer.indexOf('\n')) {
      if (nl > QMP_MAX_LINE_BYTES) return this.cutOff(nl);
      const line = this.buffer.slice(0, nl).trim();
      this.buffer = this.buffer.slice(nl + 1);
      if (line) this.onLine(line);
    }
    if (this.buffer.length > QMP_MAX_LINE_BYTES) this.cutOff(this.buffer.length);
  }

  private cutOff(bytes: number): void {
    this.logger?.warn({ bytes }, 'qmp: a line over the limit; closing the monitor');
    this.buffer = '';
    this.socket.destroy();
  }

  private onLine(line: string): void {
    this.logger?.debug({ qmp: 'recv', line }, 'qmp');
    let msg: unknown;
    try {
      msg = JSON.parse(line);
    } catch {
      this.logger?.warn({ line: line.slice(0, 200) }, 'qmp: unparsable line');
      return;
    }
    // A monitor's word is not trusted to be QMP: anything but an object is dropped, as an unparsable line is.
    if (!isObject(msg)) {
      this.logger?.warn({ line: line.slice(0, 200) }, 'qmp: a line that is not a QMP message');
      return;
    }
    if ('QMP' in msg) {
      this.greetingHandler?.();
      this.greetingHandler = null;
      return;
    }
    if (typeof msg.event === 'string') {
      if (msg.event === 'SHUTDOWN') this.sawShutdown = true;
      this.dispatch({
        event: msg.event,
        data: isObject(msg.data) ? msg.data : {},
        timestamp: isObject(msg.timestamp) ? (msg.timestamp as QmpEvent['timestamp']) : { seconds: 0, microseconds: 0 },
      });
      return;
    }
    const id = typeof msg.id === 'string' ? msg.id : null;
    const pending = id ? this.pending.get(id) : undefined;
    if (!id || !pending) return;
    this.pending.delete(id);
    clearTimeout(pending.timer);
    if ('error' in msg) {
      const error = isObject(msg.error) ? msg.error : {};
      const desc = typeof error.desc === 'string' ? error.desc : 'error';
      const errorClass = typeof error.class === 'string' ? error.class : undefined;
      pending.reject(new NovaError(qmpErrorCode(errorClass), `${this.prefix}QMP ${pending.command}: ${desc}`, { qmpClass: errorClass }));
    } else {
      pending.resolve(msg.return);
    }
  }

  private dispatch(event: QmpEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch (err) {
        this.logger?.warn({ err, event: event.event }, 'qmp event listener threw');
      }
    }
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new NovaError('unavailable', `${this.prefix}QMP closed while ${p.command} was pending`));
      this.pending.delete(id);
    }
    if (!this.sawShutdown) {
      const now = Date.now();
      this.dispatch({
        event: 'SHUTDOWN',
        data: { guest: false, reason: 'qmp-disconnected' },
        timestamp: { seconds: Math.floor(now / 1000), microseconds: (now % 1000) * 1000 },
        synthetic: true,
      });
    }
    this.dispatch({ event: 'DISCONNECTED', data: {}, timestamp: { seconds: 0, microseconds: 0 }, synthetic: true });
    for (const w of this.closeWaiters) w();
    this.closeWaiters = [];
  }
}
