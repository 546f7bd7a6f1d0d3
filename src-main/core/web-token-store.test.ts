import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebTokenStore } from './web-token-store.js';

const DAY = 86_400_000;
let dir = '';
let file = '';
let now = new Date('2026-12-01T10:00:00Z');
const clock = () => now;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nv6w-tokens-'));
  file = join(dir, 'nova', 'web-tokens.json');
  now = new Date('2026-12-01T10:00:00Z');
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

describe('WebTokenStore', () => {
  it('shows the secret once and keeps only its hash, in a 0600 file', async () => {
    const store = new WebTokenStore(file, clock);
    const { secret, token } = await store.create({ name: 'laptop', scope: 'view', lifetimeMs: 30 * DAY });
    expect(secret).toMatch(/^nvt_[A-Za-z0-9_-]{43}$/);
    expect(token).toEqual({ name: 'laptop', scope: 'view', createdAt: '2026-12-01T10:00:00.000Z', expiresAt: '2026-12-31T10:00:00.000Z', lastUsedAt: null });
    const text = await readFile(file, 'utf8');
    expect(text).not.toContain(secret);
    expect(text).not.toContain(secret.slice(4));
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'nova'))).mode & 0o777).toBe(0o700);
    expect(JSON.stringify(await store.list())).not.toContain(secret.slice(4));
  });

  it('checks a secret, refuses an unknown one, and says when one expired', async () => {
    const store = new WebTokenStore(file, clock);
    const { secret } = await store.create({ name: 'ci', scope: 'manage', lifetimeMs: DAY });
    expect(await store.check(secret)).toEqual({ ok: true, name: 'ci', scope: 'manage' });
    expect(await store.check(secret + 'x')).toEqual({ ok: false, reason: 'unknown' });
    expect(await store.check('')).toEqual({ ok: false, reason: 'unknown' });
    now = new Date(now.getTime() + DAY);
    expect(await store.check(secret)).toEqual({ ok: false, reason: 'expired', name: 'ci', expiresAt: '2026-12-02T10:00:00.000Z' });
  });

  it('lists name, scope, dates and last use, and a removal takes effect in a running server at once', async () => {
    const cli = new WebTokenStore(file, clock);
    const server = new WebTokenStore(file, clock);
    const a = await cli.create({ name: 'a', scope: 'view', lifetimeMs: DAY });
    await cli.create({ scope: 'manage', lifetimeMs: DAY });
    expect((await server.check(a.secret)).ok).toBe(true);
    const listed = await cli.list();
    expect(listed.map((t) => t.name)[0]).toBe('a');
    expect(listed[0]?.lastUsedAt).toBe('2026-12-01T10:00:00.000Z');
    expect(listed[1]?.name).toMatch(/^token-[0-9a-f]{6}$/);
    await cli.remove('a');
    expect(await server.check(a.secret)).toEqual({ ok: false, reason: 'unknown' });
    await expect(cli.remove('a')).rejects.toMatchObject({ code: 'not_found' });
  });

  it('refuses a duplicate or malformed name and a lifetime beyond a year', async () => {
    const store = new WebTokenStore(file, clock);
    await store.create({ name: 'x', scope: 'view', lifetimeMs: DAY });
    await expect(store.create({ name: 'x', scope: 'view', lifetimeMs: DAY })).rejects.toMatchObject({ code: 'already_exists' });
    await expect(store.create({ name: '../x', scope: 'view', lifetimeMs: DAY })).rejects.toMatchObject({ code: 'invalid_argument' });
    await expect(store.create({ name: 'y', scope: 'view', lifetimeMs: 400 * DAY })).rejects.toMatchObject({ code: 'invalid_argument' });
  });

  it('refuses a damaged file rather than treating it as empty', async () => {
    const store = new WebTokenStore(file, clock);
    await store.create({ name: 'x', scope: 'view', lifetimeMs: DAY });
    const { writeFile } = await import('node:fs/promises');
    await writeFile(file, '{"version":1,"tokens":[{"name":"x"}]}');
    await expect(store.check('nvt_anything')).rejects.toMatchObject({ code: 'invalid_argument' });
  });
});
