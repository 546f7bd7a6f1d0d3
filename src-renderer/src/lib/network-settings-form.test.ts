import { describe, expect, it } from 'vitest';
import type { Network } from '../../../src-shared/network.js';
import { checkSettings, settingsOf } from './network-settings-form.js';

const lab: Network = {
  name: 'lab', type: 'bridge', profile: 'nat', bridge: 'lab', subnet: '10.250.2.0/24', gateway: '10.250.2.1',
  dhcpRange: { start: '10.250.2.50', end: '10.250.2.99' }, uplinks: [], dns: true, domain: 'lab.nova',
  driver: null, vni: null, peers: [], egressAllow: [{ destination: '10.0.0.0/8', ports: { from: 443, to: 443 }, protocol: 'tcp' }], forwards: [],
  attachments: [], status: { state: 'active', reasons: [] }, createdAt: '2026-01-01T00:00:00.000Z', project: null,
};

describe('the network settings form', () => {
  it('starts from the network and sends nothing when nothing was edited', () => {
    const values = settingsOf(lab);
    expect(values).toMatchObject({ subnet: '10.250.2.1/24', dhcpStart: '10.250.2.50', egress: '10.0.0.0/8:443/tcp', restrictEgress: true });
    expect(checkSettings(lab, values)).toEqual({ errors: {}, update: { name: 'lab' } });
  });

  it('sends only the edited fields, in the contract’s shapes', () => {
    const values = { ...settingsOf(lab), dhcpEnd: '10.250.2.120', egress: '192.0.2.0/24:80/tcp\n53/udp', domain: 'Lab.Example' };
    expect(checkSettings(lab, values).update).toEqual({
      name: 'lab',
      dhcpRange: { start: '10.250.2.50', end: '10.250.2.120' },
      domain: 'lab.example',
      egressAllow: [
        { destination: '192.0.2.0/24', ports: { from: 80, to: 80 }, protocol: 'tcp' },
        { destination: null, ports: { from: 53, to: 53 }, protocol: 'udp' },
      ],
    });
    expect(checkSettings(lab, { ...settingsOf(lab), restrictEgress: false }).update).toEqual({ name: 'lab', egressAllow: null });
  });

  it('says beside each field what is wrong', () => {
    const check = checkSettings(lab, { ...settingsOf(lab), dhcpStart: '10.9.0.5', egress: 'nowhere:99999' });
    expect(check.update).toBeNull();
    expect(check.errors.dhcpEnd).toMatch(/outside the subnet/);
    expect(check.errors.egress).toBeTruthy();
  });

  it('takes a new subnet as a block only while nothing is attached, leaving the range to the helper', () => {
    expect(checkSettings(lab, { ...settingsOf(lab), subnet: '10.251.0.0/24' }).update).toEqual({ name: 'lab', subnet: '10.251.0.1/24' });
    const attached = { ...lab, attachments: [{ resource: 'web', kind: 'veth' as const, hostIfname: 'x', mac: 'm', address: null, netns: null, guestIfname: null, hostname: 'web.lab.nova', present: true }] };
    expect(checkSettings(attached, { ...settingsOf(attached), subnet: '10.251.0.0/24' }).errors.subnet).toMatch(/detach the 1 attached guest first/);
  });

  it('turns the DHCP server off without checking the range, and on again with the default or a typed range', () => {
    expect(checkSettings(lab, { ...settingsOf(lab), dhcp: false, dhcpStart: 'junk' })).toEqual({ errors: {}, update: { name: 'lab', dhcp: false } });
    const off: Network = { ...lab, dhcpRange: null };
    expect(settingsOf(off)).toMatchObject({ dhcp: false, dhcpStart: '', dhcpEnd: '' });
    expect(checkSettings(off, { ...settingsOf(off), dhcp: true }).update).toEqual({ name: 'lab', dhcp: true });
    expect(checkSettings(off, { ...settingsOf(off), dhcp: true, dhcpStart: '10.250.2.10', dhcpEnd: '10.250.2.20' }).update).toEqual({
      name: 'lab', dhcp: true, dhcpRange: { start: '10.250.2.10', end: '10.250.2.20' },
    });
    expect(checkSettings(off, { ...settingsOf(off), dhcp: true, dhcpStart: '10.250.2.10' }).errors.dhcpEnd).toBeTruthy();
  });
});
