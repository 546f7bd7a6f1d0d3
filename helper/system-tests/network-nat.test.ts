// NAT networks for real, inside namespaces: the product's own example (hyperv0 with
// uplink enp6s0, a veth inside the test host), DHCP and DNS from dnsmasq, masquerade
// to an upstream router, a port forward, isolation between networks and an egress allow-list.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NetworkSpecInput } from '../../src-shared/network.js';
import type { NetworkManager } from '../src/network/network-manager.js';
import { NetnsLab } from './network-harness.js';

// `nova net create hyperv0 --type bridge --profile nat --uplink enp6s0 --subnet 192.168.220.1/24
// --dhcp-range 192.168.220.50-192.168.220.150` sends exactly these params (pinned by
// src-main/cli/commands/net-command.test.ts; the helper's tests may not import main's code).
const EXAMPLE: NetworkSpecInput = {
  name: 'hyperv0',
  type: 'bridge',
  profile: 'nat',
  uplinks: ['enp6s0'],
  subnet: '192.168.220.1/24',
  dhcpRange: { start: '192.168.220.50', end: '192.168.220.150' },
};

let lab: NetnsLab;
let mgr: NetworkManager;
let host = '';
let router = '';
let g1 = '';
let g2 = '';
let g3 = '';
const UPLINK_IP = '203.0.113.2';
const ROUTER_IP = '203.0.113.1';

beforeAll(async () => {
  lab = await NetnsLab.create('n');
  host = await lab.netns('h');
  router = await lab.netns('r');
  g1 = await lab.netns('g1');
  g2 = await lab.netns('g2');
  g3 = await lab.netns('g3');
  // The product example names its uplink enp6s0: here a veth that exists only inside the test host.
  await lab.veth({ ns: host, ifname: 'enp6s0', address: `${UPLINK_IP}/24` }, { ns: router, ifname: lab.name('r0'), address: `${ROUTER_IP}/24` });
  await lab.exec(host, ['ip', 'route', 'add', 'default', 'via', ROUTER_IP]);
  await lab.tcpServer(router, 8080);
  await lab.tcpServer(router, 8081);
  mgr = lab.manager(host, 'm');
  await mgr.start();
});

afterAll(async () => {
  await lab?.cleanup();
});

describe('a NAT network (the product example)', () => {
  let a1 = '';
  let a2 = '';

  it('is created from the CLI example as written', async () => {
    const net = await mgr.create(EXAMPLE);
    expect(net).toMatchObject({
      name: 'hyperv0',
      profile: 'nat',
      bridge: 'hyperv0',
      subnet: '192.168.220.0/24',
      gateway: '192.168.220.1',
      dhcpRange: { start: '192.168.220.50', end: '192.168.220.150' },
      uplinks: ['enp6s0'],
      status: { state: 'active', reasons: [] },
    });
    const tables = await lab.exec(host, ['nft', 'list', 'tables']);
    expect(tables.stdout.trim()).toBe('table inet nv8nnova');
  });

  it('gives two guests DHCP leases; they ping and resolve each other by name', async () => {
    for (const [resource, ns] of [['web', g1], ['db', g2]] as const) {
      const a = await mgr.attach({ network: 'hyperv0', resource, kind: 'veth', netns: ns });
      expect(a.mac).toMatch(/^[0-9a-f][26ae]:/);
      expect(a.hostname).toBe(`${resource}.hyperv0.nova`);
    }
    a1 = await lab.dhcp(g1);
    a2 = await lab.dhcp(g2);
    for (const a of [a1, a2]) {
      const last = Number(a.split('.')[3]);
      expect(a.startsWith('192.168.220.')).toBe(true);
      expect(last >= 50 && last <= 150).toBe(true);
    }
    expect(await lab.pingWithin(g1, a2)).toBe(true);
    expect(await lab.pingWithin(g2, a1)).toBe(true);
    expect(await lab.resolve(g1, 'db.hyperv0.nova', '192.168.220.1')).toEqual([a2]);
    expect(await lab.resolve(g2, 'web.hyperv0.nova', '192.168.220.1')).toEqual([a1]);
    const leases = await mgr.leases('hyperv0');
    expect(leases.map((l) => [l.hostname, l.address]).sort()).toEqual([['db', a2], ['web', a1]].sort());
  });

  it('reaches the upstream router through masquerade: the router sees the host, not the guest', async () => {
    expect(await lab.tcpConnect(g1, ROUTER_IP, 8080)).toBe(UPLINK_IP);
    expect(await lab.pingWithin(g2, ROUTER_IP)).toBe(true);
  });

  it('serves a port forward, reachable from the test host (its loopback too) and from the router', async () => {
    await lab.tcpServer(g1, 80, a1);
    await mgr.addForward('hyperv0', { hostPort: 8088, guestAddress: a1, guestPort: 80 });
    // From the test host itself (output hook) and from the LAN side (prerouting).
    expect(await lab.tcpConnect(host, UPLINK_IP, 8088)).toMatch(/^(203\.0\.113\.2|192\.168\.220\.1)$/);
    expect(await lab.tcpConnect(router, UPLINK_IP, 8088)).toBe(ROUTER_IP);
    // On the host's loopback, as published ports are used: the guest sees the gateway.
    expect(await lab.tcpConnect(host, '127.0.0.1', 8088)).toBe('192.168.220.1');
    // That needs the bridge to route loopback addresses; a guest that sends its own
    // loopback traffic to the gateway still reaches none of the host's loopback services.
    await lab.tcpServer(host, 9099, '127.0.0.5');
    const dev = /dev (\S+)/.exec((await lab.exec(g1, ['ip', '-o', 'route', 'show', 'default'])).stdout)?.[1] ?? 'missing';
    await lab.exec(g1, ['sysctl', '-q', '-w', `net/ipv4/conf/${dev}/route_localnet=1`]);
    await lab.exec(g1, ['ip', 'route', 'del', 'local', '127.0.0.0/8', 'dev', 'lo', 'table', 'local']);
    await lab.exec(g1, ['ip', 'route', 'add', '127.0.0.0/8', 'via', '192.168.220.1', 'dev', dev]);
    try {
      expect(await lab.tcpConnect(host, '127.0.0.5', 9099)).toMatch(/^127\./);
      expect(await lab.tcpConnect(g1, '127.0.0.5', 9099)).toBe('timeout');
    } finally {
      await lab.exec(g1, ['ip', 'route', 'del', '127.0.0.0/8', 'via', '192.168.220.1']);
      await lab.exec(g1, ['ip', 'route', 'add', 'local', '127.0.0.0/8', 'dev', 'lo', 'table', 'local', 'proto', 'kernel', 'scope', 'host', 'src', '127.0.0.1']);
    }
    expect(await mgr.listForwards('hyperv0')).toEqual([{ hostPort: 8088, guestAddress: a1, guestPort: 80, protocol: 'tcp' }]);
    await expect(mgr.addForward('hyperv0', { hostPort: 8088, guestAddress: a2, guestPort: 80 })).rejects.toMatchObject({ code: 'already_exists' });
    await mgr.removeForward('hyperv0', 8088);
    expect(await lab.tcpConnect(router, UPLINK_IP, 8088)).not.toBe(ROUTER_IP);
  });

  it('keeps a second network isolated from the first, and enforces its egress allow-list', async () => {
    const net = await mgr.create({
      name: lab.name('b'),
      profile: 'nat',
      uplinks: ['enp6s0'],
      subnet: '10.77.0.1/24',
      egressAllow: [{ destination: `${ROUTER_IP}/32`, ports: { from: 8080, to: 8080 }, protocol: 'tcp' }],
    });
    expect(net.status.state).toBe('active');
    await mgr.attach({ network: net.name, resource: 'iso', kind: 'veth', netns: g3, address: '10.77.0.9/24' });
    // Egress: 8080/tcp to the router is listed, 8081 and ping are not.
    expect(await lab.tcpConnect(g3, ROUTER_IP, 8080)).toBe(UPLINK_IP);
    expect(await lab.tcpConnect(g3, ROUTER_IP, 8081, 800)).toBe('timeout');
    expect(await lab.ping(g3, ROUTER_IP)).toBe(false);
    // Isolation: neither way between the two networks.
    expect(await lab.ping(g3, a1)).toBe(false);
    expect(await lab.ping(g1, '10.77.0.9')).toBe(false);
    expect(await lab.tcpConnect(g1, '10.77.0.9', 80, 800)).not.toMatch(/^\d/);
    // The first network has no policy: 8081 is fine there.
    expect(await lab.tcpConnect(g1, ROUTER_IP, 8081)).toBe(UPLINK_IP);
  });

  it('deletes a network with exactly its rules, bridge, dnsmasq and attachments', async () => {
    const b = lab.name('b');
    await mgr.delete(b);
    const rules = await lab.exec(host, ['nft', 'list', 'table', 'inet', 'nv8nnova']);
    expect(rules.stdout).not.toContain(`net-${b}-`);
    expect(rules.stdout).toContain('net-hyperv0-out');
    const links = await lab.exec(host, ['ip', '-o', 'link', 'show']);
    expect(links.stdout).not.toContain(`${b}:`);
    expect((await mgr.list()).map((n) => n.name)).toEqual(['hyperv0']);
    // The other network still works.
    expect(await lab.pingWithin(g1, a2)).toBe(true);
    await mgr.delete('hyperv0');
    const tables = await lab.exec(host, ['nft', 'list', 'tables']);
    expect(tables.stdout.trim()).toBe('');
    const left = await lab.exec(host, ['ip', '-o', 'link', 'show']);
    expect(left.stdout).not.toMatch(/hyperv0|nv8na/);
  });
});
