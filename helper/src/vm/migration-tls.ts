// One migration's TLS credentials, made by the destination's helper with certtool: a CA
// that lives only as long as the signing (its key is deleted at once), a server
// certificate naming the address the destination listens on, and a client certificate
// for the source. QEMU's `tls-creds-x509` objects read their folder when they are made,
// so each side writes its files, makes the object, and deletes the files: the client's
// key reaches the source only through the caller's two authorized connections.
import { chown, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import type { MigrationClientTls } from '../../../src-shared/api/vm-migration-api.js';
import type { ProcessRunner } from '../process/process-runner.js';
import type { QmpClient } from './qmp-client.js';

/** QEMU's id for the credentials on both sides; the migration and NBD both name it. */
export const MIGRATION_TLS_ID = 'nova-migration-tls';
const CERTTOOL_TIMEOUT_MS = 30_000;
/** A migration that is not done in a day has failed long before its certificates expire. */
const VALID_DAYS = 1;

/** certtool's template for each certificate (templates carry no secret). */
export function certTemplates(listenHost: string): { ca: string; server: string; client: string } {
  // No serial: certtool draws a random one for each certificate.
  const common = [`expiration_days = ${VALID_DAYS}`];
  const name = isIP(listenHost) ? `ip_address = ${listenHost}` : `dns_name = ${listenHost}`;
  return {
    ca: ['cn = Nova migration CA', 'ca', 'cert_signing_key', ...common, ''].join('\n'),
    server: [`cn = ${listenHost}`, name, 'tls_www_server', 'encryption_key', 'signing_key', ...common, ''].join('\n'),
    client: ['cn = nova-migration-source', 'tls_www_client', 'encryption_key', 'signing_key', ...common, ''].join('\n'),
  };
}

/** The certtool runs, in order: three keys, the CA, and the two certificates it signs. */
export function certtoolArgv(dir: string, certtool = 'certtool'): string[][] {
  const f = (name: string) => join(dir, name);
  // --no-text: the files hold the PEM blocks alone, not certtool's description before them.
  const key = (name: string) => [certtool, '--generate-privkey', '--key-type=ecdsa', '--no-text', '--outfile', f(name)];
  const signed = (key: string, template: string, out: string) => [
    certtool, '--generate-certificate', '--no-text', '--load-ca-certificate', f('ca-cert.pem'), '--load-ca-privkey', f('ca-key.pem'),
    '--load-privkey', f(key), '--template', f(template), '--outfile', f(out),
  ];
  return [
    key('ca-key.pem'),
    key('server-key.pem'),
    key('client-key.pem'),
    [certtool, '--generate-self-signed', '--no-text', '--load-privkey', f('ca-key.pem'), '--template', f('ca.info'), '--outfile', f('ca-cert.pem')],
    signed('server-key.pem', 'server.info', 'server-cert.pem'),
    signed('client-key.pem', 'client.info', 'client-cert.pem'),
  ];
}

/**
 * Makes the credentials in `dir` (a fresh folder of root's, 0700) and leaves there only what
 * the destination's QEMU reads: ca-cert.pem, server-cert.pem and server-key.pem. The CA's key
 * and the client's files are gone when this returns; the client's are returned.
 */
export async function makeMigrationCredentials(dir: string, listenHost: string, runner: ProcessRunner, signal: AbortSignal): Promise<MigrationClientTls> {
  await mkdir(dir, { mode: 0o700 });
  const t = certTemplates(listenHost);
  await writeFile(join(dir, 'ca.info'), t.ca, { mode: 0o600 });
  await writeFile(join(dir, 'server.info'), t.server, { mode: 0o600 });
  await writeFile(join(dir, 'client.info'), t.client, { mode: 0o600 });
  try {
    for (const argv of certtoolArgv(dir)) await runner.run({ argv, timeoutMs: CERTTOOL_TIMEOUT_MS, signal, what: 'certtool: making the migration\'s credentials' });
    const read = (name: string) => readFile(join(dir, name), 'utf8');
    return { caCert: await read('ca-cert.pem'), clientCert: await read('client-cert.pem'), clientKey: await read('client-key.pem') };
  } finally {
    for (const name of ['ca-key.pem', 'client-key.pem', 'client-cert.pem', 'ca.info', 'server.info', 'client.info']) await rm(join(dir, name), { force: true });
  }
}

/** The source's side: the client files written for its QEMU (owned by the user it runs as), the object made, the files deleted. */
export async function addClientCredentials(qmp: QmpClient, dir: string, tls: MigrationClientTls, owner: { uid: number; gid: number } | null): Promise<void> {
  await mkdir(dir, { mode: 0o700 });
  try {
    if (owner) await chown(dir, owner.uid, owner.gid);
    const files: Array<[string, string]> = [['ca-cert.pem', tls.caCert], ['client-cert.pem', tls.clientCert], ['client-key.pem', tls.clientKey]];
    for (const [name, text] of files) {
      await writeFile(join(dir, name), text, { mode: 0o600 });
      if (owner) await chown(join(dir, name), owner.uid, owner.gid);
    }
    await addCredentials(qmp, dir, 'client');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function addCredentials(qmp: QmpClient, dir: string, endpoint: 'server' | 'client'): Promise<void> {
  await qmp.execute('object-add', { 'qom-type': 'tls-creds-x509', id: MIGRATION_TLS_ID, endpoint, dir, 'verify-peer': true });
}
