// Where a Nova host is: `local`, or `ssh://[user@]host[:port]` reached through OpenSSH,
// and the short names a user gives hosts ("closet"). Parsed strictly: whatever parses
// here becomes arguments of `ssh`, so nothing may look like an option or carry a path.
import { parseDnsName } from './dns-name.js';
import { parseIpAddress } from './ip-address.js';
import { describeValue, fail, ok, type Parsed } from './parsed.js';
import { parsePort } from './port.js';

export interface SshHostAddress {
  kind: 'ssh';
  /** The login name on the remote host; absent: OpenSSH's own choice (config, then the local user). */
  user?: string;
  /** A DNS name or an IP address (IPv6 without brackets). */
  host: string;
  port?: number;
}

export type HostAddress = { kind: 'local' } | SshHostAddress;

export const LOCAL_HOST = 'local';

const HOST_NAME = /^[a-z][a-z0-9-]{0,30}[a-z0-9]$|^[a-z]$/;
const SSH_USER = /^[a-z_][a-z0-9_.-]{0,31}$/i;

/** A registry name: lowercase letters, digits and "-", as a short host name. `local` is taken. */
export function parseHostName(text: string): Parsed<string> {
  if (!HOST_NAME.test(text)) {
    return fail(`${describeValue(text)} is not a host name; use up to 32 lowercase letters, digits and "-", starting with a letter (e.g. "closet")`);
  }
  return ok(text);
}

/** `local` or `ssh://[user@]host[:port]`, nothing more (no path, query or password). */
export function parseHostAddress(text: string): Parsed<HostAddress> {
  if (text === LOCAL_HOST) return ok({ kind: 'local' });
  const bad = (why: string) => fail(`${describeValue(text)} is not a host address: ${why}; write "local" or ssh://[user@]host[:port] (e.g. ssh://admin@closet.lan:2222)`);
  const match = /^ssh:\/\/(?:([^@/]*)@)?(\[[^\]]*\]|[^:/@[\]]*)(?::([^/]*))?\/?$/.exec(text);
  if (!match) return bad(text.startsWith('ssh://') ? 'it has a path or stray characters' : 'only ssh:// is supported');
  const [, user, rawHost = '', rawPort] = match;
  if (user !== undefined && !SSH_USER.test(user)) return bad(`${describeValue(user)} is not a user name`);
  const host = parseHost(rawHost);
  if (!host.ok) return bad(host.message);
  let port: number | undefined;
  if (rawPort !== undefined) {
    const parsed = parsePort(rawPort, 'SSH port');
    if (!parsed.ok) return bad(parsed.message);
    port = parsed.value;
  }
  return ok({ kind: 'ssh', host: host.value, ...(user !== undefined ? { user } : {}), ...(port !== undefined ? { port } : {}) });
}

function parseHost(raw: string): Parsed<string> {
  if (raw.startsWith('[')) {
    const inner = raw.slice(1, -1);
    const ip = parseIpAddress(inner);
    return ip.ok && inner.includes(':') ? ok(ip.value) : fail(`${describeValue(raw)} is not an IPv6 address`);
  }
  if (raw === '') return fail('the host is missing');
  if (/^[\d.]+$/.test(raw)) {
    const ip = parseIpAddress(raw);
    return ip.ok ? ip : fail(`${describeValue(raw)} is not an IPv4 address`);
  }
  return parseDnsName(raw, 'hostname');
}

/** The address back as the user writes it; parseHostAddress(formatHostAddress(a)) gives a. */
export function formatHostAddress(address: HostAddress): string {
  if (address.kind === 'local') return LOCAL_HOST;
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  return `ssh://${address.user ? `${address.user}@` : ''}${host}${address.port ? `:${address.port}` : ''}`;
}
