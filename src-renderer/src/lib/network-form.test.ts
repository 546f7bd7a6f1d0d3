import { describe, expect, it } from 'vitest';
import { NetworkSpecSchema } from '../../../src-shared/network.js';
import { formatPeer } from '../../../src-shared/vocabulary/index.js';
import { checkNetworkForm, defaultDhcpRange, emptyNetworkForm, fieldsFor, parsePeers, type NetworkFormValues } from './network-form.js';

const nat = (over: Partial<NetworkFormValues> = {}): NetworkFormValues => ({ ...emptyNetworkForm('nat'), name: 'hyperv0', subnet: '192.168.220.1/24', ...over });

describe('network form: NAT', () => {
  it('makes the product example’s spec, which the contract accepts', () => {
    const check = checkNetworkForm(nat({ uplink: 'enp6s0', dhcpStart: '192.168.220.50', dhcpEnd: '192.168.220.150' }));
    expect(check.errors).toEqual({});
    expect(check.spec).toEqual({
      name: 'hyperv0',
      type: 'bridge',
      profile: 'nat',
      subnet: '192.168.220.1/24',
      dhcp: true,
      dhcpRange: { start: '192.168.220.50', end: '192.168.220.150' },
      uplinks: ['enp6s0'],
    });
    expect(NetworkSpecSchema.safeParse(check.spec).success).toBe(true);
  });

  it('leaves the DHCP range to the helper when both ends are empty, and the uplink out when empty', () => {
    expect(checkNetworkForm(nat()).spec).toEqual({ name: 'hyperv0', type: 'bridge', profile: 'nat', subnet: '192.168.220.1/24', dhcp: true });
  });

  it('needs a name and a subnet', () => {
    const { errors, spec } = checkNetworkForm(nat({ name: '', subnet: '' }));
    expect(spec).toBeNull();
    expect(errors.name).toMatch(/needs a name/);
    expect(errors.subnet).toMatch(/NAT network needs a subnet/);
  });

  it('says why a name is refused, with the contract’s own messages', () => {
    expect(checkNetworkForm(nat({ name: 'Lab' })).errors.name).toMatch(/lowercase/);
    expect(checkNetworkForm(nat({ name: 'a-very-long-name0' })).errors.name).toMatch(/at most 15/);
  });

  it.each([
    ['10.0.0.1', /prefix length/],
    ['10.0.0.300/24', /prefix length/],
    ['10.0.0.255/24', /broadcast/],
    ['10.0.0.1/31', /no room/],
    ['10.0.0.1/7', /too large/],
  ])('refuses the subnet %s', (subnet, message) => {
    expect(checkNetworkForm(nat({ subnet })).errors.subnet).toMatch(message);
  });

  it('checks the DHCP range against the subnet', () => {
    const range = (dhcpStart: string, dhcpEnd: string) => checkNetworkForm(nat({ dhcpStart, dhcpEnd })).errors;
    expect(range('192.168.221.50', '192.168.220.150').dhcpStart).toMatch(/outside the subnet 192\.168\.220\.0\/24/);
    expect(range('192.168.220.50', '192.168.220.255').dhcpEnd).toMatch(/outside the subnet/);
    expect(range('192.168.220.150', '192.168.220.50').dhcpEnd).toMatch(/ends before it starts/);
    expect(range('192.168.220.1', '192.168.220.50').dhcpStart).toMatch(/host's own address 192\.168\.220\.1/);
    expect(range('192.168.220.50', '').dhcpEnd).toMatch(/last address/);
    expect(range('nope', '192.168.220.60').dhcpStart).toMatch(/"nope" is not an IP address/);
    // A wrong start shows before the end is typed.
    expect(range('192.168.221.5', '').dhcpStart).toMatch(/outside the subnet/);
  });

  it('drops the range and turns DHCP off when unticked', () => {
    const check = checkNetworkForm(nat({ dhcp: false, dhcpStart: 'garbage' }));
    expect(check.errors).toEqual({});
    expect(check.spec).toMatchObject({ dhcp: false });
    expect(check.spec).not.toHaveProperty('dhcpRange');
  });

  it('refuses an uplink that is not an interface name, or the network’s own name', () => {
    expect(checkNetworkForm(nat({ uplink: 'eth/0' })).errors.uplink).toMatch(/interface name/);
    expect(checkNetworkForm(nat({ uplink: 'hyperv0' })).errors.uplink).toMatch(/own name/);
  });
});

describe('network form: other profiles', () => {
  it('external needs an uplink and sends no subnet or DHCP', () => {
    const values = { ...emptyNetworkForm('external'), name: 'lan0', subnet: '10.1.0.1/24', dhcpStart: 'x' };
    expect(checkNetworkForm(values).errors).toEqual({ uplink: expect.stringMatching(/name it/) });
    expect(checkNetworkForm({ ...values, uplink: 'enp6s0' }).spec).toEqual({ name: 'lan0', type: 'bridge', profile: 'external', uplinks: ['enp6s0'] });
    expect([...fieldsFor('external')]).toEqual(['name', 'uplink']);
  });

  it('internal takes an optional subnet and optional DHCP, and no uplink', () => {
    const values = { ...emptyNetworkForm('internal'), name: 'iso0', uplink: 'eth1' };
    expect(checkNetworkForm(values).spec).toEqual({ name: 'iso0', type: 'bridge', profile: 'internal', dhcp: false });
    const withDhcp = checkNetworkForm({ ...values, subnet: '10.9.0.1/24', dhcp: true, dhcpStart: '10.9.0.10', dhcpEnd: '10.9.0.20' });
    expect(withDhcp.spec).toEqual({ name: 'iso0', type: 'bridge', profile: 'internal', subnet: '10.9.0.1/24', dhcp: true, dhcpRange: { start: '10.9.0.10', end: '10.9.0.20' } });
    // DHCP without a subnet has nothing to hand out: not sent.
    expect(checkNetworkForm({ ...values, dhcp: true }).spec).toMatchObject({ dhcp: false });
  });

  it('overlay needs a VNI in range and parses its peers', () => {
    const values = { ...emptyNetworkForm('overlay'), name: 'ov0', peers: '192.0.2.10, 192.0.2.11:4790 peer.example' };
    expect(checkNetworkForm(values).errors).toEqual({ vni: expect.stringMatching(/VXLAN network identifier/) });
    expect(checkNetworkForm({ ...values, vni: '16777216' }).errors.vni).toMatch(/1 to 16777215/);
    expect(checkNetworkForm({ ...values, vni: 'x' }).errors.vni).toMatch(/1 to 16777215/);
    expect(checkNetworkForm({ ...values, vni: '42', driver: '' }).errors.driver).toBeDefined();
    expect(checkNetworkForm({ ...values, vni: '42', uplink: 'veth-u' }).spec).toEqual({
      name: 'ov0',
      type: 'overlay',
      profile: 'internal',
      dhcp: false,
      driver: 'vxlan',
      vni: 42,
      uplinks: ['veth-u'],
      peers: [
        { host: '192.0.2.10', port: null },
        { host: '192.0.2.11', port: 4790 },
        { host: 'peer.example', port: null },
      ],
    });
    expect(checkNetworkForm({ ...values, vni: '42', peers: '192.0.2.1:99999' }).errors.peers).toMatch(/peer port 99999 is out of range; ports are 1-65535/);
  });

  it('parses peers, IPv6 without a port', () => {
    expect(parsePeers('')).toEqual([]);
    expect(parsePeers('fd00::2')).toEqual([{ host: 'fd00::2', port: null }]);
    expect(parsePeers(':80')).toMatch(/":80" is not a peer address/);
  });
});

const K1 = 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=';
const K2 = 'TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0=';

describe('network form: a wireguard overlay', () => {
  const wg = (over: Partial<NetworkFormValues> = {}): NetworkFormValues => ({ ...emptyNetworkForm('overlay'), name: 'wg0', vni: '4343', driver: 'wireguard', ...over });

  it('shows the listen port only for wireguard', () => {
    expect(fieldsFor('overlay', 'wireguard').has('listenPort')).toBe(true);
    expect(fieldsFor('overlay', 'vxlan').has('listenPort')).toBe(false);
    expect(fieldsFor('overlay').has('listenPort')).toBe(false);
  });

  it('sends keyed peers and the listen port, which the contract accepts', () => {
    const check = checkNetworkForm(wg({ peers: `${K1}@192.0.2.2\n${K2}@[2001:db8::3]:51900`, listenPort: '51821' }));
    expect(check.errors).toEqual({});
    expect(check.spec).toEqual({
      name: 'wg0', type: 'overlay', profile: 'internal', dhcp: false, driver: 'wireguard', vni: 4343, listenPort: 51821,
      peers: [{ host: '192.0.2.2', port: null, publicKey: K1 }, { host: '2001:db8::3', port: 51900, publicKey: K2 }],
    });
    expect(NetworkSpecSchema.safeParse(check.spec).success).toBe(true);
    // No peers yet is fine: the first host learns the others' keys later.
    expect(checkNetworkForm(wg()).spec).toMatchObject({ driver: 'wireguard', peers: [] });
    expect(checkNetworkForm(wg()).spec).not.toHaveProperty('listenPort');
  });

  it.each([
    ['192.0.2.2', /write the peer’s public key first, KEY@192\.0\.2\.2/],
    ['abc@192.0.2.2', /"abc" is not a WireGuard public key/],
    [`${K1.slice(0, -1)}x@192.0.2.2`, /is not a WireGuard public key/],
    [`${K1}@`, /"" is not a peer address/],
    [`${K1}@192.0.2.2:0`, /peer port 0 is out of range/],
    [`${K1}@bad_host!`, /"bad_host!" is not a peer address/],
    [`${K1}@[192.0.2.2]:51820`, /"192\.0\.2\.2" is not an IPv6 address/],
    [`${K1}@192.0.2.2 ${K1}@192.0.2.3`, /192\.0\.2\.2 and 192\.0\.2\.3 have the same public key/],
  ])('refuses the peers %s as you type', (peers, message) => {
    expect(checkNetworkForm(wg({ peers })).errors.peers).toMatch(message);
  });

  it('refuses a key on a vxlan peer, and a listen port that is not a port', () => {
    expect(checkNetworkForm(wg({ driver: 'vxlan', peers: `${K1}@192.0.2.2` })).errors.peers).toMatch(/for driver WireGuard only/);
    expect(checkNetworkForm(wg({ listenPort: '70000' })).errors.listenPort).toBe('a UDP port from 1 to 65535, or empty for 51820');
    expect(checkNetworkForm(wg({ listenPort: 'x' })).errors.listenPort).toMatch(/UDP port/);
    // A listen port typed before switching to vxlan is not sent.
    expect(checkNetworkForm(wg({ driver: 'vxlan', listenPort: '51821' })).spec).not.toHaveProperty('listenPort');
  });

  it('refuses this host’s own key and writes peers back as it reads them', () => {
    expect(parsePeers(`${K1}@192.0.2.2`, 'wireguard', K1)).toMatch(/this host’s own public key/);
    const peers = [{ host: '192.0.2.2', port: null, publicKey: K1 }, { host: '2001:db8::3', port: 51900, publicKey: K2 }, { host: 'fd00::9', port: null, publicKey: K2.replace('T', 'S') }];
    expect(peers.map(formatPeer)).toEqual([`${K1}@192.0.2.2`, `${K2}@[2001:db8::3]:51900`, `${K2.replace('T', 'S')}@fd00::9`]);
    expect(parsePeers(peers.map(formatPeer).join('\n'), 'wireguard')).toEqual(peers);
  });
});

describe('default DHCP range', () => {
  it('is the larger run of addresses beside the host’s, as the helper picks it', () => {
    expect(defaultDhcpRange('192.168.220.1/24')).toEqual({ start: '192.168.220.2', end: '192.168.220.254' });
    expect(defaultDhcpRange('10.0.8.129/25')).toEqual({ start: '10.0.8.130', end: '10.0.8.254' });
    expect(defaultDhcpRange('10.0.0.200/24')).toEqual({ start: '10.0.0.1', end: '10.0.0.199' });
    expect(defaultDhcpRange('10.0.0.0/24')).toEqual({ start: '10.0.0.2', end: '10.0.0.254' });
    expect(defaultDhcpRange('10.0.0.255/24')).toBeNull();
  });
});
