import { describe, expect, it } from 'vitest';
import type { Attachment, Network } from '../../../src-shared/network.js';
import { attachmentResourceHref, networkDetailHref, networksViewFromHash } from './network-route.js';
import { buildTopology, layoutTopology, NODE_HEIGHT } from './network-topology.js';

function attachment(resource: string, kind: Attachment['kind'], present = true): Attachment {
  return { resource, kind, hostIfname: `nv-${resource}`, mac: '02:00:00:00:00:01', address: null, netns: kind === 'veth' ? 'ns1' : null, guestIfname: kind === 'veth' ? 'eth0' : null, hostname: `${resource}.lab.nova`, present };
}

function network(name: string, over: Partial<Network> = {}): Network {
  return {
    name,
    type: 'bridge',
    profile: 'nat',
    bridge: name,
    subnet: '10.1.0.0/24',
    gateway: '10.1.0.1',
    dhcpRange: null,
    uplinks: [],
    dns: true,
    domain: `${name}.nova`,
    driver: null,
    vni: null,
    peers: [],
    egressAllow: null,
    forwards: [],
    attachments: [],
    status: { state: 'active', reasons: [] },
    createdAt: '2026-01-01T00:00:00.000Z',
    project: null,
    ...over,
  };
}

describe('topology graph', () => {
  it('draws uplink -> bridge -> attached VMs and capsules, all up', () => {
    const g = buildTopology([network('lab', { uplinks: ['enp6s0'], attachments: [attachment('web', 'tap'), attachment('db', 'veth')] })]);
    expect(g.nodes.map((n) => n.id).sort()).toEqual(['attachment:lab:db', 'attachment:lab:web', 'network:lab', 'uplink:enp6s0']);
    expect(g.edges.map((e) => [e.source, e.target, e.state])).toEqual([
      ['uplink:enp6s0', 'network:lab', 'up'],
      ['network:lab', 'attachment:lab:web', 'up'],
      ['network:lab', 'attachment:lab:db', 'up'],
    ]);
    const kinds = Object.fromEntries(g.nodes.map((n) => [n.id, n.data.kind === 'attachment' ? n.data.resource : n.data.kind]));
    expect(kinds).toMatchObject({ 'attachment:lab:web': 'vm', 'attachment:lab:db': 'capsule' });
    expect(g.nodes.find((n) => n.id === 'network:lab')?.data).toMatchObject({ detail: 'nat · 10.1.0.0/24', state: 'active' });
  });

  it('shares an uplink between networks and an overlay peer between overlays', () => {
    const g = buildTopology([
      network('a', { uplinks: ['eth1'] }),
      network('b', { uplinks: ['eth1'], subnet: '10.2.0.0/24' }),
      network('ov1', { type: 'overlay', profile: 'internal', subnet: null, driver: 'vxlan', vni: 7, peers: [{ host: '192.0.2.2', port: null }] }),
      network('ov2', { type: 'overlay', profile: 'internal', subnet: null, driver: 'vxlan', vni: 8, peers: [{ host: '192.0.2.2', port: 4790 }] }),
    ]);
    expect(g.nodes.filter((n) => n.id === 'uplink:eth1')).toHaveLength(1);
    expect(g.nodes.find((n) => n.id === 'uplink:eth1')?.data).toMatchObject({ networks: ['a', 'b'], state: 'up' });
    expect(g.nodes.find((n) => n.id === 'peer:192.0.2.2')?.data).toMatchObject({ kind: 'peer', networks: ['ov1', 'ov2'] });
    expect(g.edges.filter((e) => e.source === 'peer:192.0.2.2').map((e) => e.target)).toEqual(['network:ov1', 'network:ov2']);
    expect(g.nodes.find((n) => n.id === 'network:ov1')?.data).toMatchObject({ detail: 'overlay vxlan VNI 7' });
  });

  it('marks links down from the status reasons and missing attachments', () => {
    const g = buildTopology([
      network('lab', {
        profile: 'external',
        uplinks: ['eth1', 'eth2'],
        attachments: [attachment('web', 'tap', false)],
        status: { state: 'degraded', reasons: ['uplink eth1 is missing', 'uplink eth2 is not a port of lab'] },
      }),
    ]);
    const edge = (id: string) => g.edges.find((e) => e.id === id);
    expect(edge('uplink:eth1->network:lab')).toMatchObject({ state: 'down', label: 'uplink eth1 is missing' });
    expect(edge('uplink:eth2->network:lab')).toMatchObject({ state: 'down', label: 'uplink eth2 is not a port of lab' });
    expect(edge('network:lab->attachment:lab:web')).toMatchObject({ state: 'down', label: 'nv-web not on the bridge' });
    // eth1 itself is gone; eth2 exists but is not bridged.
    expect(g.nodes.find((n) => n.id === 'uplink:eth1')?.data).toMatchObject({ state: 'down' });
    expect(g.nodes.find((n) => n.id === 'uplink:eth2')?.data).toMatchObject({ state: 'up' });
  });

  it('takes every link of a network whose bridge is missing down', () => {
    const g = buildTopology([network('lab', { uplinks: ['eth1'], attachments: [attachment('web', 'tap')], status: { state: 'down', reasons: ['bridge lab is missing'] } })]);
    expect(g.edges.every((e) => e.state === 'down')).toBe(true);
    expect(g.nodes.find((n) => n.id === 'attachment:lab:web')?.data).toMatchObject({ state: 'down' });
  });

  it('is empty without networks', () => {
    expect(buildTopology([])).toEqual({ nodes: [], edges: [] });
  });
});

describe('topology layout', () => {
  it('puts uplinks above bridges above attachments, without overlaps', () => {
    const g = buildTopology([network('lab', { uplinks: ['enp6s0'], attachments: [attachment('web', 'tap'), attachment('db', 'veth')] })]);
    const at = layoutTopology(g);
    const y = (id: string) => at.get(id)?.y ?? NaN;
    expect(y('uplink:enp6s0')).toBeLessThan(y('network:lab'));
    expect(y('network:lab')).toBeLessThan(y('attachment:lab:web'));
    expect(y('attachment:lab:web')).toBe(y('attachment:lab:db'));
    expect(Math.abs((at.get('attachment:lab:web')?.x ?? 0) - (at.get('attachment:lab:db')?.x ?? 0))).toBeGreaterThanOrEqual(200);
    expect(y('network:lab') - y('uplink:enp6s0')).toBeGreaterThanOrEqual(NODE_HEIGHT);
  });
});

describe('networks routes', () => {
  it('reads the view from the hash', () => {
    expect(networksViewFromHash('#/networks')).toEqual({ view: 'list' });
    expect(networksViewFromHash('#/networks?view=topology')).toEqual({ view: 'topology' });
    expect(networksViewFromHash('#/networks/topology')).toEqual({ view: 'detail', name: 'topology' });
    expect(networksViewFromHash(networkDetailHref('lab_1'))).toEqual({ view: 'detail', name: 'lab_1' });
    expect(networksViewFromHash('#/vms')).toEqual({ view: 'list' });
  });

  it('links attachments to their VM or capsule page', () => {
    expect(attachmentResourceHref({ kind: 'tap', resource: 'web' })).toBe('#/vms/web');
    expect(attachmentResourceHref({ kind: 'veth', resource: 'db' })).toBe('#/capsules/db');
  });
});
