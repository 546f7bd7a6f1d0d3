// The start-up sweep on a state dir laid out as a killed helper leaves it: every kind of
// Nova temporary goes, and nothing else does (records, images, a capsule's own files,
// names that only look alike). The processes half is tested with real tools in
// helper/system-tests/import-kill9.test.ts.
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { silentLogger } from '../util/logger.js';
import { statePlaces, sweepLeftovers } from './startup-sweep.js';

let state = '';

beforeEach(async () => {
  state = await mkdtemp(join(tmpdir(), 'nv4r-sweep-'));
});

afterEach(async () => {
  await rm(state, { recursive: true, force: true });
});

async function lay(files: readonly string[]): Promise<void> {
  for (const f of files) {
    await mkdir(dirname(join(state, f)), { recursive: true });
    await writeFile(join(state, f), '{}');
  }
}

async function tree(dir = state): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await tree(path)));
    else out.push(relative(state, path));
  }
  return out.sort();
}

it('removes each kind of Nova temporary, and nothing else', async () => {
  const kept = [
    'vms/web.json',
    'vms/web/disk0.qcow2',
    'networks/lab.json',
    'operations/op1.json',
    'images/debian.qcow2',
    'images/debian.json',
    'capsules/app/capsule.json',
    'capsules/app/layer/upper/.x.0123456789ab.tmp',
    'capsule-images/0123456789abcdef/image.json',
    'capsule-images/0123456789abcdef/bundle-1000-65536/rootfs/etc/hostname',
    'capsule-images/.tmp-short/oci/index.json',
    'images/import-not-hidden.qcow2',
  ];
  const leftovers = [
    'vms/.web.json.0123456789ab.tmp',
    'networks/.lab.json.abcdef012345.tmp',
    'capsules/app/.capsule.json.00112233aabb.tmp',
    'capsules/.creating-db/bundle/config.json',
    'capsules/.deleting-old/layer/file',
    'capsule-images/.tmp-fedcba9876543210/oci/index.json',
    'capsule-images/0123456789abcdef/bundle-1000-65536.tmp/rootfs/bin/sh',
    'images/.import-debian.qcow2',
  ];
  await lay([...kept, ...leftovers]);
  const report = await sweepLeftovers(await statePlaces(state), silentLogger());
  expect(await tree()).toEqual([...kept].sort());
  expect(report.killed).toEqual([]);
  expect(report.removed).toHaveLength(leftovers.length);
});

it('does nothing on a state dir with nothing left over, or none at all', async () => {
  expect(await sweepLeftovers(await statePlaces(join(state, 'absent')), silentLogger())).toEqual({ removed: [], killed: [] });
  await lay(['vms/web.json']);
  expect(await sweepLeftovers(await statePlaces(state), silentLogger())).toEqual({ removed: [], killed: [] });
});
