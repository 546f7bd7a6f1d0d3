// Where `nova web` listens and which Host headers it answers. 127.0.0.1 (or another
// loopback address) without TLS is today's local mode; any other address, or TLS asked
// for, is the remote mode, which answers only to the names the user gave (and the
// address itself), so a DNS-rebinding page that points another name here is refused.
import { isIP } from 'node:net';
import { NovaError } from '../../src-shared/index.js';
import { parseDnsName } from '../../src-shared/vocabulary/index.js';

export const DEFAULT_WEB_PORT = 7420;

export interface ListenAddress {
  /** The address to bind, as Node takes it (no brackets). */
  host: string;
  port: number;
}

/** `ADDR[:PORT]`, `[V6]:PORT` or a bare IPv6 address; throws a sentence on anything else. */
export function parseListenAddress(text: string, defaultPort = DEFAULT_WEB_PORT): ListenAddress {
  const t = text.trim();
  let host = t;
  let port: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(t);
  if (bracketed) {
    host = bracketed[1] ?? '';
    port = bracketed[2];
  } else if (isIP(t) !== 6) {
    const i = t.lastIndexOf(':');
    if (i >= 0) {
      host = t.slice(0, i);
      port = t.slice(i + 1);
    }
  }
  if (isIP(host) === 0) throw new Error(`${JSON.stringify(text)} is not an address to listen on: write an IP address with an optional port, e.g. 192.168.1.5:8443 or [fd00::5]:8443`);
  const n = port === undefined ? defaultPort : Number(port);
  if (port !== undefined && !/^\d+$/.test(port)) throw new Error(`${JSON.stringify(port)} is not a port`);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`the port in ${JSON.stringify(text)} is not 0-65535`);
  return { host, port: n };
}

export function isLoopback(host: string): boolean {
  if (isIP(host) === 4) return host.startsWith('127.');
  const lower = host.toLowerCase();
  return lower === '::1' || lower === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(lower);
}

export function isUnspecified(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || /^(0+:){7}0+$/.test(host);
}

/** A name (`--name`): an IP address or a DNS host name, as a browser would write it. */
export function checkServerName(text: string): string {
  if (isIP(text) !== 0) return text;
  const parsed = parseDnsName(text, 'hostname');
  if (!parsed.ok) throw new NovaError('invalid_argument', `--name ${JSON.stringify(text)}: ${parsed.message}`);
  return parsed.value.toLowerCase();
}

/** The Host header values a browser sends for `name` on `port` (the default port may be left out). */
export function hostHeadersFor(name: string, port: number, defaultPort: number): string[] {
  const written = isIP(name) === 6 ? `[${name}]` : name;
  return port === defaultPort ? [`${written}:${port}`, written] : [`${written}:${port}`];
}
