import { describe, expect, it } from 'vitest';
import {
  nameProblem,
  parseEgressRule,
  parseForward,
  parseImageReference,
  parsePciAddress,
  parsePeer,
  parseSize,
  parseSubnet,
  parseVolume,
  type Parsed,
} from './novafile-specs.js';

function value<T>(result: Parsed<T>): T {
  if (!result.ok) throw new Error(`expected success, got: ${result.message}`);
  return result.value;
}

function message<T>(result: Parsed<T>): string {
  if (result.ok) throw new Error(`expected a failure, got ${JSON.stringify(result.value)}`);
  return result.message;
}

describe('sizes', () => {
  it('accepts binary units and integer MiB', () => {
    expect(value(parseSize('16Gi'))).toBe(16384);
    expect(value(parseSize('16 GiB'))).toBe(16384);
    expect(value(parseSize('100G'))).toBe(102400);
    expect(value(parseSize(512))).toBe(512);
  });

  it('explains what is wrong', () => {
    expect(message(parseSize('16Zi'))).toBe('"16Zi" is not a size; use a number with Ki, Mi, Gi or Ti (e.g. "16Gi")');
    expect(message(parseSize('0Gi'))).toContain('more than 0');
    expect(message(parseSize('100Ki'))).toContain('whole number of MiB');
    expect(message(parseSize(1.5))).toContain('"1.5Gi"');
    expect(message(parseSize(0))).toContain('at least 1');
    expect(message(parseSize(true))).toContain('got true');
    expect(message(parseSize('2000Ti'))).toContain('more than 1 PiB');
  });
});

describe('names', () => {
  it('accepts the documented pattern', () => {
    expect(nameProblem('win11', 63)).toBeUndefined();
    expect(nameProblem('nova-net_2', 15)).toBeUndefined();
    expect(nameProblem('a'.repeat(63), 63)).toBeUndefined();
  });

  it.each([
    ['', 'empty'],
    ['a/b', 'contains "/"'],
    ['..', 'contains ".."'],
    ['my vm', 'contains a space'],
    ['-web', 'starts with "-"'],
    ['web.1', 'contains "."'],
    ['Web', 'lowercase'],
    ['a'.repeat(64), 'the limit is 63'],
  ])('refuses %j', (name, fragment) => {
    expect(nameProblem(name, 63)).toContain(fragment);
  });
});

describe('image references', () => {
  it.each([
    ['ubuntu:22.04', { registry: null, repository: 'ubuntu', tag: '22.04', digest: null }],
    ['docker.io/library/alpine:3.20', { registry: 'docker.io', repository: 'library/alpine', tag: '3.20' }],
    ['localhost/base', { registry: 'localhost', repository: 'base', tag: null }],
    ['my-imported-image', { registry: null, repository: 'my-imported-image' }],
    [`registry.example:5000/ns/img@sha256:${'0'.repeat(64)}`, { registry: 'registry.example:5000', tag: null, digest: `sha256:${'0'.repeat(64)}` }],
    [`ghcr.io/o/r:v1@sha256:${'f'.repeat(64)}`, { repository: 'o/r', tag: 'v1' }],
  ])('parses %s', (text, expected) => {
    expect(value(parseImageReference(text))).toMatchObject(expected);
  });

  it.each([
    ['Ubuntu', 'lowercase'],
    ['ubuntu:', 'not an image tag'],
    ['a b', 'contains a space'],
    ['img@sha256:abc', 'not a digest'],
    ['bad_host.-x/img', 'not a registry host'],
  ])('refuses %j', (text, fragment) => {
    expect(message(parseImageReference(text))).toContain(fragment);
  });
});

describe('volumes, forwards, egress rules and peers', () => {
  it('parses volumes', () => {
    expect(value(parseVolume('./api:/srv/api'))).toEqual({ host: './api', guest: '/srv/api', readOnly: false });
    expect(value(parseVolume('/data:/data/:ro'))).toEqual({ host: '/data', guest: '/data', readOnly: true });
    expect(message(parseVolume('./a'))).toContain('is not a volume');
    expect(message(parseVolume('./a:/b/../../etc'))).toContain('contains ".."');
    expect(message(parseVolume('./a:/'))).toContain("capsule's root");
  });

  it('parses forwards, IPv6 in brackets', () => {
    expect(value(parseForward('2222:[fd00::10]:22'))).toEqual({ hostPort: 2222, guestAddress: 'fd00::10', guestPort: 22, protocol: 'tcp' });
    expect(message(parseForward('2222:fd00::10:22'))).toContain('not a forward');
    expect(message(parseForward('2222:[10.0.0.1]:22'))).toContain('not a guest IP address');
    expect(message(parseForward('0:10.0.0.1:22'))).toContain('out of range');
  });

  it('parses the three egress forms', () => {
    expect(value(parseEgressRule('10.0.0.0/8'))).toEqual({ destination: '10.0.0.0/8', ports: null, protocol: null });
    expect(value(parseEgressRule('fd00::/8'))).toEqual({ destination: 'fd00::/8', ports: null, protocol: null });
    expect(value(parseEgressRule('[fd00::/8]:443/tcp'))).toEqual({ destination: 'fd00::/8', ports: { from: 443, to: 443 }, protocol: 'tcp' });
    expect(value(parseEgressRule('192.0.2.7:22'))).toEqual({ destination: '192.0.2.7/32', ports: { from: 22, to: 22 }, protocol: null });
    expect(value(parseEgressRule('53/udp'))).toEqual({ destination: null, ports: { from: 53, to: 53 }, protocol: 'udp' });
    expect(message(parseEgressRule('100-10'))).toContain('ends before it starts');
    expect(message(parseEgressRule('example.com:443'))).toContain('not an address or CIDR');
    expect(message(parseEgressRule('10.0.0.0/8:443/icmp'))).toContain('not a protocol');
  });

  it('parses peers', () => {
    expect(value(parsePeer('fd00::2'))).toEqual({ host: 'fd00::2', port: null });
    expect(value(parsePeer('Peer.LAN'))).toEqual({ host: 'peer.lan', port: null });
    expect(message(parsePeer('10.0.0.300'))).toContain('not a peer address');
    expect(message(parsePeer('peer:99999'))).toContain('out of range');
  });
});

describe('subnets and PCI addresses', () => {
  it('keeps the host address and the network block', () => {
    expect(value(parseSubnet('192.168.220.1/24')).spec).toEqual({ cidr: '192.168.220.0/24', gateway: '192.168.220.1', prefix: 24, family: 4 });
    expect(value(parseSubnet('fd42::1/64')).spec).toEqual({ cidr: 'fd42::/64', gateway: 'fd42::1', prefix: 64, family: 6 });
    expect(message(parseSubnet('10.0.0.255/24'))).toContain('broadcast');
    expect(message(parseSubnet('10.0.0.1/31'))).toContain('no room for guests');
    expect(message(parseSubnet('10.0.0.1/4'))).toContain('too large');
  });

  it('normalizes PCI addresses to sysfs form', () => {
    expect(value(parsePciAddress('0000:01:00.0'))).toBe('0000:01:00.0');
    expect(value(parsePciAddress('0A:1F.7'))).toBe('0000:0a:1f.7');
    expect(message(parsePciAddress('0000:01:20.0'))).toContain('not a PCI address');
    expect(message(parsePciAddress('0000:01:00.8'))).toContain('not a PCI address');
  });
});
