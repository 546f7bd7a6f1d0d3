// `nova web --listen` beyond loopback, against a real helper: real TLS from Node's own
// clients on 127.0.0.2, client certificates from test CAs made here with openssl, and API
// tokens made with `nova token`. Each test connects from its own 127.0.0.x source address,
// since failures are counted (and slowed down) per client address.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { WEB_API_PROTOCOL, WEB_SOCKET_PATH, webSocketProtocols } from '../../src-shared/index.js';
import { TestCertificates } from './fixtures/test-certificates.js';
import { waitFor } from './fixtures/wait-for.js';
import { CLI_BUNDLE, makeTestDir, rawCall, removeTestDir, request, startHelper, type RunningHelper } from './helper-harness.js';
import { callOverSocket } from './web-client.js';

const HOST = '127.0.0.2';
const VM = 'nv6w-vm';
let dir = '';
let helper: RunningHelper;
const children: ChildProcess[] = [];
const env = () => ({ PATH: '/usr/bin:/bin:/usr/sbin:/sbin', HOME: dir, XDG_CONFIG_HOME: join(dir, 'config'), XDG_RUNTIME_DIR: join(dir, 'run') });

function nova(args: string[]): { code: number; stdout: string; stderr: string } {
  try {
    const stdout = execFileSync(process.execPath, [CLI_BUNDLE, '--no-autostart', '--socket', helper.socketPath, ...args], { env: env(), encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe'] });
    return { code: 0, stdout, stderr: '' };
  } catch (err) {
    const e = err as { status: number; stdout: string; stderr: string };
    return { code: e.status, stdout: e.stdout, stderr: e.stderr };
  }
}

interface Web {
  port: number;
  origin: string;
  out: () => string;
  err: () => string;
}

async function novaWeb(args: string[]): Promise<Web> {
  const child = spawn(process.execPath, [CLI_BUNDLE, '--no-autostart', '--socket', helper.socketPath, 'web', ...args], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const url = await waitFor(() => /^Nova web UI: (\S+)$/m.exec(stdout)?.[1] ?? (child.exitCode !== null && `exited: ${stderr}`), 20_000, `nova web's address (stderr: ${stderr})`, 50);
  expect(url).toMatch(/^https:\/\//);
  const parsed = new URL(url);
  return { port: Number(parsed.port), origin: parsed.origin, out: () => stdout, err: () => stderr };
}

let certs: TestCertificates;
const pem = (name: string) => certs.pem(name);

type Tls = Pick<ConnectionOptions, 'ca' | 'cert' | 'key' | 'checkServerIdentity'>;
type Dial = ConnectionOptions & { localAddress?: string };

/** The NovaApi socket as the page opens it: its origin, the token as a subprotocol. */
function openApi(web: Web, source: string, tls: Tls, token: string | null, origin = web.origin): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`wss://${HOST}:${web.port}${WEB_SOCKET_PATH}`, webSocketProtocols(token, [WEB_API_PROTOCOL]), {
      headers: { Origin: origin },
      handshakeTimeout: 10_000,
      localAddress: source,
      ...tls,
    });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => reject(Object.assign(new Error(`HTTP ${res.statusCode}: ${body.trim()}`), { status: res.statusCode, retryAfter: res.headers['retry-after'] })));
    });
    ws.once('error', reject);
  });
}

function get(web: Web, path: string, source: string, tls: Tls, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: HOST, port: web.port, path, headers, localAddress: source, timeout: 10_000, ...tls }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

/** The TLS version a handshake settles on, or the error that ends it. */
function handshake(port: number, options: Dial): Promise<{ version: string | null; fingerprint: string } | Error> {
  return new Promise((resolve) => {
    const socket = tlsConnect({ host: HOST, port, rejectUnauthorized: false, ...options }, () => {
      const result = { version: socket.getProtocol(), fingerprint: socket.getPeerX509Certificate()?.fingerprint256 ?? '' };
      socket.end();
      resolve(result);
    });
    socket.setTimeout(10_000, () => socket.destroy(new Error('timeout')));
    socket.once('error', (err) => resolve(err));
  });
}

let tokenWeb: Web;
let certWeb: Web;
let served: Tls;
const secrets: Record<string, string> = {};

beforeAll(async () => {
  dir = await makeTestDir('nv6w-web');
  helper = await startHelper(dir);
  certs = new TestCertificates(dir);
  certs.makeCa('ca-good');
  certs.makeCa('ca-other');
  certs.makeCert('ca-good', 'server', `subjectAltName=IP:${HOST}\nextendedKeyUsage=serverAuth\n`);
  certs.makeCert('ca-good', 'client-good', 'extendedKeyUsage=clientAuth\n');
  certs.makeCert('ca-other', 'client-other', 'extendedKeyUsage=clientAuth\n');
  for (const [name, scope, expires] of [['viewer', 'view', '30d'], ['admin', 'manage', '30d'], ['brief', 'manage', '1s']] as const) {
    const made = nova(['--json', 'token', 'create', '--scope', scope, '--expires', expires, '--name', name]);
    expect(made.code, made.stderr).toBe(0);
    secrets[name] = (JSON.parse(made.stdout) as { secret: string }).secret;
  }
  tokenWeb = await novaWeb(['--listen', `${HOST}:0`, '--tls']);
  // The self-signed certificate, trusted as a person trusts it: after checking its fingerprint.
  served = { ca: readFileSync(join(dir, 'config/nova/web-tls/cert.pem'), 'utf8') };
  certWeb = await novaWeb(['--listen', `${HOST}:0`, '--tls-cert', join(dir, 'server.pem'), '--tls-key', join(dir, 'server.key'), '--client-ca', join(dir, 'ca-good.pem')]);
}, 90_000);

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  // A VM outlives its helper: one a failed check let start is stopped and removed here.
  if (helper) await rawCall(helper.socketPath, [request(1, 'vm.delete', { name: VM, force: true })]);
  await helper?.stop();
  await removeTestDir(dir);
});

describe('nova web --listen with API tokens', () => {
  it('prints the fingerprint of the certificate it serves, and serves nothing older than TLS 1.2', async () => {
    const printed = /SHA-256 fingerprint: ([0-9A-F:]{95})/.exec(tokenWeb.out())?.[1];
    const seen = await handshake(tokenWeb.port, { localAddress: '127.0.0.3' });
    expect(seen).not.toBeInstanceOf(Error);
    expect((seen as { fingerprint: string }).fingerprint).toBe(printed);
    // The client below would speak TLS 1.0 and 1.1 (its own floor lowered); the server refuses.
    const old = await handshake(tokenWeb.port, { localAddress: '127.0.0.3', minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' });
    expect(old).toBeInstanceOf(Error);
    expect(String(old)).toMatch(/version|protocol/i);
    const tls12 = await handshake(tokenWeb.port, { localAddress: '127.0.0.3', minVersion: 'TLSv1', maxVersion: 'TLSv1.2', ciphers: 'DEFAULT@SECLEVEL=0' });
    expect(tls12).toMatchObject({ version: 'TLSv1.2' });
  });

  it('lets a view token list VMs but not start one, which stays stopped', async () => {
    const admin = await openApi(tokenWeb, '127.0.0.4', served, secrets['admin']!);
    expect(await callOverSocket(admin, 'vm.create', { name: VM, diskSize: '16Mi' })).toMatchObject({ ok: true });
    const viewer = await openApi(tokenWeb, '127.0.0.4', served, secrets['viewer']!);
    const listed = await callOverSocket(viewer, 'vm.list', {});
    expect(listed.ok).toBe(true);
    expect(JSON.stringify(listed.value)).toContain(VM);
    const start = await callOverSocket(viewer, 'vm.start', { name: VM });
    expect(start).toMatchObject({ ok: false, error: { code: 'not_authorized' } });
    expect(start.error?.message).toMatch(/may only view.*vm\.start.*manage scope/);
    expect(await callOverSocket(viewer, 'vm.get', { name: VM })).toMatchObject({ ok: true, value: { state: 'stopped' } });
    // A console is control of the guest: a view token does not get one.
    await expect(openConsole(tokenWeb, '127.0.0.4', secrets['viewer']!)).rejects.toThrow(/HTTP 403/);
    // A manage token gets past the door; the console proxy then answers for the stopped VM itself.
    await expect(openConsole(tokenWeb, '127.0.0.4', secrets['admin']!)).rejects.toThrow(/HTTP (?!403)\d{3}/);
    expect(await callOverSocket(admin, 'vm.delete', { name: VM })).toMatchObject({ ok: true });
    viewer.close();
    admin.close();
  });

  it('refuses no token, an unknown one and an expired one, saying it expired', async () => {
    await expect(openApi(tokenWeb, '127.0.0.5', served, null)).rejects.toThrow(/HTTP 401: An API token is required/);
    await expect(openApi(tokenWeb, '127.0.0.5', served, 'nvt_' + 'A'.repeat(43))).rejects.toThrow(/HTTP 401: Unknown or revoked token/);
    const tokens = (JSON.parse(nova(['--json', 'token', 'ls']).stdout) as { tokens: Array<{ name: string; expiresAt: string }> }).tokens;
    const expiresAt = Date.parse(tokens.find((t) => t.name === 'brief')!.expiresAt);
    await waitFor(() => Date.now() > expiresAt, 5_000, 'the brief token to expire', 50);
    await expect(openApi(tokenWeb, '127.0.0.5', served, secrets['brief']!)).rejects.toThrow(/HTTP 401: The token brief expired at/);
    expect(tokenWeb.err()).toContain('refused 127.0.0.5');
    for (const secret of Object.values(secrets)) expect(tokenWeb.err()).not.toContain(secret.slice(4));
  });

  it('answers only its own address as Host, and only its own pages as Origin', async () => {
    // The certificate is not what this checks: the client would refuse it for the foreign name first.
    const anyName = { ...served, checkServerIdentity: () => undefined };
    expect((await get(tokenWeb, '/', '127.0.0.6', anyName, { Host: `evil.example:${tokenWeb.port}` })).status).toBe(421);
    expect((await get(tokenWeb, '/', '127.0.0.6', served)).status).toBe(200);
    await expect(openApi(tokenWeb, '127.0.0.6', served, secrets['admin']!, `https://evil.example:${tokenWeb.port}`)).rejects.toThrow(/HTTP 403/);
  });

  it('slows down an address after five failures with 429, even for a good token then', async () => {
    for (let i = 0; i < 6; i++) await expect(openApi(tokenWeb, '127.0.0.7', served, `nvt_wrong${i}`)).rejects.toThrow(/HTTP 401/);
    const limited = await openApi(tokenWeb, '127.0.0.7', served, secrets['admin']!).catch((e: Error & { status?: number; retryAfter?: string }) => e);
    expect(limited).toMatchObject({ status: 429 });
    expect(Number((limited as { retryAfter?: string }).retryAfter)).toBeGreaterThan(0);
    // Another address is not slowed down by this one's failures.
    (await openApi(tokenWeb, '127.0.0.8', served, secrets['admin']!)).close();
    expect(tokenWeb.err()).not.toContain('nvt_wrong');
  });

  it('stops a removed token at its next call, and token ls never shows a secret', async () => {
    const made = nova(['--json', 'token', 'create', '--scope', 'view', '--name', 'short-lived']);
    const secret = (JSON.parse(made.stdout) as { secret: string }).secret;
    const ws = await openApi(tokenWeb, '127.0.0.9', served, secret);
    expect(await callOverSocket(ws, 'vm.list', {})).toMatchObject({ ok: true });
    const listed = [nova(['token', 'ls']), nova(['--json', 'token', 'ls'])];
    for (const l of listed) {
      expect(l.stdout).toContain('short-lived');
      for (const s of [...Object.values(secrets), secret]) expect(l.stdout + l.stderr).not.toContain(s.slice(4));
    }
    expect(listed[0]!.stdout).toMatch(/^NAME\s+SCOPE\s+CREATED\s+EXPIRES\s+LAST USED/);
    expect(readFileSync(join(dir, 'config/nova/web-tokens.json'), 'utf8')).not.toContain(secret.slice(4));
    expect(nova(['token', 'rm', 'short-lived']).code).toBe(0);
    expect(await callOverSocket(ws, 'vm.list', {})).toMatchObject({ ok: false, error: { code: 'not_authorized' } });
  });
});

function openConsole(web: Web, source: string, token: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`wss://${HOST}:${web.port}/nova-console/vnc/${VM}`, webSocketProtocols(token, ['binary']), { headers: { Origin: web.origin }, localAddress: source, handshakeTimeout: 10_000, ...served });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

describe('nova web --listen with client certificates', () => {
  const trust = () => ({ ca: pem('ca-good.pem') });

  it('refuses a client without a certificate and one whose certificate another CA signed', async () => {
    await expect(get(certWeb, '/', '127.0.0.10', trust())).rejects.toThrow();
    await expect(get(certWeb, '/', '127.0.0.10', { ...trust(), cert: pem('client-other.pem'), key: pem('client-other.key') })).rejects.toThrow();
    await expect(openApi(certWeb, '127.0.0.10', { ...trust(), cert: pem('client-other.pem'), key: pem('client-other.key') }, secrets['admin']!)).rejects.toThrow();
  });

  it('serves a good certificate everything, and a view token offered with it only views', async () => {
    const good = { ...trust(), cert: pem('client-good.pem'), key: pem('client-good.key') };
    expect((await get(certWeb, '/', '127.0.0.11', good)).status).toBe(200);
    expect(certWeb.out()).toContain(`TLS certificate SHA-256 fingerprint: ${new X509Certificate(pem('server.pem')).fingerprint256}`);
    const ws = await openApi(certWeb, '127.0.0.11', good, null);
    // A change reaches the helper (which answers for the VM, not for the scope).
    expect(await callOverSocket(ws, 'vm.delete', { name: 'nv6w-none' })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    const viewer = await openApi(certWeb, '127.0.0.11', good, secrets['viewer']!);
    expect(await callOverSocket(viewer, 'vm.delete', { name: 'nv6w-none' })).toMatchObject({ ok: false, error: { code: 'not_authorized' } });
    ws.close();
    viewer.close();
  });
});

describe('nova web refuses an unsafe listener before it opens a port', () => {
  it('refuses any address but loopback without TLS, and every address without a name', () => {
    const plain = nova(['web', '--listen', '192.0.2.1:8443', '--no-tls']);
    expect(plain.code).not.toBe(0);
    expect(plain.stderr).toMatch(/refusing to serve 192\.0\.2\.1 without TLS/);
    const anywhere = nova(['web', '--listen', '0.0.0.0:8443']);
    expect(anywhere.code).not.toBe(0);
    expect(anywhere.stderr).toMatch(/needs --name/);
  });
});
