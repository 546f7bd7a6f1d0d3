import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VmLayout } from './vm-layout.js';
import { VmStore } from './vm-store.js';

let dir = '';
let layout: VmLayout;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nv8v-store-'));
  layout = new VmLayout(dir, join(dir, 'run'));
  await mkdir(layout.vmsDir, { recursive: true });
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

// Files exactly as the Nova before RecordStore wrote them.
const OLD_DEFINITION = {
  version: 1,
  name: 'web1',
  osType: 'linux',
  cpus: 1,
  memoryMiB: 256,
  machine: 'q35',
  firmware: 'bios',
  accel: 'auto',
  disks: [{ id: 'disk0', path: '/var/lib/nova/vms/web1/disk0.qcow2', format: 'qcow2', owned: true, readOnly: false }],
  iso: null,
  kernel: null,
  network: { mode: 'none' },
  cloudInit: null,
  display: { vnc: true, spice: false },
  template: false,
  description: '',
  createdAt: '2026-01-01T00:00:00.000Z',
};
const OLD_RUNTIME_WITHOUT_TAP = {
  version: 1,
  pid: 4242,
  startTime: '123456',
  startedAt: '2026-01-01T00:00:01.000Z',
  accel: 'tcg',
  qmpSocket: '/run/nova/vms/web1/qmp.sock',
  serialSocket: '/run/nova/vms/web1/serial.sock',
  serialLog: '/var/lib/nova/vms/web1/serial.log',
  vncSocket: null,
  vncWebsocketPort: null,
  vncPassword: null,
  spiceSocket: null,
  crashed: null,
};
const OLD_SNAPSHOTS = {
  version: 1,
  current: 'one',
  snapshots: [{ name: 'one', parent: null, createdAt: '2026-01-01T00:00:02.000Z', withMemory: true, vmStateSize: 1024, description: '' }],
};

describe('VmStore', () => {
  it('reads the files older Nova versions wrote, at their paths', async () => {
    await writeFile(join(layout.vmsDir, 'web1.json'), JSON.stringify(OLD_DEFINITION));
    await writeFile(join(layout.vmsDir, 'web1.runtime.json'), JSON.stringify(OLD_RUNTIME_WITHOUT_TAP));
    await writeFile(join(layout.vmsDir, 'web1.snapshots.json'), JSON.stringify(OLD_SNAPSHOTS));
    const store = new VmStore(layout);
    expect(await store.listNames()).toEqual(['web1']);
    const { network: _n, ...rest } = OLD_DEFINITION;
    expect(await store.loadDefinition('web1')).toEqual({ ...rest, version: 2, nics: [] });
    expect(await store.loadRuntime('web1')).toEqual({ ...OLD_RUNTIME_WITHOUT_TAP, version: 2, taps: [], cpuOff: [] });
    const { version: _v, ...tree } = OLD_SNAPSHOTS;
    expect(await store.loadSnapshots('web1')).toEqual(tree);
  });

  it('reads a version 1 NIC (network, nicMac, nicModel) and its running tap as a one-NIC list, and writes that back', async () => {
    const old = { ...OLD_DEFINITION, network: { mode: 'nova', network: 'lab' }, nicMac: '52:54:00:aa:bb:cc', nicModel: 'e1000e' };
    await writeFile(join(layout.vmsDir, 'web1.json'), JSON.stringify(old));
    const tap = { network: 'lab', ifname: 'nvaa1b2c3d4', mac: '02:11:22:33:44:55' };
    await writeFile(join(layout.vmsDir, 'web1.runtime.json'), JSON.stringify({ ...OLD_RUNTIME_WITHOUT_TAP, tap }));
    const store = new VmStore(layout);
    const def = await store.loadDefinition('web1');
    expect(def).toMatchObject({ version: 2, nics: [{ network: { mode: 'nova', network: 'lab' }, mac: '52:54:00:aa:bb:cc', model: 'e1000e' }] });
    expect(def).not.toHaveProperty('network');
    expect(def).not.toHaveProperty('nicMac');
    expect((await store.loadRuntime('web1'))?.taps).toEqual([{ ...tap, index: 0, resource: 'web1' }]);
    const written = JSON.parse(await readFile(join(layout.vmsDir, 'web1.json'), 'utf8')) as Record<string, unknown>;
    expect(written).toMatchObject({ version: 2, nics: def.nics });
    const userOnly = { ...OLD_DEFINITION, name: 'web4', network: { mode: 'user' } };
    await writeFile(join(layout.vmsDir, 'web4.json'), JSON.stringify(userOnly));
    expect((await store.loadDefinition('web4')).nics).toEqual([{ network: { mode: 'user' }, mac: null }]);
  });

  it('writes them back in the same shape and places', async () => {
    const store = new VmStore(layout);
    const { network: _n, ...current } = { ...OLD_DEFINITION, version: 2, nics: [] };
    await store.saveDefinition(current as never);
    const { version: _v, ...tree } = OLD_SNAPSHOTS;
    await store.saveSnapshots('web1', tree);
    expect(JSON.parse(await readFile(join(layout.vmsDir, 'web1.json'), 'utf8'))).toEqual(current);
    expect(JSON.parse(await readFile(join(layout.vmsDir, 'web1.snapshots.json'), 'utf8'))).toEqual(OLD_SNAPSHOTS);
    await store.removeAll('web1');
    expect(await readdir(layout.vmsDir)).toEqual([]);
  });

  it("keeps a project's name on its VM; a definition without one stays unmanaged", async () => {
    const store = new VmStore(layout);
    const { network: _n, ...current } = { ...OLD_DEFINITION, version: 2, nics: [] };
    await store.saveDefinition({ ...current, name: 'web3', project: 'lab' } as never);
    expect(await store.loadDefinition('web3')).toMatchObject({ name: 'web3', project: 'lab' });
    await writeFile(join(layout.vmsDir, 'web1.json'), JSON.stringify(OLD_DEFINITION));
    expect(await store.loadDefinition('web1')).not.toHaveProperty('project');
  });

  it('tells a missing VM from a broken one, and shows a damaged runtime record as none', async () => {
    const store = new VmStore(layout);
    await expect(store.loadDefinition('nope')).rejects.toMatchObject({ code: 'not_found' });
    expect(await store.exists('nope')).toBe(false);
    await writeFile(join(layout.vmsDir, 'bad.json'), '{"version":1,"name":');
    // Quarantined as broken: named with its file and fault, and its name never taken over.
    const broken = { code: 'failed_precondition', message: expect.stringMatching(/^VM bad is broken: \S+\/bad\.json cannot be read: not valid JSON .*`nova vm rm bad`/) };
    await expect(store.loadDefinition('bad')).rejects.toMatchObject(broken);
    await expect(store.exists('bad')).rejects.toMatchObject(broken);
    expect(await store.broken()).toEqual([{ name: 'bad', state: 'broken', file: join(layout.vmsDir, 'bad.json'), stateReason: expect.stringContaining('not valid JSON') }]);
    await writeFile(join(layout.vmsDir, 'bad.runtime.json'), '{"version":1}');
    expect(await store.loadRuntime('bad')).toBeNull();
    expect(await store.loadSnapshots('bad')).toEqual({ current: null, snapshots: [] });
  });

  it('refuses a definition written by a newer Nova instead of guessing', async () => {
    await writeFile(join(layout.vmsDir, 'web2.json'), JSON.stringify({ ...OLD_DEFINITION, name: 'web2', version: 99 }));
    await expect(new VmStore(layout).loadDefinition('web2')).rejects.toMatchObject({ code: 'failed_precondition', message: expect.stringMatching(/newer Nova/) });
  });
});
