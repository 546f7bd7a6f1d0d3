// Web mode: the built renderer and the NovaApi over one WebSocket. Local mode listens on
// loopback with a per-run token; remote mode (another address, or TLS asked for) serves
// HTTPS only and admits client certificates or scoped API tokens (web-access.ts), each
// call of a `view` token checked against its method's scope (web-scope.ts).
// Access is the credential, and only WebSockets (the API and the consoles) need it:
// the page keeps it in its own origin's storage and offers it as a subprotocol
// (src-shared/wire/web-protocol.ts). Nothing that grants access lives in a cookie, since
// browsers send 127.0.0.1's cookies to every port of it, other users' servers included.
// The HTTP side serves the renderer's files, the app's code as installed and readable by
// every local user, and one resource with data: /metrics (OpenMetrics for Prometheus),
// which takes the token as `Authorization: Bearer`, the header scrapers send. Host and Origin are checked to stop DNS
// rebinding and cross-site pages; no CORS headers are ever sent.
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { extname, join, sep } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  tokenFromProtocols,
  WEB_API_PROTOCOL,
  WEB_MAX_MESSAGE_BYTES,
  WEB_SOCKET_PATH,
  WebRequestSchema,
  type WebServerMessage,
} from '../../src-shared/index.js';
import type { ConsoleProxy } from './console-proxy.js';
import type { EventHub } from './event-hub.js';
import type { NovaApiHandlers } from './nova-api-handlers.js';
import { OPENMETRICS_CONTENT_TYPE } from './open-metrics.js';
import { RunTokenAccess, type AccessDecision, type AccessGrant, type WebAccess } from './web-access.js';
import { hostHeadersFor } from './web-listen.js';
import { scopeAllows, scopeNeeded } from './web-scope.js';

const EVENTS_SUBSCRIBE = 'events.subscribe';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
};

export const WEB_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
  "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export interface WebServerOptions {
  rendererDir: string;
  port?: number;
  /** The address to listen on; 127.0.0.1 unless given. */
  host?: string;
  /** Serve HTTPS (TLS 1.2 at least); with `clientCa`, only to clients whose certificate that CA signed. */
  tls?: { cert: string; key: string; clientCa?: string };
  /** The names browsers use to reach a remote listener (the listen address counts too, unless it is 0.0.0.0 or ::). */
  names?: readonly string[];
  /** Who may use it; the per-run token (`token`) unless given. */
  access?: WebAccess;
  token?: string;
  /** Console WebSockets (`/nova-console/...`), behind the same token, Host and Origin checks. */
  consoles?: ConsoleProxy;
  /** The OpenMetrics text served at /metrics; without it /metrics is not found. */
  openMetrics?: () => Promise<string>;
}

export const METRICS_PATH = '/metrics';

export class WebServer {
  readonly token: string;
  private http: Server | null = null;
  private wss: WebSocketServer | null = null;
  private port = 0;
  private root = '';
  private readonly access: WebAccess;
  /** Remote mode: its own access (tokens, certificates), and answers that say why a request was refused. */
  private readonly remote: boolean;
  private allowedHosts = new Set<string>();

  constructor(
    private readonly handlers: NovaApiHandlers,
    private readonly events: EventHub,
    private readonly options: WebServerOptions,
  ) {
    this.token = options.token ?? randomBytes(32).toString('base64url');
    this.access = options.access ?? new RunTokenAccess(this.token);
    this.remote = options.access !== undefined;
  }

  private get scheme(): 'http' | 'https' {
    return this.options.tls ? 'https' : 'http';
  }

  /** The first name browsers may use: the listen address unless names were given. */
  private get mainHost(): string {
    return hostHeadersFor(this.options.names?.[0] ?? this.options.host ?? '127.0.0.1', this.port, -1)[0] ?? '';
  }

  /** Local mode's address carries the run token; a remote one never prints a credential. */
  get url(): string {
    return this.remote ? `${this.origin}/` : `${this.origin}/?token=${this.token}`;
  }

  get origin(): string {
    return `${this.scheme}://${this.mainHost}`;
  }

  async listen(): Promise<string> {
    this.root = await realpath(this.options.rendererDir);
    const serve = (req: IncomingMessage, res: ServerResponse) => void this.serveHttp(req, res);
    const tls = this.options.tls;
    const http: Server = tls
      ? createHttpsServer(
          {
            cert: tls.cert,
            key: tls.key,
            minVersion: 'TLSv1.2',
            // With a client CA, that CA alone vouches for clients; without one, none is asked for.
            ...(tls.clientCa ? { ca: tls.clientCa, requestCert: true, rejectUnauthorized: true } : {}),
          },
          serve,
        )
      : createServer(serve);
    // A failed handshake (old TLS, a foreign certificate) ends that connection, nothing more.
    http.on('tlsClientError', (_err: Error, socket: Socket) => socket.destroy());
    const wss = new WebSocketServer({
      noServer: true,
      maxPayload: WEB_MAX_MESSAGE_BYTES,
      // The token's own subprotocol is never selected: it would be echoed back in clear.
      handleProtocols: (protocols) => (protocols.has(WEB_API_PROTOCOL) ? WEB_API_PROTOCOL : false),
    });
    http.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
      // A peer that resets mid-handshake must not take the server down with it.
      socket.on('error', () => socket.destroy());
      void this.upgrade(wss, req, socket, head);
    });
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(this.options.port ?? 0, this.options.host ?? '127.0.0.1', () => resolve());
    });
    this.port = (http.address() as AddressInfo).port;
    const defaultPort = tls ? 443 : 80;
    const names = [...(this.options.names ?? []), this.options.host ?? '127.0.0.1'];
    this.allowedHosts = new Set(names.filter((n) => n !== '0.0.0.0' && n !== '::').flatMap((n) => hostHeadersFor(n, this.port, defaultPort)));
    this.http = http;
    this.wss = wss;
    return this.url;
  }

  async close(): Promise<void> {
    for (const ws of this.wss?.clients ?? []) ws.terminate();
    this.wss?.close();
    await new Promise<void>((resolve) => {
      if (!this.http) return resolve();
      this.http.close(() => resolve());
      this.http.closeAllConnections();
    });
    this.http = null;
  }

  private async serveHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.setHeader('Content-Security-Policy', WEB_CSP);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Cache-Control', 'no-store');
    if (!this.hostAllowed(req)) return deny(res, 421, `Misdirected request: Nova answers only as ${[...this.allowedHosts].join(', ')}`);
    if (req.method !== 'GET' && req.method !== 'HEAD') return deny(res, 405, 'Method not allowed');
    if (pathOf(req) === METRICS_PATH && this.options.openMetrics) return this.serveMetrics(req, res, this.options.openMetrics);
    // `?token=` is the page's to read and keep; the files themselves are not secret.
    await this.serveFile(new URL(req.url ?? '/', this.origin).pathname, res);
  }

  private async serveMetrics(req: IncomingMessage, res: ServerResponse, render: () => Promise<string>): Promise<void> {
    const auth = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
    const decision = await this.access.admit(req, auth?.[1] ?? null);
    if (!decision.ok) {
      if (decision.retryAfterS !== undefined) res.setHeader('Retry-After', String(decision.retryAfterS));
      if (decision.status !== 401) return deny(res, decision.status, decision.message);
      res.setHeader('WWW-Authenticate', 'Bearer realm="nova"');
      return deny(res, 401, `Unauthorized: ${decision.message}; send the token as "Authorization: Bearer TOKEN"`);
    }
    let text: string;
    try {
      text = await render();
    } catch (err) {
      return deny(res, 503, `Metrics unavailable: ${(err as Error).message}`);
    }
    res.writeHead(200, { 'Content-Type': OPENMETRICS_CONTENT_TYPE });
    res.end(req.method === 'HEAD' ? undefined : text);
  }

  private async serveFile(pathname: string, res: ServerResponse): Promise<void> {
    let rel: string;
    try {
      rel = decodeURIComponent(pathname);
    } catch {
      return deny(res, 400, 'Bad path');
    }
    if (rel.endsWith('/')) rel += 'index.html';
    if (rel.includes('\0')) return deny(res, 400, 'Bad path');
    const candidate = join(this.root, rel);
    let file: string;
    try {
      // realpath resolves symlinks: anything that lands outside the renderer dir is refused.
      file = await realpath(candidate);
      if (file !== this.root && !file.startsWith(this.root + sep)) return deny(res, 404, 'Not found');
      if (!(await stat(file)).isFile()) return deny(res, 404, 'Not found');
    } catch {
      return deny(res, 404, 'Not found');
    }
    res.writeHead(200, { 'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  }

  private async upgrade(wss: WebSocketServer, req: IncomingMessage, socket: Socket, head: Buffer): Promise<void> {
    const path = pathOf(req);
    const consoles = this.options.consoles?.handles(path) ? this.options.consoles : null;
    if (!consoles && path !== WEB_SOCKET_PATH) return refuseUpgrade(socket, 404, 'Not found');
    if (!this.sameSite(req)) return refuseUpgrade(socket, 403, 'Forbidden');
    const credential = tokenFromProtocols(req.headers['sec-websocket-protocol']);
    const decision = await this.access.admit(req, credential);
    // Local mode keeps its one answer for every refusal: nothing to tell a guesser apart.
    if (!decision.ok) return this.remote ? refuseUpgrade(socket, decision.status, decision.message, decision.retryAfterS) : refuseUpgrade(socket, 403, 'Forbidden');
    // A console is control of the guest (keyboard, power keys): it needs what a change needs.
    if (consoles) {
      if (decision.scope !== 'manage') return refuseUpgrade(socket, 403, 'A console needs a token with the manage scope');
      return consoles.handleUpgrade(req, socket, head);
    }
    wss.handleUpgrade(req, socket, head, (ws) => this.serveSocket(ws, req, credential, decision));
  }

  /** Whether a call may go on: the credential still holds (not removed, not expired) and its scope reaches the method. */
  private async mayCall(method: string, req: IncomingMessage, credential: string | null, grant: AccessGrant): Promise<AccessDecision & { closing?: boolean }> {
    const now = this.remote ? await this.access.recheck(credential, req) : grant;
    if (!now.ok) return { ...now, closing: true };
    if (scopeAllows(now.scope, method)) return now;
    return { ok: false, status: 403, message: `This ${now.who} may only view; ${method} changes things and needs a token with the ${scopeNeeded(method)} scope` };
  }

  private serveSocket(ws: WebSocket, req: IncomingMessage, credential: string | null, grant: AccessGrant): void {
    const send = (message: WebServerMessage) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
    };
    // A page hears events once it asks (events.subscribe); what main hears, the helper
    // authorized for main's own connection. The answer passes on the helper's.
    let unsubscribe: (() => void) | null = null;
    ws.on('close', () => unsubscribe?.());
    // ws closes the socket itself on a frame over the limit (1009) or invalid UTF-8 (1007);
    // without a listener, its 'error' event would be thrown and end `nova web`.
    ws.on('error', () => undefined);
    ws.on('message', (data, isBinary) => {
      if (isBinary) return ws.close(1003, 'text frames only');
      let request;
      try {
        request = WebRequestSchema.parse(JSON.parse(String(data)));
      } catch {
        return ws.close(1007, 'malformed request');
      }
      const { id, method, params, host } = request;
      void this.mayCall(method, req, credential, grant).then(async (may) => {
        if (!may.ok) {
          send({ type: 'result', id, envelope: { ok: false, error: { code: 'not_authorized', message: may.message, details: { webScope: true, method } } } });
          if (may.closing) ws.close(1008, 'credential no longer valid');
          return;
        }
        if (method === EVENTS_SUBSCRIBE && !unsubscribe && ws.readyState === ws.OPEN) {
          unsubscribe = this.events.subscribe((event) => send({ type: 'event', event }));
        }
        send({ type: 'result', id, envelope: await this.handlers.invoke(method, params, host) });
      });
    });
  }

  /** An allowed Host, and a page of that very origin (no other site's page, no other port). */
  private sameSite(req: IncomingMessage): boolean {
    return this.hostAllowed(req) && req.headers.origin === `${this.scheme}://${req.headers.host ?? ''}`;
  }

  private hostAllowed(req: IncomingMessage): boolean {
    return this.allowedHosts.has(req.headers.host ?? '');
  }
}

const REASONS: Record<number, string> = { 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 429: 'Too Many Requests', 503: 'Service Unavailable' };

function refuseUpgrade(socket: Socket, status: number, message: string, retryAfterS?: number): void {
  const body = `${message}\n`;
  const retry = retryAfterS === undefined ? '' : `Retry-After: ${retryAfterS}\r\n`;
  socket.end(
    `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n${retry}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

function pathOf(req: IncomingMessage): string {
  return (req.url ?? '').split('?')[0] ?? '';
}

function deny(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(message + '\n');
}
