// The certificate a remote `nova web` serves: the user's own (--tls-cert/--tls-key), or one
// Nova makes once with openssl and keeps in $XDG_CONFIG_HOME/nova/web-tls/ (key 0600),
// made again only when it no longer covers the names asked for or nears its end. A
// self-signed certificate is checked by eye: `nova web` prints its SHA-256 fingerprint,
// the one browsers show in their certificate viewer.
import { createPrivateKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { isIP } from 'node:net';
import { execa } from 'execa';
import { writePrivateFile } from './private-file.js';

export interface TlsMaterial {
  cert: string;
  key: string;
  /** SHA-256 of the certificate, as "AB:CD:…". */
  fingerprint: string;
  /** Whether Nova made it (so the user checks the fingerprint rather than a CA). */
  selfSigned: boolean;
  /** Set when this start made a new self-signed certificate. */
  made?: boolean;
}

const SELF_SIGNED_DAYS = 397;
/** Made again this long before it ends, so a long-running host never serves an expired one. */
const RENEW_BEFORE_MS = 30 * 86_400_000;
const OPENSSL_TIMEOUT_MS = 20_000;

export function defaultTlsDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(homedir(), '.config');
  return path.join(base, 'nova', 'web-tls');
}

/** The user's certificate and key, checked to parse and to belong together before anything listens. */
export async function loadTls(certFile: string, keyFile: string): Promise<TlsMaterial> {
  const [cert, key] = await Promise.all([readText(certFile, 'certificate'), readText(keyFile, 'key')]);
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (err) {
    throw new Error(`${certFile} is not a PEM certificate: ${(err as Error).message}`);
  }
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch (err) {
    throw new Error(`${keyFile} is not an unencrypted PEM private key: ${(err as Error).message}`);
  }
  if (!x509.checkPrivateKey(privateKey)) throw new Error(`${keyFile} is not the key of the certificate in ${certFile}`);
  return { cert, key, fingerprint: x509.fingerprint256, selfSigned: false };
}

/** The kept self-signed certificate for `names` (IP addresses and DNS names), made when needed. */
export async function selfSignedTls(names: readonly string[], dir = defaultTlsDir(), now = new Date()): Promise<TlsMaterial> {
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  try {
    const kept = await loadTls(certFile, keyFile);
    if (covers(new X509Certificate(kept.cert), names, now)) return { ...kept, selfSigned: true };
  } catch {
    // None yet, or not usable: a new one replaces it.
  }
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const key = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const san = names.map((n) => (isIP(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
  // The key is written 0600 before openssl reads it (it cannot take a key from a pipe);
  // a crash before the certificate is written leaves a pair that fails loadTls and is made again.
  await writePrivateFile(keyFile, key);
  const { stdout: cert } = await execa(
    'openssl',
    ['req', '-x509', '-new', '-key', keyFile, '-sha256', '-days', String(SELF_SIGNED_DAYS), '-subj', '/O=Nova/CN=Nova web', '-addext', `subjectAltName=${san}`, '-addext', 'extendedKeyUsage=serverAuth'],
    { timeout: OPENSSL_TIMEOUT_MS, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, extendEnv: false },
  );
  await writePrivateFile(certFile, cert.trim() + '\n');
  return { cert, key, fingerprint: new X509Certificate(cert).fingerprint256, selfSigned: true, made: true };
}

function covers(x509: X509Certificate, names: readonly string[], now: Date): boolean {
  if (Date.parse(x509.validTo) - RENEW_BEFORE_MS <= now.getTime()) return false;
  return names.every((n) => (isIP(n) ? x509.checkIP(n) !== undefined : x509.checkHost(n) !== undefined));
}

async function readText(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read the TLS ${what} ${file}: ${(err as Error).message}`);
  }
}
