import { describe, expect, it } from 'vitest';
import type { Envelope } from '../../../src-shared/index.js';
import type { Operation } from '../../../src-shared/operation.js';
import { sampleOperation as op } from '../../../src-shared/testing/sample-operation.js';
import { FakeTransport } from '../transport/fake-transport.js';
import { NovaClient } from '../transport/nova-client.js';
import { createOperationStore, runningCount, runningOperations } from './operation-store.js';

const flush = () => new Promise((r) => setTimeout(r, 0));
const listOf = (...operations: Operation[]): Envelope<unknown> => ({ ok: true, value: { operations } });

/** A transport whose operation.list answers wait for the test to release them. */
function gatedLists() {
  const gates: Array<(e: Envelope<unknown>) => void> = [];
  const transport = new FakeTransport((method) =>
    method === 'operation.list' ? new Promise<Envelope<unknown>>((release) => gates.push(release)) : { ok: true, value: null },
  );
  return { transport, gates };
}

describe('operation store', () => {
  it('reads the list when connected and applies each operation.changed as the operation it carries', async () => {
    const finished = op({ id: 'ffff0001', state: 'succeeded', finishedAt: '2026-01-01T00:00:09.000Z' });
    const transport = new FakeTransport(() => listOf(op(), finished));
    const { store } = createOperationStore(new NovaClient(transport));
    await flush();
    expect(transport.callsOf('operation.list').map((c) => c.params)).toEqual([{ state: 'all' }]);
    expect(store.getState()).toMatchObject({ loaded: true, error: null });
    expect(runningCount(store.getState())).toBe(1);

    transport.emit({ name: 'operation.changed', payload: op({}, { fraction: 0.5 }) });
    transport.emit({ name: 'operation.changed', payload: op({ id: 'cafe0002', kind: 'vm.start', resource: { kind: 'vm', name: 'web1' } }) });
    expect(store.getState().byId['abcd1234']?.progress.fraction).toBe(0.5);
    expect(runningOperations(store.getState().byId, (o) => o.resource.kind === 'vm').map((o) => o.id)).toEqual(['cafe0002']);
    expect(runningCount(store.getState())).toBe(2);
  });

  it('keeps what events said during a read over the older list that read returns', async () => {
    const { transport, gates } = gatedLists();
    const { store } = createOperationStore(new NovaClient(transport));
    await flush();
    transport.emit({ name: 'operation.changed', payload: op({}, { fraction: 0.9 }) });
    transport.emit({ name: 'operation.changed', payload: op({ id: 'beef0003' }) });
    gates[0]?.(listOf(op({}, { fraction: 0.1 })));
    await flush();
    expect(store.getState().byId['abcd1234']?.progress.fraction).toBe(0.9);
    expect(Object.keys(store.getState().byId).sort()).toEqual(['abcd1234', 'beef0003']);

    // Outside a read, the list is the truth: what it no longer has is gone.
    void store.getState().load();
    gates[1]?.(listOf(op({ state: 'failed', finishedAt: '2026-01-01T00:01:00.000Z', error: { code: 'internal', message: 'the Nova helper stopped' } })));
    await flush();
    expect(Object.keys(store.getState().byId)).toEqual(['abcd1234']);
    expect(store.getState().byId['abcd1234']?.state).toBe('failed');
  });

  it('never lets a late progress report undo an end', async () => {
    const transport = new FakeTransport((method) =>
      method === 'operation.cancel' ? { ok: true, value: op({ cancelRequested: true }) } : listOf(op()),
    );
    const { store } = createOperationStore(new NovaClient(transport));
    await flush();
    const cancelling = store.getState().cancel('abcd1234');
    expect(store.getState().cancelling).toEqual({ abcd1234: true });
    // The end overtakes the cancel's answer on its way back.
    transport.emit({ name: 'operation.changed', payload: op({ state: 'cancelled', cancelRequested: true, finishedAt: '2026-01-01T00:00:03.000Z' }) });
    await cancelling;
    expect(store.getState().byId['abcd1234']?.state).toBe('cancelled');
    expect(store.getState().cancelling).toEqual({});
    expect(transport.callsOf('operation.cancel').map((c) => c.params)).toEqual([{ id: 'abcd1234' }]);
  });

  it("keeps the helper's refusal of a cancel beside the operation", async () => {
    const transport = new FakeTransport((method) =>
      method === 'operation.cancel'
        ? { ok: false, error: { code: 'failed_precondition', message: 'Operation abcd1234 already succeeded' } }
        : listOf(op()),
    );
    const { store } = createOperationStore(new NovaClient(transport));
    await flush();
    await store.getState().cancel('abcd1234');
    expect(store.getState().cancelErrors).toEqual({ abcd1234: { code: 'failed_precondition', message: 'Operation abcd1234 already succeeded' } });
  });

  it('reads the list again when the helper or the link to Nova comes back, and not after dispose', async () => {
    const transport = new FakeTransport(() => listOf(op()));
    const { dispose } = createOperationStore(new NovaClient(transport));
    await flush();
    transport.emit({ name: 'connection.changed', payload: { connected: false, reason: 'gone' } });
    transport.emit({ name: 'connection.changed', payload: { connected: true } });
    transport.setState({ status: 'reconnecting', attempt: 1, nextRetryAt: 0, lastError: 'lost' });
    transport.setState({ status: 'connected', attempt: 0, nextRetryAt: null, lastError: null });
    await flush();
    expect(transport.callsOf('operation.list')).toHaveLength(3);
    dispose();
    transport.emit({ name: 'connection.changed', payload: { connected: true } });
    transport.emit({ name: 'operation.changed', payload: op({ id: 'beef0003' }) });
    expect(transport.callsOf('operation.list')).toHaveLength(3);
  });

  it('keeps every running operation and only the newest finished ones', async () => {
    const finished = Array.from({ length: 120 }, (_, i) =>
      op({ id: `f${String(i).padStart(7, '0')}`, state: 'succeeded', finishedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString() }),
    );
    const transport = new FakeTransport(() => listOf(op(), ...finished));
    const { store } = createOperationStore(new NovaClient(transport));
    await flush();
    const kept = Object.keys(store.getState().byId);
    expect(kept).toHaveLength(101);
    expect(kept).toContain('abcd1234');
    expect(kept).not.toContain('f0000019');
    expect(kept).toContain('f0000020');
  });

  it('records why the list could not be read, and opens and closes the panel', async () => {
    const transport = new FakeTransport(() => ({ ok: false, error: { code: 'unavailable', message: 'helper down' } }));
    const { store } = createOperationStore(new NovaClient(transport));
    await flush();
    expect(store.getState()).toMatchObject({ loaded: false, error: { code: 'unavailable' } });
    store.getState().openPanel('abcd1234');
    expect(store.getState().panel).toEqual({ open: true, highlight: 'abcd1234' });
    store.getState().closePanel();
    expect(store.getState().panel).toEqual({ open: false, highlight: null });
  });
});
