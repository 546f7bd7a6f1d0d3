// A client bound to a saved host: its helper calls carry the host, main's own do not, its
// events are that host's (relayed by main) and never this machine's, and closing it leaves
// the shared link open for the rest of the app.
import { describe, expect, it, vi } from 'vitest';
import { FakeTransport } from './fake-transport.js';
import { NovaClient } from './nova-client.js';

const LIST = { ok: true as const, value: { vms: [], broken: [] } };

describe('a client bound to a host', () => {
  it("sends the host with the helper's methods and not with main's", async () => {
    const transport = new FakeTransport((method) => (method === 'vm.list' ? LIST : { ok: true, value: { hosts: [] } }));
    const local = new NovaClient(transport);
    const closet = local.withHost('nv6u-closet');
    await closet.call('vm.list', {});
    await closet.call('hosts.list', {});
    await local.call('vm.list', {});
    expect(transport.calls.map((c) => [c.method, c.options.host])).toEqual([
      ['vm.list', 'nv6u-closet'],
      ['hosts.list', undefined],
      ['vm.list', undefined],
    ]);
    expect(closet.host).toBe('nv6u-closet');
    expect(local.isLocal).toBe(true);
  });

  it("hears its host's relayed events only, and the local client only this machine's", () => {
    const transport = new FakeTransport();
    const local = new NovaClient(transport);
    const closet = local.withHost('nv6u-closet');
    const heardLocal = vi.fn();
    const heardCloset = vi.fn();
    local.on('vm.stateChanged', heardLocal);
    closet.on('vm.stateChanged', heardCloset);
    const payload = { name: 'g1', state: 'running', reason: null };
    transport.emit({ name: 'vm.stateChanged', payload } as never);
    transport.emit({ name: 'hosts.relayed', payload: { host: 'nv6u-closet', event: { name: 'vm.stateChanged', payload } } });
    transport.emit({ name: 'hosts.relayed', payload: { host: 'nv6u-attic', event: { name: 'vm.stateChanged', payload } } });
    // A relayed event this build does not know is dropped, not passed on unchecked.
    transport.emit({ name: 'hosts.relayed', payload: { host: 'nv6u-closet', event: { name: 'vm.stateChanged', payload: { bogus: 1 } } } });
    expect(heardLocal).toHaveBeenCalledTimes(1);
    expect(heardCloset).toHaveBeenCalledTimes(1);
    expect(heardCloset.mock.calls[0]?.[0]).toMatchObject({ name: 'g1' });
  });

  it('leaves the shared transport open when a host-bound client closes', () => {
    const transport = new FakeTransport();
    const close = vi.spyOn(transport, 'close');
    const local = new NovaClient(transport);
    local.withHost('nv6u-closet').close();
    expect(close).not.toHaveBeenCalled();
    local.close();
    expect(close).toHaveBeenCalledTimes(1);
  });
});
