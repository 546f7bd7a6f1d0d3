// An overlay's MTU: decided from its underlay when planned, then carried by the bridge,
// the VXLAN device, every port and (through DHCP) every guest; other networks keep the default.
import { describe, expect, it } from 'vitest';
import { NetworkSpecSchema, type NetworkSpecInput } from '../../../src-shared/network.js';
import { planAttachmentLinks, planNetworkLinks } from './bridge-manager.js';
import { dnsmasqPaths, renderDnsmasqConf } from './dnsmasq-config.js';
import { networkMtu, type AttachmentRecord, type NetworkConfig } from './network-config.js';
import { planNetwork } from './network-plan.js';
import type { HostLink } from './host-links.js';

const plan = (input: NetworkSpecInput, underlayMtu?: number): NetworkConfig =>
  planNetwork(NetworkSpecSchema.parse(input), { existing: [], ifPrefix: 'nv', overlayDrivers: ['vxlan'], underlayMtu });
const empty = { links: new Map<string, HostLink>(), netns: new Set(['g']) };
const guest: AttachmentRecord = { resource: 'web', kind: 'veth', hostIfname: 'nvw', mac: '02:00:00:00:00:01', address: null, netns: 'g', guestIfname: 'eth0' };
const vm: AttachmentRecord = { resource: 'vm', kind: 'tap', hostIfname: 'nvt', mac: '02:00:00:00:00:02', address: null, netns: null, guestIfname: null };

describe('overlay MTU', () => {
  it("is the underlay's less VXLAN's 50 bytes (70 over IPv6), at least 1280", () => {
    expect(plan({ name: 'o', type: 'overlay', vni: 1, peers: [{ host: '192.0.2.1' }] }).overlay?.mtu).toBe(1450);
    expect(plan({ name: 'o', type: 'overlay', vni: 1, uplinks: ['eth1'] }, 9000).overlay?.mtu).toBe(8950);
    expect(plan({ name: 'o', type: 'overlay', vni: 1, peers: [{ host: '2001:db8::1' }] }).overlay?.mtu).toBe(1430);
    expect(() => plan({ name: 'o', type: 'overlay', vni: 1, uplinks: ['eth1'] }, 1300)).toThrow(/underlay's MTU 1300 leaves 1250 bytes.*at least 1280/);
    expect(networkMtu(plan({ name: 'n', subnet: '10.0.0.1/24' }))).toBeNull();
  });

  it('is kept by records written before it was (the 1500-byte default less 50)', () => {
    const c = plan({ name: 'o', type: 'overlay', vni: 1 });
    delete c.overlay?.mtu;
    expect(networkMtu(c)).toBe(1450);
  });

  it('is set on the bridge, the VXLAN device, veths (both ends) and taps', () => {
    const c = plan({ name: 'o', type: 'overlay', vni: 1, subnet: '10.1.0.1/24' });
    const p = planNetworkLinks(c, [guest, vm], empty);
    expect(p.host).toContain(`link add name o address ${c.bridgeMac} mtu 1450 type bridge stp_state 0 forward_delay 0`);
    expect(p.host).toContain(`link add name ${c.overlay?.device ?? ''} mtu 1450 type vxlan id 1 dstport 4789`);
    expect(p.host).toContain('link add name nvw mtu 1450 type veth peer name eth0 mtu 1450 address 02:00:00:00:00:01 netns g');
    expect(p.host).toContain('link set dev nvt mtu 1450 master o up');
  });

  it('is restored on an existing bridge or port that lost it', () => {
    const c = plan({ name: 'o', type: 'overlay', vni: 1 });
    const link = (ifname: string, kind: string, master: string | null): HostLink => ({ ifname, kind, master, up: true, mtu: 1500, mac: null, addresses: [] });
    const links = new Map([['o', link('o', 'bridge', null)], ['nvw', link('nvw', 'veth', 'o')]]);
    expect(planNetworkLinks(c, [], { links, netns: new Set() }).host).toContain('link set dev o mtu 1450');
    expect(planAttachmentLinks(c, guest, { links, netns: new Set() }).host).toEqual(['link set dev nvw mtu 1450 master o up']);
  });

  it('is told to DHCP guests; a plain network adds nothing', () => {
    const paths = dnsmasqPaths('/run/x');
    expect(renderDnsmasqConf(plan({ name: 'o', type: 'overlay', vni: 1, subnet: '10.1.0.1/24', dhcp: true }), paths, { upstreamDns: false })).toContain('dhcp-option=option:mtu,1450\n');
    expect(renderDnsmasqConf(plan({ name: 'n', subnet: '10.0.0.1/24' }), paths, { upstreamDns: false })).not.toContain('option:mtu');
  });
});
