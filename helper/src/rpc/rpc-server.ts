// The helper's socket: JSON-RPC 2.0 in newline-delimited frames over a unix socket.
// Anyone may connect, so every connection is bounded: it is identified once by its peer
// credentials and admitted within its uid's share (ConnectionAdmission), its unread
// replies are bounded (ClientConnection), so is the request text its uid has waiting
// for answers (RequestBudget), and each request goes through the MethodDispatcher. Malformed or oversize frames get a short structured error on that
// connection only: other clients are never disturbed. Events go only to connections
// that subscribed (events.subscribe, authorized like a view call).
import { chmod, mkdir, rm } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import type { JSONRPCRequest } from 'json-rpc-2.0';
import { NovaError, toErrorShape, type ErrorShape } from '../../../src-shared/errors.js';
import type { NovaEvent } from '../../../src-shared/api/events.js';
import { DEFAULT_MAX_FRAME_BYTES, encodeFrame, type DecodedFrame } from '../../../src-shared/wire/frame-decoder.js';
import { EVENT_NOTIFICATION, OPERATION_STARTED_NOTIFICATION, type OperationStarted } from '../../../src-shared/wire/notifications.js';
import { JSON_RPC_PARSE_ERROR, toJsonRpcError } from '../../../src-shared/wire/rpc-errors.js';
import { callerOf, type Caller } from '../auth/peer-credentials.js';
import type { CallContext } from '../methods/handler-table.js';
import type { Logger } from '../util/logger.js';
import { ClientConnection, DEFAULT_BACKLOG_LIMITS, type BacklogLimits } from './client-connection.js';
import { ConnectionAdmission, DEFAULT_CONNECTION_CAPS, type ConnectionCaps } from './connection-admission.js';
import type { MethodDispatcher } from './method-dispatcher.js';
import { DEFAULT_REQUEST_BUDGET, RequestBudget } from './request-budget.js';

export interface RpcServerOptions {
  socketPath: string;
  maxFrameBytes?: number;
  maxInFlightPerConnection?: number;
  caps?: ConnectionCaps;
  backlog?: BacklogLimits;
  /** Request text one non-root uid may have waiting for answers. */
  requestBudget?: number;
  /** Resolves the peer of a new connection; tests may substitute. */
  identify?: (socket: Socket) => Promise<Caller>;
}

/** A JSON-RPC id is echoed in its answer, so only a short one is taken. */
const MAX_ID_LENGTH = 128;

export class RpcServer {
  private server: Server | null = null;
  private readonly connections = new Set<ClientConnection>();
  private readonly admission: ConnectionAdmission;
  private readonly budget: RequestBudget;
  /** Uids whose refused connections were already logged, until one is admitted again. */
  private readonly refusalLogged = new Set<number>();
  private readonly maxFrameBytes: number;
  private readonly maxInFlight: number;

  constructor(
    private readonly dispatcher: MethodDispatcher,
    private readonly logger: Logger,
    private readonly options: RpcServerOptions,
  ) {
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.maxInFlight = options.maxInFlightPerConnection ?? 64;
    this.admission = new ConnectionAdmission(options.caps ?? DEFAULT_CONNECTION_CAPS);
    this.budget = new RequestBudget(options.requestBudget ?? DEFAULT_REQUEST_BUDGET);
  }

  async listen(): Promise<void> {
    const { socketPath } = this.options;
    await mkdir(dirname(socketPath), { recursive: true, mode: 0o755 });
    await removeStaleSocket(socketPath);
    // No server-wide maxConnections: it would refuse root along with everyone else.
    const server = createServer((socket) => void this.accept(socket));
    // Set before listening: root may connect the instant the socket exists (before the chmod
    // below), and accept() takes a missing server for one that is closing.
    this.server = server;
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(socketPath, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      this.server = null;
      throw err;
    }
    // Anyone may connect; polkit decides per request what they may do.
    await chmod(socketPath, 0o666);
    this.logger.info({ socket: socketPath }, 'listening');
  }

  /** Sends an event to every connection that subscribed to events. */
  broadcast(event: NovaEvent): void {
    const message = { jsonrpc: '2.0', method: EVENT_NOTIFICATION, params: event };
    for (const conn of this.connections) if (conn.subscribed) conn.send(message);
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Stops accepting, lets in-flight requests finish (bounded), then closes every connection. */
  async close(graceMs = 5000): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server) server.close();
    const deadline = Date.now() + graceMs;
    while ([...this.connections].some((c) => c.inFlight > 0) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    for (const conn of this.connections) conn.socket.destroy();
    this.connections.clear();
    await rm(this.options.socketPath, { force: true });
  }

  private async accept(socket: Socket): Promise<void> {
    socket.on('error', (err) => this.logger.debug({ err }, 'client socket error'));
    let caller: Caller;
    try {
      caller = await (this.options.identify ?? callerOf)(socket);
    } catch (err) {
      // A client that connects and leaves at once is not worth a warning each time.
      this.logger.debug({ err }, 'could not identify peer; closing connection');
      socket.destroy();
      return;
    }
    // The client may have left while we identified it: never track a dead socket.
    if (socket.destroyed || !this.server) {
      socket.destroy();
      return;
    }
    const admission = this.admission.admit(caller.uid);
    if (!admission.admitted) {
      this.refuse(socket, caller, admission.reason);
      return;
    }
    this.refusalLogged.delete(caller.uid);
    const conn = new ClientConnection(socket, caller, {
      maxFrameBytes: this.maxFrameBytes,
      backlog: this.options.backlog ?? DEFAULT_BACKLOG_LIMITS,
      onFrame: (c, frame) => this.handleFrame(c, frame),
      onDrop: (c, reason) => this.logger.warn({ uid: c.caller.uid, pid: c.caller.pid, reason }, 'dropped a client that does not read'),
    });
    this.connections.add(conn);
    socket.on('close', () => {
      this.connections.delete(conn);
      admission.release();
      this.logger.debug({ uid: caller.uid, pid: caller.pid }, 'client disconnected');
    });
    this.logger.debug({ uid: caller.uid, pid: caller.pid }, 'client connected');
    conn.start();
  }

  /** Tells the client why in one short frame, and closes. */
  private refuse(socket: Socket, caller: Caller, reason: string): void {
    if (!this.refusalLogged.has(caller.uid)) {
      this.refusalLogged.add(caller.uid);
      this.logger.warn({ uid: caller.uid, pid: caller.pid, reason }, 'refusing connections');
    }
    const error = toJsonRpcError({ code: 'unavailable', message: `The helper refused this connection: ${reason}` });
    socket.end(encodeFrame({ jsonrpc: '2.0', id: null, error }), () => socket.destroy());
    // A peer that never reads must not keep even a refused socket open.
    setTimeout(() => socket.destroy(), 1_000).unref();
  }

  private handleFrame(conn: ClientConnection, frame: DecodedFrame): void {
    if (frame.kind === 'oversize') {
      this.replyError(conn, null, {
        code: 'frame_too_large',
        message: `Frame of ${frame.bytes} bytes exceeds the limit of ${this.maxFrameBytes} bytes`,
        details: { bytes: frame.bytes, limit: this.maxFrameBytes },
      });
      return;
    }
    let message: unknown;
    try {
      message = JSON.parse(frame.text);
    } catch {
      this.replyError(conn, null, { code: 'protocol', message: 'Malformed frame: not valid JSON' }, JSON_RPC_PARSE_ERROR);
      return;
    }
    if (!isRequest(message)) {
      // Responses to our own notifications never come: we send none that expect one.
      if (isResponse(message)) return;
      this.replyError(conn, idOf(message), {
        code: 'protocol',
        message: 'Malformed frame: expected one JSON-RPC 2.0 request object with a short id (batches are not accepted)',
      });
      return;
    }
    if (conn.inFlight >= this.maxInFlight) {
      this.replyError(conn, message.id ?? null, {
        code: 'unavailable',
        message: `Too many requests in flight on this connection (limit ${this.maxInFlight})`,
      });
      return;
    }
    const release = this.budget.take(conn.caller.uid, frame.text.length);
    if (!release) {
      this.replyError(conn, message.id ?? null, {
        code: 'unavailable',
        message: 'Too much request data from this user is waiting for answers; try again once they come',
      });
      return;
    }
    this.dispatch(conn, message, release);
  }

  private dispatch(conn: ClientConnection, message: JSONRPCRequest, release: () => void): void {
    conn.inFlight++;
    const id = message.id;
    const ctx: CallContext = {
      caller: conn.caller,
      subscribeEvents: () => {
        conn.subscribed = true;
      },
      isConnected: () => conn.isOpen,
      onDisconnect: (listener) => conn.onClose(listener),
    };
    // Only a request with an id can be answered, so only it hears which operation it started.
    if (id !== undefined && id !== null) {
      ctx.onOperation = (operationId: string) => {
        const params: OperationStarted = { requestId: id, operationId };
        conn.send({ jsonrpc: '2.0', method: OPERATION_STARTED_NOTIFICATION, params });
      };
    }
    this.dispatcher.dispatch(message.method, message.params, ctx).then(
      (result) => {
        conn.inFlight--;
        release();
        // A request without an id is a notification: JSON-RPC sends it no answer.
        if (id !== undefined) conn.send({ jsonrpc: '2.0', id, result: result ?? null });
      },
      (err: unknown) => {
        conn.inFlight--;
        release();
        const shape = toErrorShape(err);
        if (shape.code === 'internal') this.logger.error({ err, method: message.method }, 'internal error');
        if (id !== undefined) conn.send({ jsonrpc: '2.0', id, error: toJsonRpcError(shape) });
      },
    );
  }

  private replyError(conn: ClientConnection, id: string | number | null, shape: ErrorShape, code?: number): void {
    // Debug only: any local user can send these as fast as they like.
    this.logger.debug({ uid: conn.caller.uid, code: shape.code }, shape.message);
    conn.send({ jsonrpc: '2.0', id, error: toJsonRpcError(shape, code) });
  }
}

function isShortId(id: unknown): boolean {
  return id === undefined || id === null || typeof id === 'number' || (typeof id === 'string' && id.length <= MAX_ID_LENGTH);
}

function isRequest(value: unknown): value is JSONRPCRequest {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  return v.jsonrpc === '2.0' && typeof v.method === 'string' && isShortId(v.id);
}

function isResponse(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return v.jsonrpc === '2.0' && v.method === undefined && ('result' in v || 'error' in v);
}

function idOf(value: unknown): string | number | null {
  if (typeof value !== 'object' || value === null) return null;
  const id = (value as { id?: unknown }).id;
  return (typeof id === 'string' || typeof id === 'number') && isShortId(id) ? id : null;
}

/** A socket file left by a crashed helper is removed; a live helper on it is an error. */
async function removeStaleSocket(path: string): Promise<void> {
  const alive = await new Promise<boolean>((resolve) => {
    const probe = createConnection(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (alive) {
    throw new NovaError('already_exists', `Another Nova helper is already listening on ${path}`);
  }
  await rm(path, { force: true });
}
