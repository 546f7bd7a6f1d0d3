import { describe, expect, it } from 'vitest';
import { certTemplates, certtoolArgv } from './migration-tls.js';

describe("the migration's credentials", () => {
  it('are made by these certtool runs, each file in the one folder', () => {
    expect(certtoolArgv('/run/m')).toEqual([
      ['certtool', '--generate-privkey', '--key-type=ecdsa', '--no-text', '--outfile', '/run/m/ca-key.pem'],
      ['certtool', '--generate-privkey', '--key-type=ecdsa', '--no-text', '--outfile', '/run/m/server-key.pem'],
      ['certtool', '--generate-privkey', '--key-type=ecdsa', '--no-text', '--outfile', '/run/m/client-key.pem'],
      ['certtool', '--generate-self-signed', '--no-text', '--load-privkey', '/run/m/ca-key.pem', '--template', '/run/m/ca.info', '--outfile', '/run/m/ca-cert.pem'],
      ['certtool', '--generate-certificate', '--no-text', '--load-ca-certificate', '/run/m/ca-cert.pem', '--load-ca-privkey', '/run/m/ca-key.pem', '--load-privkey', '/run/m/server-key.pem', '--template', '/run/m/server.info', '--outfile', '/run/m/server-cert.pem'],
      ['certtool', '--generate-certificate', '--no-text', '--load-ca-certificate', '/run/m/ca-cert.pem', '--load-ca-privkey', '/run/m/ca-key.pem', '--load-privkey', '/run/m/client-key.pem', '--template', '/run/m/client.info', '--outfile', '/run/m/client-cert.pem'],
    ]);
  });

  it('name the address the destination listens on in its server certificate, as an IP or a DNS name', () => {
    expect(certTemplates('10.0.0.2').server).toMatch(/^cn = 10\.0\.0\.2\nip_address = 10\.0\.0\.2\ntls_www_server\n/);
    expect(certTemplates('closet.lan').server).toContain('dns_name = closet.lan\n');
    const { ca, client } = certTemplates('closet.lan');
    expect(ca).toContain('\nca\ncert_signing_key\n');
    expect(client).toContain('tls_www_client');
    expect(client).not.toContain('tls_www_server');
    expect(ca).toContain('expiration_days = 1');
  });
});
