// Transport for web mode: NovaApi calls over one WebSocket to the page's own origin
// (`/nova-ws`; the page's token rides along as a subprotocol). It reconnects with backoff,
// reports its state, and fails in-flight calls when the link drops rather than
// replaying them, since a replayed `vm.start` is not harmless. Events come once asked
// for: the first listener subscribes, and so does every new socket after it.
import {
  parseNovaEvent,
  WebServerMessageSchema,
  type Envelope,
  type NovaEvent,
  type WebRequest,
} from '../../../src-shared/index.js';
import { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
import { failure, type CallOptions, type Transport, type TransportState } from './transport.js';

/** The part of the DOM WebSocket this transport uses, so tests can hand it a fake. */
export interface SocketLike {
  readonly readyState: number;
  onopen: ((ev: Event) => void) | null;
  onclose: ((ev: CloseEvent) => void) | null;
  onerror: ((ev: Event) => void) | null;
  onmessage: ((ev: MessageEvent) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export interface WebTransportOptions {
  readonly url: string;
  /** Offered on every connection: the API's subprotocol and the token (webSocketProtocols). */
  readonly protocols?: readonly string[];
  readonly createSocket?: (url: string, protocols: string[]) => SocketLike;
  readonly backoff?: BackoffOptions;
  readonly random?: () => number;
  readonly now?: () => number;
}

const SOCKET_OPEN = 1;
const EVENTS_SUBSCRIBE = 'events.subscribe';
const SUBSCRIBE_TIMEOUT_MS = 35_000;

interface PendingCall {
  readonly request: WebRequest;
  sent: boolean;
  readonly resolve: (envelope: Envelope<unknown>) => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

export class WebTransport implements Transport {
  readonly kind = 'web';

  private socket: SocketLike | null = null;
  private state: TransportState = { status: 'connecting', attempt: 0, nextRetryAt: null, lastError: null };
  private nextId = 1;
  private readonly pending = new Map<number, PendingCall>();
  private readonly eventListeners = new Set<(event: NovaEvent) => void>();
  private readonly stateListeners = new Set<(state: TransportState) => void>();
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private wantsEvents = false;
  private readonly createSocket: (url: string, protocols: string[]) => SocketLike;
  private readonly now: () => number;

  constructor(private readonly options: WebTransportOptions) {
    this.createSocket = options.createSocket ?? ((url, protocols) => new WebSocket(url, protocols));
    this.now = options.now ?? Date.now;
    this.open();
  }

  call(method: string, params: unknown, options: CallOptions): Promise<Envelope<unknown>> {
    if (this.state.status === 'closed') {
      return Promise.resolve(failure('unavailable', 'The connection to Nova was closed'));
    }
    return new Promise((resolve) => {
      const id = this.nextId++;
      const timer = setTimeout(() => {
        this.pending.delete(id);
        const why = this.state.status === 'connected' ? 'did not answer' : 'could not be sent: Nova is not reachable';
        resolve(failure('timeout', `${method} ${why} within ${Math.round(options.timeoutMs / 1000)} s`));
      }, options.timeoutMs);
      const request: WebRequest = options.host === undefined ? { type: 'call', id, method, params } : { type: 'call', id, method, params, host: options.host };
      const call: PendingCall = { request, sent: false, resolve, timer };
      this.pending.set(id, call);
      // Calls made while disconnected wait (within their timeout) for the next connection.
      if (this.state.status === 'connected') this.send(call);
    });
  }

  subscribe(listener: (event: NovaEvent) => void): () => void {
    this.eventListeners.add(listener);
    if (!this.wantsEvents) {
      this.wantsEvents = true;
      if (this.state.status === 'connected') this.askForEvents();
    }
    return () => this.eventListeners.delete(listener);
  }

  onStateChange(listener: (state: TransportState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  getState(): TransportState {
    return this.state;
  }

  close(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      this.detach(socket);
      socket.close(1000, 'closed by client');
    }
    this.failPending(() => true, 'The connection to Nova was closed');
    this.setState({ status: 'closed', attempt: 0, nextRetryAt: null, lastError: null });
  }

  private open(): void {
    this.retryTimer = null;
    let socket: SocketLike;
    try {
      socket = this.createSocket(this.options.url, [...(this.options.protocols ?? [])]);
    } catch (err) {
      this.scheduleReconnect(err instanceof Error ? err.message : String(err));
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      this.setState({ status: 'connected', attempt: 0, nextRetryAt: null, lastError: null });
      // A new socket is a new subscriber to the server; asked first, before queued calls.
      if (this.wantsEvents) this.askForEvents();
      for (const call of this.pending.values()) if (!call.sent) this.send(call);
    };
    socket.onmessage = (ev) => this.receive(ev.data);
    // A refused upgrade (missing token, server down) surfaces only as a close; handle it there.
    socket.onerror = () => {};
    socket.onclose = (ev) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.detach(socket);
      this.failPending((call) => call.sent, 'The connection to Nova was lost before it answered');
      const wasConnected = this.state.status === 'connected';
      this.scheduleReconnect(
        wasConnected
          ? `The connection to Nova was lost (code ${ev.code}).`
          : 'Nova refused or did not answer the connection.',
      );
    };
  }

  private scheduleReconnect(reason: string): void {
    const attempt = this.state.attempt + 1;
    const delay = backoffDelay(attempt, this.options.backoff ?? DEFAULT_BACKOFF, this.options.random);
    this.setState({ status: 'reconnecting', attempt, nextRetryAt: this.now() + delay, lastError: reason });
    this.retryTimer = setTimeout(() => this.open(), delay);
  }

  private askForEvents(): void {
    void this.call(EVENTS_SUBSCRIBE, {}, { timeoutMs: SUBSCRIBE_TIMEOUT_MS }).then((envelope) => {
      if (!envelope.ok) console.warn(`nova: no live updates: ${envelope.error.message}`);
    });
  }

  private send(call: PendingCall): void {
    if (!this.socket || this.socket.readyState !== SOCKET_OPEN) return;
    this.socket.send(JSON.stringify(call.request));
    call.sent = true;
  }

  private receive(data: unknown): void {
    if (typeof data !== 'string') return;
    let json: unknown;
    try {
      json = JSON.parse(data);
    } catch {
      console.warn('nova: ignoring a web socket message that is not JSON');
      return;
    }
    const parsed = WebServerMessageSchema.safeParse(json);
    if (!parsed.success) {
      console.warn('nova: ignoring a malformed web socket message', parsed.error.issues);
      return;
    }
    const message = parsed.data;
    if (message.type === 'result') {
      const call = this.pending.get(message.id);
      if (!call) return; // it already timed out
      this.pending.delete(message.id);
      clearTimeout(call.timer);
      call.resolve(message.envelope);
      return;
    }
    const event = parseNovaEvent(message.event);
    if (!event) return; // an event this build does not know: a newer server, not an error
    for (const listener of [...this.eventListeners]) listener(event);
  }

  private failPending(which: (call: PendingCall) => boolean, message: string): void {
    for (const [id, call] of this.pending) {
      if (!which(call)) continue;
      this.pending.delete(id);
      clearTimeout(call.timer);
      call.resolve(failure('unavailable', message));
    }
  }

  private detach(socket: SocketLike): void {
    socket.onopen = socket.onclose = socket.onerror = socket.onmessage = null;
  }

  private setState(state: TransportState): void {
    this.state = state;
    for (const listener of [...this.stateListeners]) listener(state);
  }
}

/** ws(s)://<this page's host>/nova-ws: the page's own origin, the only one the server accepts. */
export function webSocketUrl(location: Pick<Location, 'protocol' | 'host'>, path: string): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}${path}`;
}
