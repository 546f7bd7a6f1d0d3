// Main's connection to the privileged helper: JSON-RPC over the helper's unix socket,
// reconnecting with backoff whenever the helper restarts, re-emitting its events and
// the connection's ups and downs. Plain Node: the CLI, web mode and Electron share it.
// Events are a subscription of the connection: the first event listener subscribes
// (events.subscribe, which the helper authorizes like a view call), every reconnection
// subscribes again, and calls wait for that answer so none of their events are missed.
import { createConnection } from 'node:net';
import type { Duplex } from 'node:stream';
import { JSONRPCClient, JSONRPCErrorException, createJSONRPCErrorResponse, type JSONRPCResponse } from 'json-rpc-2.0';
import {
  DEFAULT_CALL_TIMEOUT_MS,
  novaApi,
  NovaError,
  parseNovaEvent,
  toErrorShape,
  type HelperMethodName,
  type NovaEvent,
  type ParamsIn,
  type ResultOf,
} from '../../src-shared/index.js';
import { encodeFrame, FrameDecoder } from '../../src-shared/wire/frame-decoder.js';
import { EVENT_NOTIFICATION, OPERATION_STARTED_NOTIFICATION, OperationStartedSchema } from '../../src-shared/wire/notifications.js';
import { fromJsonRpcError, toJsonRpcError } from '../../src-shared/wire/rpc-errors.js';

export interface CallOptions {
  /** Aborting cancels the operation the call started (operation.cancel), not only the wait for it. */
  signal?: AbortSignal;
  /** Hears the id of the operation the call started, as soon as the helper has made it. */
  onOperation?: (operationId: string) => void;
}

/** Another way to the helper than its unix socket: `ssh HOST nova connect`'s stdio. */
export interface HelperTransport {
  /** Where, for messages and `socketPath` (an ssh:// address). */
  where: string;
  /** One connection carrying the same frames as the socket; emits 'connect' when open. */
  open: () => Duplex;
}

export interface HelperClientOptions {
  socketPath: string;
  transport?: HelperTransport;
  /** How long a call waits for a connection before failing with `unavailable`. */
  connectWaitMs?: number;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** Retry forever (daemon-like callers) or give up after the first failure (CLI). */
  reconnect?: boolean;
}

type ConnectionListener = (connected: boolean, reason?: string) => void;

export class HelperClient {
  private socket: Duplex | null = null;
  private connected = false;
  private closed = false;
  private backoff: number;
  private retryTimer: NodeJS.Timeout | null = null;
  private lastError = '';
  private readonly waiters = new Set<(error?: NovaError) => void>();
  private readonly eventListeners = new Set<(event: NovaEvent) => void>();
  private readonly connectionListeners = new Set<ConnectionListener>();
  private readonly rpc: JSONRPCClient;
  private nextRequestId = 1;
  /** By request id: who wants to hear which operation that request started. */
  private readonly operationListeners = new Map<number, (operationId: string) => void>();
  /** Whether this client wants events: then every connection subscribes. */
  private wantsEvents = false;
  /** The helper's answer to this connection's subscription, once asked. */
  private subscription: Promise<void> | null = null;

  constructor(private readonly options: HelperClientOptions) {
    this.backoff = options.minBackoffMs ?? 100;
    this.rpc = new JSONRPCClient((payload) => {
      if (!this.socket || !this.connected) throw new NovaError('unavailable', this.unavailableMessage());
      this.socket.write(encodeFrame(payload));
    });
  }

  get socketPath(): string {
    return this.options.transport?.where ?? this.options.socketPath;
  }

  /** The helper's socket on this machine; null when reached another way (ssh), where no file can be handed over. */
  get localSocketPath(): string | null {
    return this.options.transport ? null : this.options.socketPath;
  }

  get isConnected(): boolean {
    return this.connected;
  }

  /** Starts connecting; with `reconnect`, keeps the connection up until close(). */
  start(): void {
    this.closed = false;
    if (!this.socket) this.connect();
  }

  close(): void {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.socket?.destroy();
    this.socket = null;
    this.setConnected(false, 'closed');
  }

  /** Listens to the helper's events; the first listener subscribes this client. */
  onEvent(listener: (event: NovaEvent) => void): () => void {
    this.eventListeners.add(listener);
    if (!this.wantsEvents) {
      this.wantsEvents = true;
      if (this.connected) this.subscribe();
    }
    return () => this.eventListeners.delete(listener);
  }

  /**
   * Subscribes this client to events (kept across reconnections) and resolves once the
   * helper granted it; rejects with the helper's refusal (`not_authorized`).
   */
  async subscribeEvents(): Promise<void> {
    this.wantsEvents = true;
    await this.waitForConnection();
    await (this.subscription ?? this.subscribe());
  }

  onConnectionChange(listener: ConnectionListener): () => void {
    this.connectionListeners.add(listener);
    return () => this.connectionListeners.delete(listener);
  }

  /** Resolves once connected, or rejects with `unavailable` after `waitMs`. */
  async waitForConnection(waitMs = this.options.connectWaitMs ?? 5000): Promise<void> {
    if (this.connected) return;
    if (!this.socket && !this.retryTimer) this.start();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(done);
        reject(new NovaError('unavailable', this.unavailableMessage()));
      }, waitMs);
      const done = (error?: NovaError) => {
        clearTimeout(timer);
        if (error) reject(error);
        else resolve();
      };
      this.waiters.add(done);
    });
  }

  async call<M extends HelperMethodName>(method: M, params: ParamsIn<M>, opts: CallOptions = {}): Promise<ResultOf<M>> {
    if (method === 'events.subscribe') {
      // This connection's subscription is the client's own, renewed on every reconnection.
      await this.subscribeEvents();
      return { subscribed: true } as ResultOf<M>;
    }
    // The result is checked against the method's own schema below, so this is its type.
    return (await this.request(method, params, opts)) as ResultOf<M>;
  }

  /** Asks the helper to subscribe this connection; the answer is kept until it closes. */
  private subscribe(): Promise<void> {
    const asked = this.request('events.subscribe', {}, {}, false).then(() => undefined);
    this.subscription = asked;
    // Heard by subscribeEvents() callers; the client itself only stays without events.
    asked.catch(() => undefined);
    return asked;
  }

  /** Sends without client-side param validation (the helper validates); checks the result. */
  private async request(method: HelperMethodName, params: unknown, opts: CallOptions, afterSubscription = true): Promise<unknown> {
    await this.waitForConnection();
    // Sent after the subscription's answer, so the events of what this call starts all arrive.
    if (afterSubscription && this.subscription) await this.subscription.catch(() => undefined);
    const def = novaApi[method];
    const timeoutMs = def.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    const id = this.nextRequestId++;
    let operationId: string | null = null;
    const cancel = () => {
      if (operationId) this.call('operation.cancel', { id: operationId }).catch(() => undefined);
    };
    this.operationListeners.set(id, (opId) => {
      operationId = opId;
      opts.onOperation?.(opId);
      if (opts.signal?.aborted) cancel();
    });
    opts.signal?.addEventListener('abort', cancel, { once: true });
    let value: unknown;
    try {
      const response = await this.rpc
        .timeout(timeoutMs, (rid) => {
          const e = toJsonRpcError({ code: 'timeout', message: `${method} did not answer within ${timeoutMs} ms` });
          return createJSONRPCErrorResponse(rid, e.code, e.message, e.data);
        })
        .requestAdvanced({ jsonrpc: '2.0', id, method, params: (params ?? {}) as object });
      if (response.error) throw new JSONRPCErrorException(response.error.message, response.error.code, response.error.data);
      value = response.result;
    } catch (err) {
      throw asNovaError(err);
    } finally {
      this.operationListeners.delete(id);
      opts.signal?.removeEventListener('abort', cancel);
    }
    const parsed = def.result.safeParse(value);
    if (!parsed.success) {
      throw new NovaError('internal', `The helper answered ${method} with a malformed result`, {
        issues: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
      });
    }
    return parsed.data;
  }

  private connect(): void {
    const socket = this.options.transport?.open() ?? createConnection(this.options.socketPath);
    this.socket = socket;
    const decoder = new FrameDecoder();
    socket.once('connect', () => {
      this.backoff = this.options.minBackoffMs ?? 100;
      this.setConnected(true);
    });
    socket.on('data', (chunk: Buffer) => {
      for (const frame of decoder.push(chunk)) {
        if (frame.kind === 'frame') this.receive(frame.text);
      }
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      this.lastError = err.code === 'ENOENT' || err.code === 'ECONNREFUSED'
        ? `nothing is listening on ${this.socketPath}`
        : err.message;
    });
    socket.on('close', () => {
      if (this.socket === socket) this.socket = null;
      this.subscription = null;
      const why = this.lastError ? `: ${this.lastError}` : '';
      this.rpc.rejectAllPendingRequests(`connection to the helper was lost (${this.socketPath}${why})`);
      this.setConnected(false, this.lastError || 'connection closed');
      if (this.options.reconnect === false) {
        // Nobody will retry: tell waiting callers now rather than at their timeout.
        const error = new NovaError('unavailable', this.unavailableMessage());
        for (const w of [...this.waiters]) w(error);
        this.waiters.clear();
      }
      this.scheduleReconnect();
    });
  }

  private scheduleReconnect(): void {
    if (this.closed || this.options.reconnect === false || this.retryTimer) return;
    const delay = this.backoff;
    this.backoff = Math.min(this.backoff * 2, this.options.maxBackoffMs ?? 2000);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.closed && !this.socket) this.connect();
    }, delay);
    this.retryTimer.unref();
  }

  private receive(text: string): void {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    const m = message as { method?: unknown; params?: unknown };
    if (m.method === EVENT_NOTIFICATION) {
      const event = parseNovaEvent(m.params);
      if (event) for (const l of this.eventListeners) l(event);
      return;
    }
    const refusal = (message as { id?: unknown; error?: { code?: unknown; message?: unknown; data?: unknown } }).error;
    if (refusal && (message as { id?: unknown }).id === null) {
      // The helper says why it is about to close this connection (too many from this user).
      this.lastError = fromJsonRpcError(refusal).message;
      return;
    }
    if (m.method === OPERATION_STARTED_NOTIFICATION) {
      const started = OperationStartedSchema.safeParse(m.params);
      if (started.success && typeof started.data.requestId === 'number') {
        this.operationListeners.get(started.data.requestId)?.(started.data.operationId);
      }
      return;
    }
    this.rpc.receive(message as JSONRPCResponse);
  }

  private setConnected(connected: boolean, reason?: string): void {
    if (this.connected === connected) return;
    this.connected = connected;
    if (connected) {
      this.lastError = '';
      // Before any waiting call goes out, so calls queue behind the subscription.
      if (this.wantsEvents) this.subscribe();
      for (const w of [...this.waiters]) w();
      this.waiters.clear();
    }
    for (const l of this.connectionListeners) l(connected, reason);
  }

  private unavailableMessage(): string {
    return `The Nova helper is not reachable (${this.lastError || `no connection to ${this.socketPath}`})`;
  }
}

function asNovaError(err: unknown): NovaError {
  if (err instanceof NovaError) return err;
  const shape =
    err instanceof JSONRPCErrorException
      ? fromJsonRpcError({ code: err.code, message: err.message, data: err.data })
      : toErrorShape(err);
  // rejectAllPendingRequests answers pending calls with a bare error: the helper went away mid-call.
  if (shape.code === 'internal' && /connection to the helper was lost/.test(shape.message)) {
    return new NovaError('unavailable', shape.message);
  }
  return NovaError.fromShape(shape);
}
