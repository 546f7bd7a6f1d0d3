// What `nova web --listen` needs before it serves anything but loopback: TLS (the user's
// certificate or Nova's self-signed one), the names browsers use, and who may come in
// (a client CA, else API tokens). Every refusal happens here, before a port is opened.
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { NovaError } from '../../../src-shared/index.js';
import { RemoteAccess } from '../../core/web-access.js';
import { checkServerName, isLoopback, isUnspecified, type ListenAddress } from '../../core/web-listen.js';
import { FailureRateLimiter } from '../../core/web-rate-limiter.js';
import type { WebServerOptions } from '../../core/web-server.js';
import { loadTls, selfSignedTls } from '../../core/web-tls.js';
import { WebTokenStore } from '../../core/web-token-store.js';

export interface WebTlsFlags {
  /** true for --tls, false for --no-tls, undefined for neither. */
  tls?: boolean;
  tlsCert?: string;
  tlsKey?: string;
  clientCa?: string;
  name: string[];
}

/** Whether these flags and this address make a remote listener (TLS, tokens or certificates). */
export function isRemoteListen(listen: ListenAddress, flags: WebTlsFlags): boolean {
  if (!isLoopback(listen.host) && flags.tls === false) {
    throw new NovaError('invalid_argument', 
      `refusing to serve ${listen.host} without TLS: anyone on that network could read the pages and take the session; drop --no-tls (Nova makes a self-signed certificate) or give --tls-cert and --tls-key`,
    );
  }
  return !isLoopback(listen.host) || flags.tls === true || flags.tlsCert !== undefined || flags.tlsKey !== undefined || flags.clientCa !== undefined;
}

export interface RemoteWeb {
  options: Pick<WebServerOptions, 'host' | 'port' | 'tls' | 'names' | 'access'>;
  /** What `nova web` prints at start, after the address. */
  banner: string[];
}

export async function prepareRemoteWeb(listen: ListenAddress, flags: WebTlsFlags, log: (line: string) => void): Promise<RemoteWeb> {
  if (flags.tls === false) throw new NovaError('invalid_argument', '--no-tls cannot go with --tls-cert, --tls-key or --client-ca');
  if ((flags.tlsCert === undefined) !== (flags.tlsKey === undefined)) throw new NovaError('invalid_argument', '--tls-cert and --tls-key go together');
  const names = flags.name.map(checkServerName);
  if (isUnspecified(listen.host) && names.length === 0) {
    throw new NovaError('invalid_argument', `listening on every address (${listen.host}) needs --name: the host name or address browsers will use to reach this host`);
  }
  const certNames = isUnspecified(listen.host) ? names : [...names, listen.host];
  const material = flags.tlsCert !== undefined && flags.tlsKey !== undefined ? await loadTls(flags.tlsCert, flags.tlsKey) : await selfSignedTls(certNames);
  const clientCa = flags.clientCa === undefined ? undefined : await readCa(flags.clientCa);
  const banner = [`TLS certificate SHA-256 fingerprint: ${material.fingerprint}`];
  if (material.selfSigned) banner.push(`  (a self-signed certificate Nova ${material.made ? 'made now' : 'keeps'}; check that your browser shows this fingerprint before you accept it)`);
  banner.push(
    clientCa !== undefined
      ? `Clients need a certificate signed by ${flags.clientCa}; an API token, if one is offered too, limits it to the token's scope.`
      : 'Clients need an API token: make one with "nova token create --scope view|manage --expires 30d" and open the address above with ?token=TOKEN.',
  );
  const access = new RemoteAccess({ tokens: new WebTokenStore(), limiter: new FailureRateLimiter(), clientCerts: clientCa !== undefined, log });
  return {
    options: { host: listen.host, port: listen.port, names, access, tls: { cert: material.cert, key: material.key, ...(clientCa !== undefined ? { clientCa } : {}) } },
    banner,
  };
}

async function readCa(file: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new NovaError('invalid_argument', `cannot read the client CA ${file}: ${(err as Error).message}`);
  }
  try {
    new X509Certificate(text);
  } catch {
    throw new NovaError('invalid_argument', `${file} is not a PEM certificate (the CA that signs client certificates)`);
  }
  return text;
}
