// An external network: the bridge enslaves an uplink (a veth to a "LAN" namespace that
// runs its own DHCP server), so a guest gets its address from the LAN, not from Nova.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NetworkManager } from '../src/network/network-manager.js';
import { NetnsLab } from './network-harness.js';

let lab: NetnsLab;
let mgr: NetworkManager;
let host = '';
let lan = '';
let guest = '';
let uplink = '';

beforeAll(async () => {
  lab = await NetnsLab.create('e');
  host = await lab.netns('h');
  lan = await lab.netns('l');
  guest = await lab.netns('g');
  uplink = lab.name('up');
  await lab.veth({ ns: host, ifname: uplink }, { ns: lan, ifname: lab.name('l0'), address: '172.30.0.1/24' });
  // The LAN's own router/DHCP server: a dnsmasq of the test's, in the foreground, killed in cleanup.
  lab.daemon(lan, [
    'dnsmasq', '--keep-in-foreground', '--conf-file=/dev/null', '--port=0', '--no-ping',
    `--interface=${lab.name('l0')}`, '--bind-interfaces', '--dhcp-range=172.30.0.100,172.30.0.150,1h',
    `--dhcp-leasefile=${join(lab.dir, 'lan.leases')}`, `--pid-file=${join(lab.dir, 'lan.pid')}`,
  ]);
  mgr = lab.manager(host, 'm');
  await mgr.start();
});

afterAll(async () => {
  await lab?.cleanup();
});

describe('an external network', () => {
  const name = () => lab.name('x');

  it('bridges the uplink and the guest gets its address from the LAN', async () => {
    const net = await mgr.create({ name: name(), profile: 'external', uplinks: [uplink] });
    expect(net).toMatchObject({ profile: 'external', subnet: null, dhcpRange: null, dns: false, status: { state: 'active' } });
    const link = JSON.parse((await lab.exec(host, ['ip', '-json', 'link', 'show', uplink])).stdout) as Array<{ master?: string }>;
    expect(link[0]?.master).toBe(name());
    await mgr.attach({ network: name(), resource: 'desk', kind: 'veth', netns: guest });
    const address = await lab.dhcp(guest);
    const last = Number(address.split('.')[3]);
    expect(address.startsWith('172.30.0.')).toBe(true);
    expect(last >= 100 && last <= 150).toBe(true);
    expect(await lab.pingWithin(guest, '172.30.0.1')).toBe(true);
  });

  it('reports a missing uplink as degraded, and releases the uplink on delete', async () => {
    await lab.exec(host, ['ip', 'link', 'set', uplink, 'nomaster']);
    const degraded = await mgr.get(name());
    expect(degraded.status).toEqual({ state: 'degraded', reasons: [`uplink ${uplink} is not a port of ${name()}`] });
    await mgr.start();
    expect((await mgr.get(name())).status.state).toBe('active');
    await mgr.delete(name());
    const link = JSON.parse((await lab.exec(host, ['ip', '-json', 'link', 'show', uplink])).stdout) as Array<{ master?: string }>;
    expect(link[0]?.master).toBeUndefined();
    expect((await lab.exec(host, ['ip', 'link', 'show', name()])).exitCode).not.toBe(0);
  });
});
