import { describe, expect, it } from 'vitest';
import { NetworkSpecSchema } from '../../../src-shared/network.js';
import { dnsmasqPaths, parseLeases, renderDhcpHosts, renderDnsmasqConf, renderHosts } from './dnsmasq-config.js';
import type { AttachmentRecord } from './network-config.js';
import { planNetwork } from './network-plan.js';
import { attachmentIfname, stableMac } from './interface-names.js';

const config = planNetwork(
  NetworkSpecSchema.parse({ name: 'hyperv0', profile: 'nat', uplinks: ['enp6s0'], subnet: '192.168.220.1/24', dhcpRange: { start: '192.168.220.50', end: '192.168.220.150' } }),
  { existing: [], ifPrefix: 'nv', overlayDrivers: [] },
);
const paths = dnsmasqPaths('/run/nova/networks/hyperv0');
const web: AttachmentRecord = { resource: 'web_1', kind: 'veth', hostIfname: 'nva1', mac: '02:00:00:00:00:01', address: null, netns: 'x', guestIfname: 'eth0' };
const db: AttachmentRecord = { resource: 'db', kind: 'tap', hostIfname: 'nva2', mac: '02:00:00:00:00:02', address: '192.168.220.10/24', netns: null, guestIfname: null };

describe('dnsmasq config (golden)', () => {
  it('serves DHCP and NAME.hyperv0.nova on the bridge only', () => {
    expect(renderDnsmasqConf(config, paths, { upstreamDns: false })).toBe(
      [
        '# Nova network hyperv0: generated on every change, do not edit.',
        'pid-file=/run/nova/networks/hyperv0/dnsmasq.pid',
        'log-facility=/run/nova/networks/hyperv0/dnsmasq.log',
        'interface=hyperv0',
        'bind-dynamic',
        'except-interface=lo',
        'no-hosts',
        'strict-order',
        'domain=hyperv0.nova',
        'local=/hyperv0.nova/',
        'domain-needed',
        'bogus-priv',
        'expand-hosts',
        'addn-hosts=/run/nova/networks/hyperv0/hosts',
        'no-resolv',
        'dhcp-range=192.168.220.50,192.168.220.150,255.255.255.0,1h',
        'dhcp-leasefile=/run/nova/networks/hyperv0/dnsmasq.leases',
        'dhcp-hostsfile=/run/nova/networks/hyperv0/dhcp-hosts',
        'dhcp-authoritative',
        'dhcp-no-override',
        'dhcp-option=option:router,192.168.220.1',
        'dhcp-option=option:dns-server,192.168.220.1',
        '',
      ].join('\n'),
    );
    expect(renderDnsmasqConf(config, paths, { upstreamDns: true })).not.toContain('no-resolv');
  });
  it('names DHCP guests by MAC and static guests by address', () => {
    expect(renderDhcpHosts([web, db])).toBe('02:00:00:00:00:01,web-1\n');
    expect(renderHosts(config, [web, db])).toBe('192.168.220.1 host.hyperv0.nova\n192.168.220.10 db.hyperv0.nova db\n');
  });
  it('parses leases', () => {
    expect(parseLeases('1700000000 02:aa:bb:cc:dd:ee 192.168.220.77 web-1 01:02:aa\n0 02:00:00:00:00:09 192.168.220.78 * *\n')).toEqual([
      { mac: '02:aa:bb:cc:dd:ee', address: '192.168.220.77', hostname: 'web-1', expiresAt: '2023-11-14T22:13:20.000Z' },
      { mac: '02:00:00:00:00:09', address: '192.168.220.78', hostname: null, expiresAt: null },
    ]);
  });
});

describe('derived names', () => {
  it('are stable, locally administered and fit the kernel limit', () => {
    expect(stableMac('hyperv0', 'web')).toBe(stableMac('hyperv0', 'web'));
    expect(stableMac('hyperv0', 'web')).not.toBe(stableMac('hyperv0', 'db'));
    const first = parseInt(stableMac('n', 'r').slice(0, 2), 16);
    expect(first & 0x02).toBe(2);
    expect(first & 0x01).toBe(0);
    expect(attachmentIfname('nv', 'hyperv0', 'web')).toMatch(/^nva[0-9a-f]{8}$/);
    expect(attachmentIfname('nv4', 'abcdefghijklmno', 'x'.repeat(63)).length).toBeLessThanOrEqual(15);
  });
});
