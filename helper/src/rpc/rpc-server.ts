// The helper's socket: JSON-RPC 2.0 in newline-delimited frames over a unix socket.
// Each connection is identified once by its peer credentials; each request then goes
// through the MethodDispatcher. Malformed or oversize frames get a structured error
// on that connection only: other clients are never disturbed.
import { chmod, mkdir, rm } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import type { JSONRPCRequest } from 'json-rpc-2.0';
import { NovaError, toErrorShape, type ErrorShape } from '../../../src-shared/errors.js';
import type { NovaEvent } from '../../../src-shared/api/events.js';
import { DEFAULT_MAX_FRAME_BYTES, encodeFrame, FrameDecoder } from '../../../src-shared/wire/frame-decoder.js';
import { EVENT_NOTIFICATION, OPERATION_STARTED_NOTIFICATION, type OperationStarted } from '../../../src-shared/wire/notifications.js';
import { JSON_RPC_PARSE_ERROR, toJsonRpcError } from '../../../src-shared/wire/rpc-errors.js';
import { callerOf, type Caller } from '../auth/peer-credentials.js';
import type { Logger } from '../util/logger.js';
import type { MethodDispatcher } from './method-dispatcher.js';


export interface RpcServerOptions {
  socketPath: string;
  maxFrameBytes?: number;
  maxConnections?: number;
  maxInFlightPerConnection?: number;
  /** Resolves the peer of a new connection; tests may substitute. */
  identify?: (socket: Socket) => Promise<Caller>;
}

interface Connection {
  socket: Socket;
  caller: Caller;
  inFlight: number;
}

export class RpcServer {
  private server: Server | null = null;
  private readonly connections = new Set<Connection>();
  private readonly maxFrameBytes: number;
  private readonly maxConnections: number;
  private readonly maxInFlight: number;

  constructor(
    private readonly dispatcher: MethodDispatcher,
    private readonly logger: Logger,
    private readonly options: RpcServerOptions,
  ) {
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.maxConnections = options.maxConnections ?? 128;
    this.maxInFlight = options.maxInFlightPerConnection ?? 64;
  }

  async listen(): Promise<void> {
    const { socketPath } = this.options;
    await mkdir(dirname(socketPath), { recursive: true, mode: 0o755 });
    await removeStaleSocket(socketPath);
    const server = createServer((socket) => void this.accept(socket));
    server.maxConnections = this.maxConnections;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    });
    // Anyone may connect; polkit decides per request what they may do.
    await chmod(socketPath, 0o666);
    this.server = server;
    this.logger.info({ socket: socketPath }, 'listening');
  }

  /** Sends an event to every connected client. */
  broadcast(event: NovaEvent): void {
    const frame = encodeFrame({ jsonrpc: '2.0', method: EVENT_NOTIFICATION, params: event });
    for (const conn of this.connections) {
      if (!conn.socket.destroyed) conn.socket.write(frame);
    }
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
      this.logger.warn({ err }, 'could not identify peer; closing connection');
      socket.destroy();
      return;
    }
    // The client may have left while we identified it: never track a dead socket.
    if (socket.destroyed || !this.server) {
      socket.destroy();
      return;
    }
    const conn: Connection = { socket, caller, inFlight: 0 };
    this.connections.add(conn);
    this.logger.debug({ uid: caller.uid, pid: caller.pid }, 'client connected');
    const decoder = new FrameDecoder(this.maxFrameBytes);
    socket.on('data', (chunk: Buffer) => {
      for (const frame of decoder.push(chunk)) {
        if (frame.kind === 'oversize') {
          this.replyError(conn, null, {
            code: 'frame_too_large',
            message: `Frame of ${frame.bytes} bytes exceeds the limit of ${this.maxFrameBytes} bytes`,
            details: { bytes: frame.bytes, limit: this.maxFrameBytes },
          });
        } else {
          this.handleFrame(conn, frame.text);
        }
      }
    });
    socket.on('close', () => {
      this.connections.delete(conn);
      this.logger.debug({ uid: caller.uid, pid: caller.pid }, 'client disconnected');
    });
  }

  private handleFrame(conn: Connection, text: string): void {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      this.replyError(conn, null, { code: 'protocol', message: 'Malformed frame: not valid JSON' }, JSON_RPC_PARSE_ERROR);
      return;
    }
    if (!isRequest(message)) {
      // Responses to our own notifications never come: we send none that expect one.
      if (isResponse(message)) return;
      this.replyError(conn, idOf(message), {
        code: 'protocol',
        message: 'Malformed frame: expected one JSON-RPC 2.0 request object (batches are not accepted)',
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
    conn.inFlight++;
    const id = message.id;
    // Only a request with an id can be answered, so only it hears which operation it started.
    const onOperation =
      id === undefined || id === null
        ? undefined
        : (operationId: string) => {
            const params: OperationStarted = { requestId: id, operationId };
            if (!conn.socket.destroyed) conn.socket.write(encodeFrame({ jsonrpc: '2.0', method: OPERATION_STARTED_NOTIFICATION, params }));
          };
    this.dispatcher.dispatch(message.method, message.params, conn.caller, onOperation).then(
      (result) => {
        // A request without an id is a notification: JSON-RPC sends it no answer.
        if (id !== undefined && !conn.socket.destroyed) {
          conn.socket.write(encodeFrame({ jsonrpc: '2.0', id, result: result ?? null }));
        }
        conn.inFlight--;
      },
      (err: unknown) => {
        const shape = toErrorShape(err);
        if (shape.code === 'internal') this.logger.error({ err, method: message.method }, 'internal error');
        if (id !== undefined && !conn.socket.destroyed) {
          conn.socket.write(encodeFrame({ jsonrpc: '2.0', id, error: toJsonRpcError(shape) }));
        }
        conn.inFlight--;
      },
    );
  }

  private replyError(conn: Connection, id: string | number | null, shape: ErrorShape, code?: number): void {
    this.logger.info({ uid: conn.caller.uid, code: shape.code }, shape.message);
    const e = toJsonRpcError(shape, code);
    if (!conn.socket.destroyed) {
      conn.socket.write(encodeFrame({ jsonrpc: '2.0', id, error: e }));
    }
  }
}

function isRequest(value: unknown): value is JSONRPCRequest {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  const idOk = v.id === undefined || typeof v.id === 'string' || typeof v.id === 'number' || v.id === null;
  return v.jsonrpc === '2.0' && typeof v.method === 'string' && idOk;
}

function isResponse(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return v.jsonrpc === '2.0' && v.method === undefined && ('result' in v || 'error' in v);
}

function idOf(value: unknown): string | number | null {
  if (typeof value !== 'object' || value === null) return null;
  const id = (value as { id?: unknown }).id;
  return typeof id === 'string' || typeof id === 'number' ? id : null;
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
