import { describe, expect, it } from 'vitest';
import { defaultDhcpRange, dhcpRangeProblem, parseDhcpRange } from './dhcp-range.js';
import { parseEgressRule } from './egress-rule.js';
import { formatForward, parseForward } from './forward.js';
import { parsePciAddress } from './pci-address.js';
import { formatPeer, parsePeer } from './peer.js';
import { parsePortWithProtocol } from './port.js';
import { formatPortMapping, parsePortMapping } from './port-mapping.js';
import { formatRestartPolicy, parseRestartPolicy } from './restart-policy.js';
import { parseSubnet } from './subnet.js';
import { message, value } from './test-helpers.js';
import { parseVmNetworkChoice } from './vm-network-choice.js';

describe('ports and forwards', () => {
  it('parses port mappings and prints them back', () => {
    expect(value(parsePortMapping('8080:80'))).toEqual({ hostPort: 8080, guestPort: 80, protocol: 'tcp' });
    expect(value(parsePortMapping('5353:53/UDP'))).toEqual({ hostPort: 5353, guestPort: 53, protocol: 'udp' });
    expect(formatPortMapping(value(parsePortMapping('5353:53/udp')))).toBe('5353:53/udp');
    for (const bad of ['80', '0:80', '70000:80', '80:80/sctp', 'a:b']) expect(parsePortMapping(bad).ok).toBe(false);
    expect(message(parsePortMapping('8080'))).toContain('"8080" is not a port mapping; use "host:guest"');
  });

  it('parses forwards, IPv6 in brackets', () => {
    expect(value(parseForward('2222:[fd00::10]:22'))).toEqual({ hostPort: 2222, guestAddress: 'fd00::10', guestPort: 22, protocol: 'tcp' });
    expect(formatForward(value(parseForward('2222:[FD00::10]:22/udp')))).toBe('2222:[fd00::10]:22/udp');
    expect(message(parseForward('2222:fd00::10:22'))).toContain('not a forward');
    expect(message(parseForward('2222:[10.0.0.1]:22'))).toContain('not a guest IP address');
    expect(message(parseForward('0:10.0.0.1:22'))).toContain('out of range');
  });

  it('reads a host port with its protocol', () => {
    expect(value(parsePortWithProtocol('5353/udp', 'host port'))).toEqual({ port: 5353, protocol: 'udp' });
    expect(value(parsePortWithProtocol('8080', 'host port'))).toEqual({ port: 8080, protocol: 'tcp' });
    expect(message(parsePortWithProtocol('99999', 'host port'))).toContain('out of range');
  });
});

describe('egress rules and peers', () => {
  it('parses the three egress forms', () => {
    expect(value(parseEgressRule('10.0.0.0/8'))).toEqual({ destination: '10.0.0.0/8', ports: null, protocol: null });
    expect(value(parseEgressRule('fd00::/8'))).toEqual({ destination: 'fd00::/8', ports: null, protocol: null });
    expect(value(parseEgressRule('[fd00::/8]:443/tcp'))).toEqual({ destination: 'fd00::/8', ports: { from: 443, to: 443 }, protocol: 'tcp' });
    expect(value(parseEgressRule('192.0.2.7:22'))).toEqual({ destination: '192.0.2.7/32', ports: { from: 22, to: 22 }, protocol: null });
    expect(value(parseEgressRule('53/udp'))).toEqual({ destination: null, ports: { from: 53, to: 53 }, protocol: 'udp' });
    expect(message(parseEgressRule('100-10'))).toContain('ends before it starts');
    expect(message(parseEgressRule('10.0.0.1/8:443'))).toContain('did you mean "10.0.0.0/8"?');
    expect(message(parseEgressRule('example.com:443'))).toContain('not an address or CIDR');
    expect(message(parseEgressRule('10.0.0.0/8:443/icmp'))).toContain('not a protocol');
  });

  it('parses peers and prints them back', () => {
    const key = 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=';
    expect(value(parsePeer('fd00::2'))).toEqual({ host: 'fd00::2', port: null });
    expect(value(parsePeer('Peer.LAN'))).toEqual({ host: 'peer.lan', port: null });
    expect(value(parsePeer(`${key}@[2001:db8::3]:51900`))).toEqual({ host: '2001:db8::3', port: 51900, publicKey: key });
    expect(formatPeer(value(parsePeer(`${key}@[2001:db8::3]:51900`)))).toBe(`${key}@[2001:db8::3]:51900`);
    expect(message(parsePeer('10.0.0.300'))).toContain('not a peer address');
    expect(message(parsePeer('peer:99999'))).toContain('out of range');
    expect(message(parsePeer('short@192.0.2.2'))).toContain('"short" is not a WireGuard public key');
  });
});

describe('subnets and DHCP ranges', () => {
  it('keeps the host address and the network block', () => {
    expect(value(parseSubnet('192.168.220.1/24')).subnet).toEqual({ cidr: '192.168.220.0/24', gateway: '192.168.220.1', prefix: 24, family: 4 });
    expect(value(parseSubnet('fd42::1/64')).subnet).toEqual({ cidr: 'fd42::/64', gateway: 'fd42::1', prefix: 64, family: 6 });
    expect(message(parseSubnet('10.0.0.300/24'))).toBe('subnet "10.0.0.300/24" is not a CIDR; write the host\'s address on the network with a prefix length (e.g. "192.168.220.1/24")');
    expect(message(parseSubnet('10.0.0.255/24'))).toBe('subnet "10.0.0.255/24" is the broadcast address; write the host\'s address on the network with a prefix length (e.g. "10.0.0.1/24")');
    expect(message(parseSubnet('10.0.0.255/24'))).toContain('broadcast');
    expect(message(parseSubnet('10.0.0.1/31'))).toContain('no room for guests');
    expect(message(parseSubnet('10.0.0.1/4'))).toContain('too large');
  });

  it('reads a network address as the block with the host on its first address', () => {
    const parsed = value(parseSubnet('10.250.2.0/24'));
    expect(parsed.subnet).toEqual({ cidr: '10.250.2.0/24', gateway: '10.250.2.1', prefix: 24, family: 4 });
    expect(parsed.block.address.value).toBe(parsed.block.first + 1n);
    expect(value(parseSubnet('fd42::/64')).subnet.gateway).toBe('fd42::1');
  });

  it('parses ranges and places them in a subnet', () => {
    const subnet = value(parseSubnet('10.0.0.1/24'));
    expect(value(parseDhcpRange('10.0.0.100 - 10.0.0.199'))).toEqual({ start: '10.0.0.100', end: '10.0.0.199' });
    expect(message(parseDhcpRange('10.0.0.10'))).toContain('is not a range');
    expect(message(parseDhcpRange('10.0.0.9-10.0.0.5'))).toContain('ends before it starts');
    expect(message(parseDhcpRange('10.0.0.9-fd00::1'))).toContain('mixes IPv4 and IPv6');
    expect(dhcpRangeProblem({ start: '10.0.0.100', end: '10.0.0.199' }, subnet)).toBeUndefined();
    expect(dhcpRangeProblem({ start: '10.0.1.5', end: '10.0.1.9' }, subnet)).toContain('outside the subnet 10.0.0.0/24');
    expect(dhcpRangeProblem({ start: '10.0.0.1', end: '10.0.0.9' }, subnet)).toContain("includes the host's own address 10.0.0.1");
    expect(defaultDhcpRange(subnet)).toEqual({ start: '10.0.0.2', end: '10.0.0.254' });
    expect(defaultDhcpRange(value(parseSubnet('10.0.0.254/24')))).toEqual({ start: '10.0.0.1', end: '10.0.0.253' });
  });
});

describe('restart policies, VM network choices and PCI addresses', () => {
  it('parses restart policies as Docker spells them', () => {
    expect(value(parseRestartPolicy('on-failure:3'))).toEqual({ mode: 'on-failure', maxRetries: 3 });
    expect(formatRestartPolicy(value(parseRestartPolicy('on-failure')))).toBe('on-failure');
    expect(message(parseRestartPolicy('on-failure:0'))).toContain('retry count must be a whole number from 1');
    expect(message(parseRestartPolicy('unless-stopped'))).toContain('use "no", "always", "on-failure" or "on-failure:N"');
  });

  it('parses none, user and nova:NAME', () => {
    expect(value(parseVmNetworkChoice('none'))).toBe('none');
    expect(value(parseVmNetworkChoice('nova:lab'))).toEqual({ nova: 'lab' });
    expect(message(parseVmNetworkChoice('lab'))).toContain('use none, user or nova:NAME');
    expect(message(parseVmNetworkChoice('nova:Lab'))).toContain('write it in lowercase');
  });

  it('normalizes PCI addresses to sysfs form', () => {
    expect(value(parsePciAddress('0000:01:00.0'))).toBe('0000:01:00.0');
    expect(value(parsePciAddress('0A:1F.7'))).toBe('0000:0a:1f.7');
    expect(message(parsePciAddress('0000:01:20.0'))).toContain('not a PCI address');
    expect(message(parsePciAddress('0000:01:00.8'))).toContain('not a PCI address');
  });
});
