// Network records on the RecordStore: files written by earlier Novas still load, every
// field of every kind of network survives a save, and one damaged file hides no other.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NetworkSpecInput } from '../../../src-shared/network.js';
import type { NetworkConfig, NetworkRecord } from './network-config.js';
import { NetworkStore } from './network-store.js';
import { HYPERV0_SPEC, planned, wireguardOverlay } from './testing/planned-networks.js';

let dir = '';
let store: NetworkStore;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nv8n-store-'));
  store = new NetworkStore(dir);
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** As the first network engine wrote it: no overlay MTU, no tap owner, peers without keys. */
const FIRST_VERSION_RECORD = {
  version: 1,
  config: {
    name: 'lab',
    type: 'overlay',
    profile: 'internal',
    bridge: 'lab',
    bridgeMac: '02:11:22:33:44:55',
    subnet: { cidr: '10.9.0.0/24', gateway: '10.9.0.1', prefix: 24, family: 4 },
    dhcp: { start: '10.9.0.100', end: '10.9.0.200' },
    dns: true,
    domain: 'lab.nova',
    uplinks: ['eth1'],
    peers: [{ host: '192.0.2.10', port: null }],
    overlay: { driver: 'vxlan', vni: 42, device: 'nvx1234abcd', underlay: 'eth1', peers: [{ address: '192.0.2.10', port: 4789 }], port: 4789 },
    egressAllow: null,
    forwards: [],
  },
  attachments: [
    { resource: 'web', kind: 'tap', hostIfname: 'nva1', mac: '02:00:00:00:00:01', address: null, netns: null, guestIfname: null },
    { resource: 'db', kind: 'veth', hostIfname: 'nva2', mac: '02:00:00:00:00:02', address: '10.9.0.5/24', netns: 'nova-db', guestIfname: 'eth0' },
  ],
  createdAt: '2025-01-01T00:00:00.000Z',
};

function record(input: NetworkSpecInput | NetworkConfig, extra: Partial<NetworkRecord> = {}): NetworkRecord {
  const config = 'bridge' in input ? input : planned(input);
  return { version: 1, config, attachments: [], createdAt: '2025-06-01T12:00:00.000Z', ...extra };
}

describe('NetworkStore', () => {
  it('loads a record written by the first network engine, unchanged', async () => {
    await mkdir(join(dir, 'networks'));
    await writeFile(join(dir, 'networks', 'lab.json'), JSON.stringify(FIRST_VERSION_RECORD, null, 2));
    const { records, damaged } = await store.loadAll();
    expect(damaged).toEqual([]);
    expect(records).toEqual([FIRST_VERSION_RECORD]);
  });

  it('keeps every field of every kind of network through a save and a load', async () => {
    const all = [
      record({ ...HYPERV0_SPEC, forwards: [{ hostPort: 8080, guestAddress: '192.168.220.10', guestPort: 80 }] }, {
        attachments: [
          { resource: 'vm1', kind: 'tap', hostIfname: 'nva1', mac: '02:00:00:00:00:01', address: null, netns: null, guestIfname: null, tapOwner: { uid: 1000, gid: 1000 } },
        ],
        pending: 'create',
      }),
      record({ name: 'egress', subnet: '10.1.0.1/24', egressAllow: [{ destination: '192.0.2.0/24', ports: { from: 443, to: 443 }, protocol: 'tcp' }] }),
      record({ name: 'lan0', profile: 'external', uplinks: ['eno1'], project: 'lab' }),
      record(wireguardOverlay('wgl', 7)),
    ];
    for (const r of all) await store.put(r);
    const { records } = await store.loadAll();
    expect(records.sort((a, b) => a.config.name.localeCompare(b.config.name))).toEqual([...all].sort((a, b) => a.config.name.localeCompare(b.config.name)));
    // Human-readable, one file per network, carrying its version.
    const text = await readFile(join(dir, 'networks', 'hyperv0.json'), 'utf8');
    expect(JSON.parse(text)).toMatchObject({ version: 1, config: { name: 'hyperv0' } });
    expect(text).toContain('\n  ');
  });

  it('names a damaged file apart and still loads the others', async () => {
    await store.put(record({ name: 'good', subnet: '10.2.0.1/24' }));
    await writeFile(join(dir, 'networks', 'bad.json'), '{"version":1,"config":');
    await writeFile(join(dir, 'networks', 'odd.json'), JSON.stringify({ ...FIRST_VERSION_RECORD, attachments: 'none' }));
    const { records, damaged } = await store.loadAll();
    expect(records.map((r) => r.config.name)).toEqual(['good']);
    expect(damaged.map((d) => d.name).sort()).toEqual(['bad', 'odd']);
    expect(damaged.find((d) => d.name === 'odd')?.problem).toMatch(/attachments/);
  });

  it('refuses a record from a newer Nova instead of misreading it', async () => {
    await store.put(record({ name: 'good', subnet: '10.2.0.1/24' }));
    await writeFile(join(dir, 'networks', 'future.json'), JSON.stringify({ ...FIRST_VERSION_RECORD, version: 2 }));
    const { damaged } = await store.loadAll();
    expect(damaged).toEqual([expect.objectContaining({ name: 'future', problem: expect.stringMatching(/newer Nova/) })]);
  });

  it('removes a record and ignores the WireGuard key files beside them', async () => {
    await store.put(record({ name: 'gone', subnet: '10.3.0.1/24' }));
    await writeFile(join(dir, 'networks', 'gone.wg-key'), 'key\n');
    await store.remove('gone');
    expect((await store.loadAll()).records).toEqual([]);
  });
});
