import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadTls, selfSignedTls } from './web-tls.js';

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nv6w-tls-'));
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

describe('web TLS material', () => {
  it('makes a self-signed certificate once, keeps its key 0600, and makes a new one for a name it lacks', async () => {
    const first = await selfSignedTls(['127.0.0.2', 'nova.test'], dir);
    expect(first.made).toBe(true);
    const x509 = new X509Certificate(first.cert);
    expect(x509.checkIP('127.0.0.2')).toBe('127.0.0.2');
    expect(x509.checkHost('nova.test')).toBe('nova.test');
    expect(first.fingerprint).toBe(x509.fingerprint256);
    expect((await stat(join(dir, 'key.pem'))).mode & 0o777).toBe(0o600);
    const again = await selfSignedTls(['nova.test'], dir);
    expect(again.made).toBeUndefined();
    expect(again.fingerprint).toBe(first.fingerprint);
    const other = await selfSignedTls(['other.test'], dir);
    expect(other.made).toBe(true);
    expect(other.fingerprint).not.toBe(first.fingerprint);
  });

  it('refuses a key that is not the certificate\'s', async () => {
    const a = await selfSignedTls(['a.test'], join(dir, 'a'));
    const b = await selfSignedTls(['b.test'], join(dir, 'b'));
    await writeFile(join(dir, 'cert.pem'), a.cert);
    await writeFile(join(dir, 'key.pem'), b.key);
    await expect(loadTls(join(dir, 'cert.pem'), join(dir, 'key.pem'))).rejects.toThrow(/is not the key of the certificate/);
    await expect(loadTls(join(dir, 'none.pem'), join(dir, 'key.pem'))).rejects.toThrow(/cannot read the TLS certificate/);
  });
});
