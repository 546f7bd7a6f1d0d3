import { describe, expect, it } from 'vitest';
import type { Envelope } from '../../../src-shared/index.js';
import { sampleReport } from '../lib/sample-report.js';
import { FakeTransport } from '../transport/fake-transport.js';
import { NovaClient } from '../transport/nova-client.js';
import { createHostStore } from './host-store.js';

/** A transport whose host.check answers are released by the test, one by one. */
function gatedTransport() {
  const gates: Array<{ params: unknown; release: (e: Envelope<unknown>) => void }> = [];
  const transport = new FakeTransport(
    (_method, params) => new Promise<Envelope<unknown>>((release) => gates.push({ params, release })),
  );
  return { transport, gates };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

describe('host store', () => {
  it('loads the cached report, then re-checks with refresh', async () => {
    const transport = new FakeTransport((_m, params) => ({
      ok: true,
      value: sampleReport({ cached: !(params as { refresh: boolean }).refresh }),
    }));
    const { store } = createHostStore(new NovaClient(transport));
    await store.getState().load();
    expect(store.getState().report?.cached).toBe(true);
    await store.getState().recheck();
    expect(store.getState().report?.cached).toBe(false);
    expect(transport.calls.map((c) => c.params)).toEqual([{ refresh: false }, { refresh: true }]);
  });

  it('is busy while a re-check runs and ignores a second click', async () => {
    const { transport, gates } = gatedTransport();
    const { store } = createHostStore(new NovaClient(transport), () => 1234);
    void store.getState().recheck();
    expect(store.getState()).toMatchObject({ phase: 'rechecking', startedAt: 1234 });
    void store.getState().recheck();
    await flush();
    expect(gates).toHaveLength(1);
    gates[0]?.release({ ok: true, value: sampleReport() });
    await flush();
    expect(store.getState()).toMatchObject({ phase: 'idle', startedAt: null, error: null });
  });

  it('keeps the last report and records the error shape when a re-check fails', async () => {
    const { transport, gates } = gatedTransport();
    const { store } = createHostStore(new NovaClient(transport));
    void store.getState().load();
    await flush();
    gates[0]?.release({ ok: true, value: sampleReport() });
    await flush();
    void store.getState().recheck();
    await flush();
    gates[1]?.release({ ok: false, error: { code: 'not_authorized', message: 'denied' } });
    await flush();
    expect(store.getState().report?.hostname).toBe('testhost');
    expect(store.getState().error).toEqual({ code: 'not_authorized', message: 'denied' });
  });

  it('lets a re-check supersede a slower cached load', async () => {
    const { transport, gates } = gatedTransport();
    const { store } = createHostStore(new NovaClient(transport));
    void store.getState().load();
    void store.getState().recheck();
    await flush();
    gates[1]?.release({ ok: true, value: sampleReport({ generatedAt: '2025-01-01T11:00:00.000Z' }) });
    gates[0]?.release({ ok: true, value: sampleReport({ generatedAt: '2025-01-01T09:00:00.000Z', cached: true }) });
    await flush();
    expect(store.getState().report?.generatedAt).toBe('2025-01-01T11:00:00.000Z');
  });

  it('treats host.checked from elsewhere as a signal to re-read, but not its own result', async () => {
    const transport = new FakeTransport(() => ({ ok: true, value: sampleReport() }));
    const { store, dispose } = createHostStore(new NovaClient(transport));
    await store.getState().load();
    transport.emit({ name: 'host.checked', payload: { generatedAt: sampleReport().generatedAt } });
    await flush();
    expect(transport.callsOf('host.check')).toHaveLength(1);
    transport.emit({ name: 'host.checked', payload: { generatedAt: '2030-01-01T00:00:00.000Z' } });
    await flush();
    expect(transport.callsOf('host.check')).toHaveLength(2);
    expect(transport.calls[1]?.params).toEqual({ refresh: false });
    dispose();
    transport.emit({ name: 'host.checked', payload: { generatedAt: '2031-01-01T00:00:00.000Z' } });
    await flush();
    expect(transport.callsOf('host.check')).toHaveLength(2);
  });

  it('retries after an error when the helper comes back', async () => {
    let helperUp = false;
    const transport = new FakeTransport(() =>
      helperUp ? { ok: true, value: sampleReport() } : { ok: false, error: { code: 'unavailable', message: 'down' } },
    );
    const { store } = createHostStore(new NovaClient(transport));
    await store.getState().load();
    expect(store.getState().error?.code).toBe('unavailable');
    helperUp = true;
    transport.emit({ name: 'connection.changed', payload: { connected: true } });
    await flush();
    expect(store.getState()).toMatchObject({ error: null, report: { hostname: 'testhost' } });
  });
});
