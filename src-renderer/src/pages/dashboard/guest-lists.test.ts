import { afterEach, describe, expect, it, vi } from 'vitest';
import { sampleCapsule } from '../../lib/sample-capsule.js';
import { FakeTransport } from '../../transport/fake-transport.js';
import { NovaClient } from '../../transport/nova-client.js';
import { GUEST_REFETCH_DEBOUNCE_MS, watchGuestLists, type GuestLists } from './guest-lists.js';

afterEach(() => {
  vi.useRealTimers();
});

function setup(fail = false) {
  const transport = new FakeTransport((method) => {
    if (fail) return { ok: false, error: { code: 'unavailable', message: 'the helper is not running', details: null } };
    if (method === 'vm.list') return { ok: true, value: { vms: [], broken: [] } };
    if (method === 'capsule.list') return { ok: true, value: { capsules: [sampleCapsule('web', { state: 'running' })] } };
    return { ok: true, value: null };
  });
  const seen: GuestLists[] = [];
  const stop = watchGuestLists(new NovaClient(transport), (l) => seen.push(l));
  const reads = () => ({ vms: transport.callsOf('vm.list').length, capsules: transport.callsOf('capsule.list').length, other: transport.calls.filter((c) => !c.method.endsWith('.list')).length });
  return { transport, seen, stop, reads };
}

describe('watchGuestLists', () => {
  it('reads each list once on open, and once more for a burst of events', async () => {
    vi.useFakeTimers();
    const { transport, seen, stop, reads } = setup();
    await vi.advanceTimersByTimeAsync(0);
    expect(reads()).toEqual({ vms: 1, capsules: 1, other: 0 });
    expect(seen.at(-1)?.capsules?.map((c) => c.name)).toEqual(['web']);

    for (let i = 0; i < 5; i++) transport.emit({ name: 'capsule.stateChanged', payload: { name: 'web', state: 'running' } });
    transport.emit({ name: 'vm.healthChanged', payload: { name: 'box', health: null } });
    await vi.advanceTimersByTimeAsync(GUEST_REFETCH_DEBOUNCE_MS + 10);
    expect(reads()).toEqual({ vms: 2, capsules: 2, other: 0 });

    // Nothing is polled: without events, no more reads.
    await vi.advanceTimersByTimeAsync(60_000);
    expect(reads()).toEqual({ vms: 2, capsules: 2, other: 0 });
    stop();
    transport.emit({ name: 'vm.stateChanged', payload: { name: 'box', state: 'running', reason: null } });
    await vi.advanceTimersByTimeAsync(GUEST_REFETCH_DEBOUNCE_MS + 10);
    expect(reads().vms).toBe(2);
  });

  it('reports a failed read with its code', async () => {
    const { seen, stop } = setup(true);
    await vi.waitFor(() => expect(seen.at(-1)?.error?.code).toBe('unavailable'));
    expect(seen.at(-1)?.vms).toBeNull();
    stop();
  });
});
