// Capsule records as older Novas wrote them still load: version 1 (runs under the former
// C shim) is migrated to conmon's shape and written back; snapshot records without a
// version load as version 1.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRecord, RecordStore } from '../state/record-store.js';
import { CAPSULE_RECORD, capsuleView, SNAPSHOT_RECORD } from './capsule-record.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nv8c-record-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

/** capsule.json exactly as the helper of the shim days wrote it, while the capsule ran. */
const VERSION_1 = {
  version: 1,
  spec: { name: 'web', image: 'busybox', command: ['sleep', '600'], env: {}, volumes: [], ports: [], restart: { mode: 'no' }, stopTimeoutSec: 10 },
  imageId: '0123456789abcdef',
  imageName: 'busybox:latest',
  runtime: 'runc',
  rootfsMode: 'overlay',
  createdAt: '2026-01-01T00:00:00.000Z',
  desired: 'running',
  restartCount: 0,
  lastExit: null,
  run: { shimPid: 4242, shimStart: '123456', containerPid: 4250, startedAt: '2026-01-01T00:00:01.000Z', paused: false, network: null },
  restartAt: null,
};

describe('capsule records', () => {
  it('loads a version 1 record with its shim run, and writes it back as version 2', async () => {
    const file = join(dir, 'capsule.json');
    await writeFile(file, JSON.stringify(VERSION_1));
    const rec = await readRecord(CAPSULE_RECORD, file);
    expect(rec?.run).toEqual({ monitor: 'nova-shim', monitorPid: 4242, monitorStart: '123456', containerPid: 4250, startedAt: '2026-01-01T00:00:01.000Z', paused: false, network: null });
    expect(capsuleView('web', rec!)).toMatchObject({ name: 'web', state: 'running', pid: 4250, userNamespace: { enabled: false } });
    const written = JSON.parse(await readFile(file, 'utf8')) as { version: number; run: { monitor: string } };
    expect(written.version).toBe(2);
    expect(written.run.monitor).toBe('nova-shim');
    expect(await readRecord(CAPSULE_RECORD, file)).toEqual(rec);
  });

  it('loads a stopped version 1 record as it was', async () => {
    const file = join(dir, 'stopped.json');
    const exit = { exitCode: 0, signal: null, reason: 'exited', at: '2026-01-01T00:00:02.000Z' };
    await writeFile(file, JSON.stringify({ ...VERSION_1, desired: 'stopped', run: null, lastExit: exit }));
    const rec = await readRecord(CAPSULE_RECORD, file);
    expect(capsuleView('web', rec!)).toMatchObject({ state: 'stopped', lastExit: exit, pid: null });
  });

  it('reads snapshot records written without a version', async () => {
    const snapshots = join(dir, 'snapshots');
    const store = new RecordStore(SNAPSHOT_RECORD, snapshots);
    await store.save('new', { name: 'new', createdAt: '2026-01-02T00:00:00.000Z', sizeBytes: 10, kind: 'archive' });
    await writeFile(join(snapshots, 'old.json'), JSON.stringify({ name: 'old', createdAt: '2026-01-01T00:00:00.000Z', sizeBytes: null, kind: 'btrfs' }));
    await writeFile(join(snapshots, 'old.tar'), '');
    const { records, damaged } = await store.loadAll();
    expect(damaged).toEqual([]);
    expect([...records.keys()]).toEqual(['new', 'old']);
    expect(records.get('old')).toMatchObject({ kind: 'btrfs', sizeBytes: null });
  });
});
