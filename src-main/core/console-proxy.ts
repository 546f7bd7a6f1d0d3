// Console WebSockets for the UI: `/nova-console/vnc/NAME` carries the VM's raw RFB
// stream (QEMU's VNC unix socket) and `/nova-console/serial/NAME` its serial chardev,
// binary frames both ways. `/nova-console/terminal/CAPSULE?cols=&rows=` opens a capsule
// shell (`capsule.terminalOpen`) and carries its socket's bytes untouched: the page
// speaks src-shared/terminal-protocol.ts frames inside binary WebSocket messages (a
// message may hold part of a frame or several). The page's CSP allows only its own
// origin, so main proxies.
// Callers check trust first (web-server.ts for web mode, ConsoleProxyServer for Electron).
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createConnection, type AddressInfo, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { CONSOLE_WS_PREFIX, type ConsoleKind } from '../../src-shared/api/metrics-api.js';
import type { CapsuleTerminal } from '../../src-shared/api/capsule-api.js';
import { CapsuleNameSchema } from '../../src-shared/capsule.js';
import { isNovaError } from '../../src-shared/errors.js';
import { encodeTerminalResize } from '../../src-shared/terminal-protocol.js';
import { parseHostName } from '../../src-shared/vocabulary/index.js';
import { VmNameSchema, type VmConsoleInfo } from '../../src-shared/vm.js';
import { readFileTail, SERIAL_REPLAY_BYTES } from './file-tail.js';

const CONNECT_TIMEOUT_MS = 3_000;
/** Above this much unsent data towards the browser, stop reading QEMU until it drains. */
const HIGH_WATER_BYTES = 1024 * 1024;
const MAX_FRAME_BYTES = 1024 * 1024;

export interface ConsoleTarget {
  /** `terminal` is a capsule's shell; the others are a VM's consoles. */
  readonly kind: ConsoleKind | 'terminal';
  readonly name: string;
}

/** The terminal size when the page does not say (a classic 80x24). */
const DEFAULT_TERMINAL_SIZE = { cols: 80, rows: 24 };

/** `/nova-console/serial/web1` -> {kind: 'serial', name: 'web1'}; anything else is null. */
export function parseConsolePath(pathname: string): ConsoleTarget | null {
  if (!pathname.startsWith(CONSOLE_WS_PREFIX)) return null;
  const [kind, name, ...rest] = pathname.slice(CONSOLE_WS_PREFIX.length).split('/');
  if (rest.length > 0) return null;
  if (kind === 'terminal') return CapsuleNameSchema.safeParse(name).success ? { kind, name: name as string } : null;
  if (kind !== 'vnc' && kind !== 'serial') return null;
  if (!VmNameSchema.safeParse(name).success) return null;
  return { kind, name: name as string };
}

/** `?cols=120&rows=40` within 1-1000, else the default size. */
export function terminalSizeFromQuery(search: string): { cols: number; rows: number } {
  const q = new URLSearchParams(search);
  const pick = (key: 'cols' | 'rows'): number => {
    const n = Number(q.get(key));
    return Number.isInteger(n) && n >= 1 && n <= 1000 ? n : DEFAULT_TERMINAL_SIZE[key];
  };
  return { cols: pick('cols'), rows: pick('rows') };
}

export interface ConsoleProxyDeps {
  /** The helper's `vm.consoleInfo`. */
  consoleInfo(name: string): Promise<VmConsoleInfo>;
  /** The helper's `capsule.terminalOpen`; without it, terminal upgrades are refused. */
  terminalOpen?(name: string, size: { cols: number; rows: number }): Promise<CapsuleTerminal>;
  /** Opens a unix socket; injectable for tests. */
  connect?(path: string): Promise<Socket>;
  /** Reads the tail of a file; injectable for tests. */
  readTail?(path: string, bytes: number): Promise<Buffer>;
  /**
   * A saved host's VM console or capsule shell (`?host=NAME`), carried by its own `ssh HOST
   * nova connect --console KIND GUEST`; without it, consoles of other hosts are refused.
   */
  openRemote?(host: string, kind: ConsoleTarget['kind'], name: string): Promise<Duplex>;
}

/** The helper calls a ConsoleProxy needs; a HelperClient fits. */
interface ConsoleHelper {
  call(method: 'vm.consoleInfo', params: { name: string }): Promise<VmConsoleInfo>;
  call(method: 'capsule.terminalOpen', params: { name: string; cols: number; rows: number }): Promise<CapsuleTerminal>;
}

/** The dependencies every front end (web mode, Electron) gives its proxy: the helper's own calls. */
export function helperConsoleDeps(helper: ConsoleHelper): ConsoleProxyDeps {
  return {
    consoleInfo: (name) => helper.call('vm.consoleInfo', { name }),
    terminalOpen: (name, size) => helper.call('capsule.terminalOpen', { name, ...size }),
  };
}

export class ConsoleProxy {
  private readonly wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_FRAME_BYTES,
    // noVNC asks for 'binary'; a client that asks for nothing gets no subprotocol.
    handleProtocols: (protocols) => (protocols.has('binary') ? 'binary' : false),
  });

  constructor(private readonly deps: ConsoleProxyDeps) {}

  /** Whether this upgrade is a console's (its trust is the caller's business). */
  handles(pathname: string): boolean {
    return pathname.startsWith(CONSOLE_WS_PREFIX);
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // The upgrade waits on the helper: a peer that resets meanwhile must not be an uncaught error.
    socket.on('error', () => socket.destroy());
    void this.upgrade(req, socket, head).catch(() => socket.destroy());
  }

  close(): void {
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const [pathname = '', search = ''] = (req.url ?? '').split('?');
    const target = parseConsolePath(pathname);
    if (!target) return refuse(socket, 404, 'No such console: use /nova-console/vnc/NAME, /nova-console/serial/NAME or /nova-console/terminal/CAPSULE');
    const host = new URLSearchParams(search).get('host');
    if (host !== null && host !== 'local') return this.upgradeRemote(req, socket, head, host, target, search);
    if (target.kind === 'terminal') return this.upgradeTerminal(req, socket, head, target.name, terminalSizeFromQuery(search));
    let info: VmConsoleInfo;
    try {
      info = await this.deps.consoleInfo(target.name);
    } catch (err) {
      const status = isNovaError(err, 'not_found') ? 404 : isNovaError(err, 'unavailable') ? 503 : 409;
      return refuse(socket, status, `Console of ${target.name}: ${(err as Error).message}`);
    }
    const path = target.kind === 'vnc' ? info.vnc?.socket : info.serialSocket;
    if (!path) return refuse(socket, 409, `${target.name} has no VNC display: give it one in its settings and restart it`);
    let upstream: Socket;
    try {
      upstream = await (this.deps.connect ?? connectUnix)(path);
    } catch (err) {
      return refuse(socket, 502, `Console of ${target.name} is not reachable (${(err as Error).message}): is the VM running?`);
    }
    upstream.pause();
    let replay: Buffer | null = null;
    if (target.kind === 'serial') {
      replay = await (this.deps.readTail ?? readFileTail)(info.serialLog, SERIAL_REPLAY_BYTES).catch(() => null);
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      if (replay && replay.length > 0) ws.send(replay);
      pipe(ws, upstream);
    });
  }

  private async upgradeRemote(req: IncomingMessage, socket: Duplex, head: Buffer, host: string, target: ConsoleTarget, search: string): Promise<void> {
    if (!this.deps.openRemote || !parseHostName(host).ok) return refuse(socket, 404, `No console of another host is served here (${host})`);
    let upstream: Duplex;
    try {
      upstream = await this.deps.openRemote(host, target.kind, target.name);
    } catch (err) {
      return refuse(socket, 502, `Console of ${target.name} on ${host} is not reachable: ${(err as Error).message}`);
    }
    upstream.pause();
    // The remote shell starts at a classic size; the page's own follows in-band at once.
    if (target.kind === 'terminal') {
      const size = terminalSizeFromQuery(search);
      upstream.write(encodeTerminalResize(size.cols, size.rows));
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => pipe(ws, upstream));
  }

  private async upgradeTerminal(req: IncomingMessage, socket: Duplex, head: Buffer, name: string, size: { cols: number; rows: number }): Promise<void> {
    if (!this.deps.terminalOpen) return refuse(socket, 404, 'Capsule terminals are not served by this Nova: update it or use "nova shell container NAME"');
    let terminal: CapsuleTerminal;
    try {
      terminal = await this.deps.terminalOpen(name, size);
    } catch (err) {
      const status = isNovaError(err, 'not_found') ? 404 : isNovaError(err, 'unavailable') ? 503 : 409;
      return refuse(socket, status, `Terminal of ${name}: ${(err as Error).message}`);
    }
    let upstream: Socket;
    try {
      upstream = await (this.deps.connect ?? connectUnix)(terminal.socketPath);
    } catch (err) {
      return refuse(socket, 502, `Terminal of ${name} is not reachable (${(err as Error).message}): is the capsule running?`);
    }
    upstream.pause();
    this.wss.handleUpgrade(req, socket, head, (ws) => pipe(ws, upstream));
  }
}

/** Bytes both ways, with backpressure each way; either side closing closes the other. */
function pipe(ws: WebSocket, upstream: Duplex): void {
  upstream.on('data', (chunk: Buffer) => {
    if (ws.readyState !== ws.OPEN) return;
    ws.send(chunk, { binary: true });
    if (ws.bufferedAmount > HIGH_WATER_BYTES) {
      upstream.pause();
      const drain = setInterval(() => {
        if (ws.readyState !== ws.OPEN || ws.bufferedAmount < HIGH_WATER_BYTES / 2) {
          clearInterval(drain);
          upstream.resume();
        }
      }, 20);
    }
  });
  ws.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => {
    const chunk = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    if (!upstream.write(chunk)) {
      ws.pause();
      upstream.once('drain', () => ws.resume());
    }
  });
  upstream.on('close', () => ws.close(1000, 'console closed'));
  upstream.on('error', () => ws.close(1011, 'console error'));
  ws.on('close', () => upstream.destroy());
  ws.on('error', () => upstream.destroy());
  upstream.resume();
}

function connectUnix(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const sock = createConnection(path);
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no answer from ${path} within ${CONNECT_TIMEOUT_MS} ms`));
    }, CONNECT_TIMEOUT_MS);
    sock.once('connect', () => {
      clearTimeout(timer);
      resolve(sock);
    });
    sock.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

function refuse(socket: Duplex, status: number, message: string): void {
  const reason = { 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict', 502: 'Bad Gateway', 503: 'Service Unavailable' }[status] ?? 'Error';
  const body = message + '\n';
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

export interface ConsoleProxyServerOptions {
  /** The only page origin allowed to connect (Electron's `nova://app`). */
  allowedOrigin: string;
  token: string;
}

/**
 * The console proxy on its own 127.0.0.1 port, for Electron, where the page is not
 * served over HTTP: the upgrade must carry `?token=` and come from the app's origin.
 */
export class ConsoleProxyServer {
  private http: Server | null = null;
  private port = 0;

  constructor(
    private readonly proxy: ConsoleProxy,
    private readonly options: ConsoleProxyServerOptions,
  ) {}

  /** ws://127.0.0.1:PORT: the base the console page prefixes to CONSOLE_WS_PREFIX paths. */
  get base(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  async listen(): Promise<string> {
    const http = createServer((_req, res) => {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('Nova console proxy: WebSocket upgrades only\n');
    });
    http.on('upgrade', (req, socket, head) => {
      socket.on('error', () => socket.destroy());
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const trusted =
        req.headers.host === `127.0.0.1:${this.port}` &&
        req.headers.origin === this.options.allowedOrigin &&
        tokenMatches(url.searchParams.get('token'), this.options.token);
      if (!trusted || !this.proxy.handles(url.pathname)) return refuse(socket, 403, 'Forbidden');
      this.proxy.handleUpgrade(req, socket, head);
    });
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(0, '127.0.0.1', () => resolve());
    });
    this.port = (http.address() as AddressInfo).port;
    this.http = http;
    return this.base;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      if (!this.http) return resolve();
      this.http.close(() => resolve());
      this.http.closeAllConnections();
    });
    this.http = null;
  }
}

function tokenMatches(candidate: string | null, token: string): boolean {
  if (!candidate) return false;
  const a = Buffer.from(candidate);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}
