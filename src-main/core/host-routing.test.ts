// Routing a renderer call to its host: no host or `local` goes to this machine's helper
// as before; a saved host's name goes down that host's connection; main's own methods stay
// main's; a dead host fails at once while local calls go on; a bad name is refused.
import { describe, expect, it } from 'vitest';
import { NovaError } from '../../src-shared/index.js';
import type { HelperClient } from './helper-client.js';
import { HostConnectionPool, type LinkClient } from './hosts/host-connection-pool.js';
import { NovaApiHandlers } from './nova-api-handlers.js';

type Asked = Array<[string, string, unknown]>;

function fakeHelper(where: string, asked: Asked, up = true): LinkClient & Pick<HelperClient, 'socketPath' | 'isConnected'> {
  const call = async (method: string, params: unknown) => {
    if (!up) throw new NovaError('unavailable', 'ssh could not connect: Connection refused');
    asked.push([where, method, params]);
    if (method === 'vm.list') return { vms: [], broken: [] };
    return { pong: true };
  };
  return {
    socketPath: where,
    isConnected: true,
    call: call as unknown as LinkClient['call'],
    start: () => undefined,
    close: () => undefined,
    onConnectionChange: () => () => undefined,
    onEvent: () => () => undefined,
  } as unknown as LinkClient & Pick<HelperClient, 'socketPath' | 'isConnected'>;
}

function setUp(): { handlers: NovaApiHandlers; asked: Asked; pool: HostConnectionPool } {
  const asked: Asked = [];
  const pool = new HostConnectionPool({ open: async (name) => fakeHelper(name, asked, name !== 'nv6u-dead'), connectBoundMs: 2000 });
  const handlers = new NovaApiHandlers({ helper: fakeHelper('local', asked) as unknown as HelperClient, mode: 'web', version: '0.0.0', pool });
  return { handlers, asked, pool };
}

describe('routing a call to its host', () => {
  it('sends helper methods to the named host and keeps local the default', async () => {
    const { handlers, asked, pool } = setUp();
    expect(await handlers.invoke('vm.list', {}, 'nv6u-closet')).toEqual({ ok: true, value: { vms: [], broken: [] } });
    expect(await handlers.invoke('vm.list', {})).toMatchObject({ ok: true });
    expect(await handlers.invoke('vm.list', {}, 'local')).toMatchObject({ ok: true });
    expect(asked.filter(([, m]) => m === 'vm.list').map(([w]) => w)).toEqual(['nv6u-closet', 'local', 'local']);
    // Main's own methods are this app's, whichever host the page shows.
    expect(await handlers.invoke('app.info', {}, 'nv6u-closet')).toMatchObject({ ok: true, value: { helper: { socket: 'local' } } });
    expect(await handlers.invoke('hosts.connection', { name: 'nv6u-closet' })).toEqual({ ok: true, value: { name: 'nv6u-closet', state: 'connected', error: null, retryAt: null } });
    pool.close();
  });

  it('checks params against the method before sending them to a host', async () => {
    const { handlers, asked, pool } = setUp();
    expect(await handlers.invoke('vm.start', { name: '../x' }, 'nv6u-closet')).toMatchObject({ ok: false, error: { code: 'invalid_argument' } });
    expect(asked.filter(([, m]) => m === 'vm.start')).toEqual([]);
    pool.close();
  });

  it('fails a dead host at once and leaves local calls alone', async () => {
    const { handlers, pool } = setUp();
    const first = await handlers.invoke('vm.list', {}, 'nv6u-dead');
    expect(first).toMatchObject({ ok: false, error: { code: 'unavailable' } });
    const t0 = Date.now();
    const again = await handlers.invoke('vm.list', {}, 'nv6u-dead');
    expect(again).toMatchObject({ ok: false, error: { code: 'unavailable', message: expect.stringMatching(/reconnecting in \d+ s/) } });
    expect(Date.now() - t0).toBeLessThan(500);
    expect(await handlers.invoke('vm.list', {})).toMatchObject({ ok: true });
    expect(await handlers.invoke('hosts.connection', { name: 'nv6u-dead' })).toMatchObject({ ok: true, value: { state: 'disconnected', error: expect.stringMatching(/refused/) } });
    pool.close();
  });

  it('refuses a host that is not a name, and a file import to another host', async () => {
    const { handlers, pool } = setUp();
    for (const bad of ['../etc', 'ssh://x', 42, '']) {
      expect(await handlers.invoke('vm.list', {}, bad)).toMatchObject({ ok: false, error: { code: 'invalid_argument' } });
    }
    expect(await handlers.invoke('image.import', { path: '/tmp/x.qcow2', name: 'x' }, 'nv6u-closet')).toMatchObject({ ok: false, error: { code: 'invalid_argument', message: expect.stringMatching(/copy it there/) } });
    pool.close();
  });
});
