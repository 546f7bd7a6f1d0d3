import { describe, expect, it } from 'vitest';
import { FakeTransport } from '../transport/fake-transport.js';
import { NovaClient } from '../transport/nova-client.js';
import { createConnectionStore } from './connection-store.js';

const flush = () => new Promise((r) => setTimeout(r, 0));

function appInfo(connected: boolean) {
  return { ok: true as const, value: { version: '0.1.0', mode: 'web', helper: { socket: '/run/nova.sock', connected } } };
}

describe('connection store', () => {
  it('reads app.info once connected', async () => {
    const transport = new FakeTransport(() => appInfo(true));
    const { store } = createConnectionStore(new NovaClient(transport));
    await flush();
    expect(store.getState().helper).toEqual({ connected: true, reason: null });
    expect(store.getState().app).toEqual({ version: '0.1.0', mode: 'web' });
  });

  it('shows the reason from connection.changed and re-reads app.info on it', async () => {
    let up = true;
    const transport = new FakeTransport(() => appInfo(up));
    const { store } = createConnectionStore(new NovaClient(transport));
    await flush();
    up = false;
    transport.emit({ name: 'connection.changed', payload: { connected: false, reason: 'socket refused' } });
    expect(store.getState().helper).toEqual({ connected: false, reason: 'socket refused' });
    await flush();
    expect(transport.callsOf('app.info')).toHaveLength(2);
    expect(store.getState().helper).toEqual({ connected: false, reason: 'socket refused' });
  });

  it('forgets the helper state while the transport is down, and re-reads it on reconnect', async () => {
    const transport = new FakeTransport(() => appInfo(true));
    const { store } = createConnectionStore(new NovaClient(transport));
    await flush();
    transport.setState({ status: 'reconnecting', attempt: 1, nextRetryAt: 0, lastError: 'lost' });
    expect(store.getState().helper.connected).toBeNull();
    expect(store.getState().transport.status).toBe('reconnecting');
    transport.setState({ status: 'connected', attempt: 0, nextRetryAt: null, lastError: null });
    await flush();
    expect(store.getState().helper.connected).toBe(true);
    expect(transport.callsOf('app.info')).toHaveLength(2);
  });
});
