import { describe, expect, it } from 'vitest';
import { NovaError } from '../../../src-shared/errors.js';
import { sampleVmDefinition } from '../../../src-shared/testing/sample-vm.js';
import { VmDeviceChangeSchema, type VmDeviceChangeIn } from '../../../src-shared/vm-devices.js';
import type { QmpClient } from './qmp-client.js';
import type { VmNetworkPort } from './vm-network.js';
import { VmNicUpdate } from './vm-nic-update.js';

const networks: VmNetworkPort = {
  checkNetwork: async (n) => {
    if (n !== 'lan' && n !== 'storage') throw new NovaError('not_found', `network "${n}" does not exist`);
  },
  attachTap: async () => Promise.reject(new Error('not here')),
  detachTap: async () => undefined,
  addressOf: async () => null,
};
const lan = { network: { mode: 'nova' as const, network: 'lan' }, mac: null };
const update = new VmNicUpdate(networks);
const apply = (def: ReturnType<typeof sampleVmDefinition>, change: VmDeviceChangeIn, qmp: QmpClient | null = null) =>
  update.apply(def, VmDeviceChangeSchema.parse(change) as never, qmp);

function fakeQmp(): QmpClient & { calls: unknown[] } {
  const calls: unknown[] = [];
  return { calls, execute: async (command: string, args: unknown) => void calls.push([command, args]) } as never;
}

describe('VmNicUpdate', () => {
  it('adds NICs at the end, each with its own network, MAC and model', async () => {
    let def = await apply(sampleVmDefinition({ nics: [lan] }), { op: 'nic.add', network: 'nova:storage', model: 'e1000e' });
    def = await apply(def, { op: 'nic.add', network: 'user', mac: '52:54:00:00:00:09', link: 'down' });
    expect(def.nics).toEqual([lan, { network: { mode: 'nova', network: 'storage' }, mac: null, model: 'e1000e' }, { network: { mode: 'user' }, mac: '52:54:00:00:00:09', link: 'down' }]);
  });

  it("gives a new NIC the VM's OS profile's model unless one is named", async () => {
    const win = sampleVmDefinition({ os: 'windows11' });
    expect((await apply(win, { op: 'nic.add', network: 'user' })).nics).toEqual([{ network: { mode: 'user' }, mac: null, model: 'e1000e' }]);
    expect((await apply(win, { op: 'nic.add', network: 'user', model: 'virtio' })).nics).toEqual([{ network: { mode: 'user' }, mac: null }]);
  });

  it('refuses a network that does not exist, a MAC another NIC has, and a ninth NIC', async () => {
    await expect(apply(sampleVmDefinition(), { op: 'nic.add', network: 'nova:nope' })).rejects.toMatchObject({ code: 'not_found' });
    const withMac = sampleVmDefinition({ nics: [{ ...lan, mac: '52:54:00:00:00:01' }] });
    await expect(apply(withMac, { op: 'nic.add', network: 'user', mac: '52:54:00:00:00:01' })).rejects.toMatchObject({ code: 'already_exists', message: expect.stringContaining('net0') });
    const full = sampleVmDefinition({ nics: Array.from({ length: 8 }, () => lan) });
    await expect(apply(full, { op: 'nic.add', network: 'user' })).rejects.toMatchObject({ message: expect.stringContaining('8 NICs') });
    expect(() => VmDeviceChangeSchema.parse({ op: 'nic.add', network: 'none' })).toThrow(/needs a network/);
  });

  it('removes by place or by MAC, and names the NICs there are when neither matches', async () => {
    const def = sampleVmDefinition({ nics: [lan, { network: { mode: 'user' }, mac: '52:54:00:00:00:02' }, { network: { mode: 'nova', network: 'storage' }, mac: null }] });
    expect((await apply(def, { op: 'nic.remove', index: 0 })).nics.map((n) => n.network.mode)).toEqual(['user', 'nova']);
    expect((await apply(def, { op: 'nic.remove', mac: '52:54:00:00:00:02' })).nics).toEqual([lan, def.nics[2]]);
    await expect(apply(def, { op: 'nic.remove', index: 5 })).rejects.toMatchObject({ code: 'not_found', message: expect.stringMatching(/no NIC net5; its NICs: net0 \(nova:lan\), net1 \(user, 52:54:00:00:00:02\), net2 \(nova:storage\)/) });
  });

  it('changes one NIC: network, MAC and model; none removes it; on a VM without NICs a network adds one', async () => {
    const def = sampleVmDefinition({ nics: [lan, lan] });
    const set = await apply(def, { op: 'nic.set', index: 1, network: 'nova:storage', mac: '52:54:00:00:00:03', model: 'e1000e' });
    expect(set.nics).toEqual([lan, { network: { mode: 'nova', network: 'storage' }, mac: '52:54:00:00:00:03', model: 'e1000e' }]);
    expect((await apply(set, { op: 'nic.set', of: '52:54:00:00:00:03', mac: null, model: 'virtio' })).nics[1]).toEqual({ network: { mode: 'nova', network: 'storage' }, mac: null });
    expect((await apply(def, { op: 'nic.set', index: 1, network: 'none' })).nics).toEqual([lan]);
    expect((await apply(sampleVmDefinition(), { op: 'nic.set', network: 'nova:lan' })).nics).toEqual([lan]);
  });

  it('sets the link of that NIC alone on the running QEMU, and keeps it for the next starts', async () => {
    const qmp = fakeQmp();
    const def = await apply(sampleVmDefinition({ nics: [lan, lan] }), { op: 'nic.set', index: 1, link: 'down' }, qmp);
    expect(qmp.calls).toEqual([['set_link', { name: 'net1-dev', up: false }]]);
    expect(def.nics[1]).toEqual({ ...lan, link: 'down' });
    const back = await apply(def, { op: 'nic.set', index: 1, link: 'up' });
    expect(back.nics[1]).toEqual(lan);
  });
});
