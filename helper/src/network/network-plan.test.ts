import { describe, expect, it } from 'vitest';
import { NovaError } from '../../../src-shared/errors.js';
import { NetworkSpecSchema, type NetworkSpecInput } from '../../../src-shared/network.js';
import type { NetworkConfig } from './network-config.js';
import { checkStaticAddress, defaultDhcpRange, planNetwork } from './network-plan.js';
import { parseCidr } from '../../../src-shared/ip-cidr.js';

const plan = (input: NetworkSpecInput, existing: NetworkConfig[] = [], drivers = ['vxlan']) =>
  planNetwork(NetworkSpecSchema.parse(input), { existing, ifPrefix: 'nv', overlayDrivers: drivers });

function fails(fn: () => unknown, code: string, message: RegExp): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(NovaError);
    expect((err as NovaError).code).toBe(code);
    expect((err as NovaError).message).toMatch(message);
    return;
  }
  throw new Error('expected an error');
}

describe('planNetwork', () => {
  it('resolves the product example', () => {
    const c = plan({ name: 'hyperv0', type: 'bridge', profile: 'nat', uplinks: ['enp6s0'], subnet: '192.168.220.1/24', dhcpRange: { start: '192.168.220.50', end: '192.168.220.150' } });
    expect(c).toMatchObject({
      bridge: 'hyperv0',
      profile: 'nat',
      subnet: { cidr: '192.168.220.0/24', gateway: '192.168.220.1', prefix: 24 },
      dhcp: { start: '192.168.220.50', end: '192.168.220.150' },
      dns: true,
      domain: 'hyperv0.nova',
      uplinks: ['enp6s0'],
    });
    expect(c.bridgeMac).toMatch(/^[0-9a-f][26ae](:[0-9a-f]{2}){5}$/);
  });
  it('derives the profile and a DHCP range', () => {
    expect(plan({ name: 'a', subnet: '10.0.0.1/24' }).profile).toBe('nat');
    expect(plan({ name: 'a', subnet: '10.0.0.1/24' }).dhcp).toEqual({ start: '10.0.0.2', end: '10.0.0.254' });
    expect(plan({ name: 'b', uplinks: ['eno1'] }).profile).toBe('external');
    expect(plan({ name: 'c', type: 'overlay', vni: 5 }).profile).toBe('internal');
    expect(plan({ name: 'd', profile: 'internal', subnet: '10.1.0.1/24' }).dhcp).toBeNull();
    expect(defaultDhcpRange(parseCidr('10.0.0.254/24')!)).toEqual({ start: '10.0.0.1', end: '10.0.0.253' });
  });
  it.each<[string, NetworkSpecInput, string, RegExp]>([
    ['a range outside the subnet', { name: 'a', subnet: '10.0.0.1/24', dhcpRange: { start: '10.0.1.5', end: '10.0.1.9' } }, 'invalid_argument', /outside the subnet 10\.0\.0\.0\/24/],
    ['a range over the host', { name: 'a', subnet: '10.0.0.1/24', dhcpRange: { start: '10.0.0.1', end: '10.0.0.9' } }, 'invalid_argument', /includes the host's own address/],
    ['NAT without a subnet', { name: 'a', profile: 'nat' }, 'invalid_argument', /needs a subnet/],
    ['external without uplink', { name: 'a', profile: 'external' }, 'invalid_argument', /name the uplink/],
    ['internal with uplink', { name: 'a', profile: 'internal', uplinks: ['eno1'] }, 'invalid_argument', /takes no uplink/],
    ['a quic overlay', { name: 'a', type: 'overlay', driver: 'quic', vni: 7 }, 'unsupported', /"quic" is not available on this host; available drivers: vxlan/],
    ['a wireguard overlay on a host without it', { name: 'a', type: 'overlay', driver: 'wireguard', vni: 7 }, 'unsupported', /"wireguard" is not available on this host; available drivers: vxlan$/],
    ['an overlay without vni', { name: 'a', type: 'overlay' }, 'invalid_argument', /needs a VXLAN network identifier/],
    ['a forward outside', { name: 'a', subnet: '10.0.0.1/24', forwards: [{ hostPort: 80, guestAddress: '10.9.9.9', guestPort: 80 }] }, 'invalid_argument', /not a guest address in 10\.0\.0\.0\/24/],
    ['a forward twice', { name: 'a', subnet: '10.0.0.1/24', forwards: [{ hostPort: 80, guestAddress: '10.0.0.5', guestPort: 80 }, { hostPort: 80, guestAddress: '10.0.0.6', guestPort: 80 }] }, 'already_exists', /forwarded twice/],
    ['egress on external', { name: 'a', uplinks: ['eno1'], egressAllow: [] }, 'invalid_argument', /cannot filter its egress/],
  ])('refuses %s', (_what, input, code, message) => {
    fails(() => plan(input), code, message);
  });
  // Syntax is the contract's to refuse (src-shared/vocabulary), before a plan is made.
  it.each<[string, NetworkSpecInput, RegExp]>([
    ['an invalid CIDR', { name: 'a', subnet: '10.0.0.300/24' }, /is not a CIDR/],
    ['a broadcast address', { name: 'a', subnet: '10.0.0.255/24' }, /broadcast address.*10\.0\.0\.1\/24/],
    ['a backwards range', { name: 'a', subnet: '10.0.0.1/24', dhcpRange: { start: '10.0.0.9', end: '10.0.0.5' } }, /ends before it starts/],
    ['egress with host bits', { name: 'a', subnet: '10.0.0.1/24', egressAllow: [{ destination: '10.1.0.1/16', ports: null, protocol: null }] }, /did you mean "10\.1\.0\.0\/16"/],
  ])('leaves %s to the contract', (_what, input, message) => {
    expect(NetworkSpecSchema.safeParse(input).error?.issues[0]?.message).toMatch(message);
  });
  it('refuses a name over the kernel limit even when the schema was bypassed', () => {
    const spec = { ...NetworkSpecSchema.parse({ name: 'a', subnet: '10.0.0.1/24' }), name: 'abcdefghijklmnop' };
    fails(() => planNetwork(spec, { existing: [], ifPrefix: 'nv', overlayDrivers: [] }), 'invalid_argument', /16 characters long.*15/);
  });
  it('refuses overlapping subnets, a taken name, uplink and VNI', () => {
    const existing = [plan({ name: 'a', subnet: '10.0.0.1/16' }), plan({ name: 'lan', uplinks: ['eno1'] }), plan({ name: 'o', type: 'overlay', vni: 9 })];
    fails(() => plan({ name: 'b', subnet: '10.0.5.1/24' }, existing), 'invalid_argument', /overlaps 10\.0\.0\.0\/16 of network "a"/);
    fails(() => plan({ name: 'a', subnet: '10.9.0.1/24' }, existing), 'already_exists', /already exists/);
    fails(() => plan({ name: 'c', uplinks: ['eno1'] }, existing), 'already_exists', /uplink "eno1" is already used by network "lan"/);
    fails(() => plan({ name: 'n', profile: 'nat', subnet: '10.8.0.1/24', uplinks: ['eno1'] }, existing), 'already_exists', /already used by network "lan"/);
    fails(() => plan({ name: 'p', type: 'overlay', vni: 9 }, existing), 'already_exists', /VNI 9/);
    // Two NAT networks may share a way out.
    const nat = plan({ name: 'n1', profile: 'nat', subnet: '10.7.0.1/24', uplinks: ['wlan0'] }, existing);
    expect(plan({ name: 'n2', profile: 'nat', subnet: '10.6.0.1/24', uplinks: ['wlan0'] }, [...existing, nat]).uplinks).toEqual(['wlan0']);
  });
  it('checks static attachment addresses', () => {
    const c = plan({ name: 'a', subnet: '10.0.0.1/24' });
    expect(checkStaticAddress('10.0.0.7', c)).toBe('10.0.0.7/24');
    expect(() => checkStaticAddress('10.0.0.1/24', c)).toThrow(/not a guest address/);
    expect(() => checkStaticAddress('10.0.1.7/24', c)).toThrow(/not a guest address/);
  });
});
