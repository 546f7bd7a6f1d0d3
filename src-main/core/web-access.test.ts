import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RemoteAccess, RunTokenAccess } from './web-access.js';
import { FailureRateLimiter } from './web-rate-limiter.js';
import { WebTokenStore } from './web-token-store.js';

let dir = '';
let store: WebTokenStore;
let lines: string[];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nv6w-access-'));
  store = new WebTokenStore(join(dir, 'web-tokens.json'));
  lines = [];
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

const from = (address: string, tls: { authorized: boolean; cn?: string } | null = null) =>
  ({
    socket: {
      remoteAddress: address,
      ...(tls ? { authorized: tls.authorized, getPeerCertificate: () => ({ subject: { CN: tls.cn } }) } : {}),
    },
  }) as unknown as IncomingMessage;

const access = (clientCerts = false) => new RemoteAccess({ tokens: store, limiter: new FailureRateLimiter({ freeFailures: 2 }), clientCerts, log: (l) => lines.push(l) });

describe('RemoteAccess', () => {
  it('grants a token its scope and logs a refusal by address and reason, never what was offered', async () => {
    const { secret } = await store.create({ name: 'viewer', scope: 'view', lifetimeMs: 60_000 });
    const a = access();
    expect(await a.admit(from('10.0.0.1'), secret)).toEqual({ ok: true, scope: 'view', who: 'token viewer' });
    expect(await a.admit(from('10.0.0.1'), 'nvt_guess')).toMatchObject({ ok: false, status: 401 });
    expect(lines).toEqual(['refused 10.0.0.1: Unknown or revoked token (failure 1 in a row)']);
  });

  it('does not count a missing token as a guess, and answers 429 once an address is slowed down', async () => {
    const a = access();
    for (let i = 0; i < 5; i++) expect(await a.admit(from('10.0.0.2'), null)).toMatchObject({ ok: false, status: 401 });
    expect(lines).toEqual([]);
    for (let i = 0; i < 3; i++) await a.admit(from('10.0.0.2'), `nvt_guess${i}`);
    expect(await a.admit(from('10.0.0.2'), 'nvt_more')).toMatchObject({ ok: false, status: 429, retryAfterS: 1 });
  });

  it('lets a verified certificate in with everything, or with the scope of a token it offers', async () => {
    const { secret } = await store.create({ name: 'viewer', scope: 'view', lifetimeMs: 60_000 });
    const a = access(true);
    expect(await a.admit(from('10.0.0.3', { authorized: true, cn: 'laptop' }), null)).toEqual({ ok: true, scope: 'manage', who: 'certificate laptop' });
    expect(await a.admit(from('10.0.0.3', { authorized: true, cn: 'laptop' }), secret)).toMatchObject({ ok: true, scope: 'view' });
    expect(await a.admit(from('10.0.0.3', { authorized: false }), secret)).toMatchObject({ ok: false, status: 403 });
    expect(await a.admit(from('10.0.0.3'), null)).toMatchObject({ ok: false, status: 403 });
  });

  it('fails closed when the token file cannot be read', async () => {
    await writeFile(join(dir, 'web-tokens.json'), 'not json');
    expect(await access().admit(from('10.0.0.4'), 'nvt_x')).toMatchObject({ ok: false, status: 503 });
  });
});

describe('RunTokenAccess', () => {
  it('takes only the run token', async () => {
    const a = new RunTokenAccess('secret-run-token');
    expect(await a.admit(from('127.0.0.1'), 'secret-run-token')).toMatchObject({ ok: true, scope: 'manage' });
    expect(await a.admit(from('127.0.0.1'), 'secret-run-tokeN')).toMatchObject({ ok: false });
    expect(await a.admit(from('127.0.0.1'), null)).toMatchObject({ ok: false });
  });
});
