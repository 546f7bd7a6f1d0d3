// Web mode: the built renderer and the NovaApi over one WebSocket, on 127.0.0.1 only.
// Access is the per-run token, and only WebSockets (the API and the consoles) need it:
// the page keeps it in its own origin's storage and offers it as a subprotocol
// (src-shared/wire/web-protocol.ts). Nothing that grants access lives in a cookie, since
// browsers send 127.0.0.1's cookies to every port of it, other users' servers included.
// The HTTP side serves the renderer's files, the app's code as installed and readable by
// every local user, and one resource with data: /metrics (OpenMetrics for Prometheus),
// which takes the token as `Authorization: Bearer`, the header scrapers send. Host and Origin are checked to stop DNS
// rebinding and cross-site pages; no CORS headers are ever sent.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
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

  constructor(
    private readonly handlers: NovaApiHandlers,
    private readonly events: EventHub,
    private readonly options: WebServerOptions,
  ) {
    this.token = options.token ?? randomBytes(32).toString('base64url');
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/?token=${this.token}`;
  }

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async listen(): Promise<string> {
    this.root = await realpath(this.options.rendererDir);
    const http = createServer((req, res) => void this.serveHttp(req, res));
    const wss = new WebSocketServer({
      noServer: true,
      maxPayload: WEB_MAX_MESSAGE_BYTES,
      // The token's own subprotocol is never selected: it would be echoed back in clear.
      handleProtocols: (protocols) => (protocols.has(WEB_API_PROTOCOL) ? WEB_API_PROTOCOL : false),
    });
    http.on('upgrade', (req, socket, head) => {
      // A peer that resets mid-handshake must not take the server down with it.
      socket.on('error', () => socket.destroy());
      const consoles = this.options.consoles;
      if (consoles?.handles(pathOf(req)) && this.isTrusted(req)) return consoles.handleUpgrade(req, socket, head);
      if (!this.isTrusted(req) || pathOf(req) !== WEB_SOCKET_PATH) {
        socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => this.serveSocket(ws));
    });
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(this.options.port ?? 0, '127.0.0.1', () => resolve());
    });
    this.port = (http.address() as AddressInfo).port;
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
    if (!this.hostAllowed(req)) return deny(res, 421, 'Misdirected request: Nova answers only on 127.0.0.1');
    if (req.method !== 'GET' && req.method !== 'HEAD') return deny(res, 405, 'Method not allowed');
    if (pathOf(req) === METRICS_PATH && this.options.openMetrics) return this.serveMetrics(req, res, this.options.openMetrics);
    // `?token=` is the page's to read and keep; the files themselves are not secret.
    await this.serveFile(new URL(req.url ?? '/', this.origin).pathname, res);
  }

  private async serveMetrics(req: IncomingMessage, res: ServerResponse, render: () => Promise<string>): Promise<void> {
    const auth = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
    if (!this.tokenMatches(auth?.[1] ?? null)) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="nova"');
      return deny(res, 401, 'Unauthorized: send the web token as "Authorization: Bearer TOKEN"');
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

  private serveSocket(ws: WebSocket): void {
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
      if (request.method === EVENTS_SUBSCRIBE && !unsubscribe && ws.readyState === ws.OPEN) {
        unsubscribe = this.events.subscribe((event) => send({ type: 'event', event }));
      }
      void this.handlers.invoke(request.method, request.params, request.host).then((envelope) =>
        send({ type: 'result', id: request.id, envelope }),
      );
    });
  }

  private isTrusted(req: IncomingMessage): boolean {
    return (
      this.hostAllowed(req) &&
      req.headers.origin === this.origin &&
      this.tokenMatches(tokenFromProtocols(req.headers['sec-websocket-protocol']))
    );
  }

  private hostAllowed(req: IncomingMessage): boolean {
    return req.headers.host === `127.0.0.1:${this.port}`;
  }

  private tokenMatches(candidate: string | null): boolean {
    if (!candidate) return false;
    const a = Buffer.from(candidate);
    const b = Buffer.from(this.token);
    return a.length === b.length && timingSafeEqual(a, b);
  }
}

function pathOf(req: IncomingMessage): string {
  return (req.url ?? '').split('?')[0] ?? '';
}

function deny(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(message + '\n');
}
