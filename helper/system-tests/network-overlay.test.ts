// An overlay across two test hosts joined by an underlay veth: VXLAN with static peers,
// a guest on each host, pinging across. A driver the host cannot provide is refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NetworkManager } from '../src/network/network-manager.js';
import { NetnsLab } from './network-harness.js';

let lab: NetnsLab;
let m1: NetworkManager;
let m2: NetworkManager;
let h1 = '';
let h2 = '';
let g1 = '';
let g2 = '';

beforeAll(async () => {
  lab = await NetnsLab.create('o');
  h1 = await lab.netns('h1');
  h2 = await lab.netns('h2');
  g1 = await lab.netns('g1');
  g2 = await lab.netns('g2');
  await lab.veth({ ns: h1, ifname: lab.name('u1'), address: '10.250.0.1/24' }, { ns: h2, ifname: lab.name('u2'), address: '10.250.0.2/24' });
  // Hosts that offer only vxlan (wireguard has its own test: network-overlay-wireguard.test.ts).
  const vxlanOnly = { overlayDrivers: () => Promise.resolve(['vxlan']) };
  m1 = lab.manager(h1, 'm1', vxlanOnly);
  m2 = lab.manager(h2, 'm2', vxlanOnly);
});

afterAll(async () => {
  await lab?.cleanup();
});

describe('an overlay network', () => {
  const name = () => lab.name('ov');

  it('joins guests on two hosts over VXLAN', async () => {
    const a = await m1.create({ name: name(), type: 'overlay', vni: 4242, uplinks: [lab.name('u1')], peers: [{ host: '10.250.0.2' }] });
    await m2.create({ name: name(), type: 'overlay', vni: 4242, uplinks: [lab.name('u2')], peers: [{ host: '10.250.0.1' }] });
    expect(a).toMatchObject({ type: 'overlay', profile: 'internal', driver: 'vxlan', vni: 4242, status: { state: 'active' } });
    await m1.attach({ network: name(), resource: 'left', kind: 'veth', netns: g1, address: '10.99.0.1/24' });
    await m2.attach({ network: name(), resource: 'right', kind: 'veth', netns: g2, address: '10.99.0.2/24' });
    expect(await lab.pingWithin(g1, '10.99.0.2')).toBe(true);
    expect(await lab.pingWithin(g2, '10.99.0.1')).toBe(true);
  });

  it('refuses a driver this host cannot provide, naming the ones it can', async () => {
    await expect(m1.create({ name: lab.name('q'), type: 'overlay', driver: 'quic', vni: 7 })).rejects.toMatchObject({
      code: 'unsupported',
      message: 'overlay driver "quic" is not available on this host; available drivers: vxlan',
    });
    await expect(m1.create({ name: lab.name('w'), type: 'overlay', driver: 'wireguard', vni: 8 })).rejects.toMatchObject({ code: 'unsupported' });
    expect((await m1.list()).map((n) => n.name)).toEqual([name()]);
  });

  it('deletes cleanly on both hosts', async () => {
    await m1.delete(name());
    await m2.delete(name());
    for (const [ns, underlay] of [[h1, lab.name('u1')], [h2, lab.name('u2')]] as const) {
      const links = JSON.parse((await lab.exec(ns, ['ip', '-json', 'link', 'show'])).stdout) as Array<{ ifname: string }>;
      expect(links.map((l) => l.ifname).sort()).toEqual(['lo', underlay].sort());
      expect((await lab.exec(ns, ['nft', 'list', 'tables'])).stdout.trim()).toBe('');
    }
  });
});
