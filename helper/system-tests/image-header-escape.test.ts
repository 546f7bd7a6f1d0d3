// Disk images are untrusted: their own headers name other files (a qcow2's backing
// file, its external data file, a VMDK's extents), and a header that names a file outside
// the allowed folders must never make the helper, qemu-img or QEMU read it. Against the
// real helper with strace attached: each such image is refused at import and as a VM's
// disk (linked or in place), a disk rewritten after create to point out is refused at
// start, and the root-only secret is never opened nor copied anywhere Nova keeps files.
import { execFileSync } from 'node:child_process';
import { chmod, copyFile, mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HelperClient } from '../../src-main/core/helper-client.js';
import type { OpenTrace } from './fixtures/open-trace.js';
import { filesHolding, startTracedHelper, type TracedHelper } from './fixtures/traced-helper.js';
import { makeTestDir, removeTestDir, type RunningHelper } from './helper-harness.js';

const PREFIX = 'nv12i';
const MARKER = 'NV12I-SECRET-MARKER\n';
const MIB = 1024 * 1024;

let dir = '';
let inside = '';
let outside = '';
let secret = '';
let traced: TracedHelper | undefined;
let helper: RunningHelper;
let client: HelperClient;
let trace: OpenTrace;

const qemuImg = (...args: string[]) => execFileSync('qemu-img', args, { stdio: ['ignore', 'ignore', 'pipe'] });

const vmDisk = (name: string, image: string, linkedImage: boolean) => ({ name, image, linkedImage, memory: '128Mi', display: 'none' as const });

beforeAll(async () => {
  dir = await makeTestDir(`${PREFIX}-hdr`);
  inside = join(dir, 'inside');
  outside = join(dir, 'outside');
  await mkdir(inside);
  await mkdir(outside, { mode: 0o700 });
  secret = join(outside, 'secret');
  // The data-file image is made first: qemu-img creates its data file, which then becomes the secret.
  qemuImg('create', '-q', '-f', 'qcow2', '-o', `data_file=${secret},data_file_raw=on`, join(inside, 'data-file.qcow2'), '1M');
  await writeFile(secret, MARKER.repeat(MIB / MARKER.length + 1).slice(0, MIB), { mode: 0o600 });
  await chmod(secret, 0o600);
  qemuImg('create', '-q', '-f', 'qcow2', '-u', '-b', secret, '-F', 'raw', join(inside, 'backing.qcow2'), '1M');
  qemuImg('create', '-q', '-f', 'qcow2', '-u', '-b', '../outside/secret', '-F', 'raw', join(inside, 'backing-relative.qcow2'), '1M');
  await writeFile(
    join(inside, 'extent.vmdk'),
    ['# Disk DescriptorFile', 'version=1', 'CID=12345678', 'parentCID=ffffffff', 'createType="monolithicFlat"', '', `RW 2048 FLAT "${secret}" 0`, '', 'ddb.adapterType = "ide"', ''].join('\n'),
  );
  qemuImg('create', '-q', '-f', 'qcow2', join(inside, 'clean.qcow2'), '16M');
  qemuImg('create', '-q', '-f', 'qcow2', join(inside, 'base.qcow2'), '16M');
  // A chain that stays inside: an overlay on a raw base holding data of its own.
  await writeFile(join(inside, 'chain-base.raw'), Buffer.alloc(MIB, 'NV12I-CHAIN-BASE\n'));
  qemuImg('create', '-q', '-f', 'qcow2', '-b', 'chain-base.raw', '-F', 'raw', join(inside, 'chain-top.qcow2'));

  traced = await startTracedHelper(dir, inside);
  ({ helper, client, trace } = traced);
}, 60_000);

afterAll(async () => {
  // The helper's stop removes the folder too; without a helper, only the folder is left.
  if (traced) await traced.stop();
  else if (dir) await removeTestDir(dir);
});

const cases = [
  ['a qcow2 whose backing file is the secret', 'backing.qcow2', /backing file .*is outside the allowed folders/],
  ['a qcow2 whose backing file reaches the secret by ".."', 'backing-relative.qcow2', /backing file .*is outside the allowed folders/],
  ['a qcow2 that keeps its data in the secret (external data file)', 'data-file.qcow2', /external data file/],
  ['a VMDK whose extent is the secret', 'extent.vmdk', /VMDK .*several files|extent/],
] as const;

describe('an image whose header names a file outside the allowed folders', () => {
  for (const [label, file, why] of cases) {
    it(`${label}: refused at import, nothing kept`, async () => {
      const name = `${PREFIX}-${file.replace(/\W/g, '-')}`;
      await expect(client.call('image.import', { path: join(inside, file), name })).rejects.toMatchObject({ code: 'invalid_argument', message: expect.stringMatching(why) });
      expect(await client.call('image.list', {})).toEqual([]);
      expect(await readdir(join(helper.stateDir, 'images'))).toEqual([]);
    });

    it(`${label}: refused as a VM's disk, linked or used in place`, async () => {
      for (const linked of [true, false]) {
        const name = `${PREFIX}-${file.replace(/\W/g, '-')}-${linked ? 'linked' : 'direct'}`;
        await expect(client.call('vm.create', vmDisk(name, join(inside, file), linked))).rejects.toMatchObject({ code: 'invalid_argument', message: expect.stringMatching(why) });
      }
      expect(await client.call('vm.list', {})).toEqual({ vms: [], broken: [] });
    });
  }
});

describe('a disk rewritten after create to point outside', () => {
  it('is refused at start when the image used in place now has the secret as backing file', async () => {
    const name = `${PREFIX}-inplace`;
    await client.call('vm.create', vmDisk(name, join(inside, 'clean.qcow2'), false));
    qemuImg('rebase', '-u', '-f', 'qcow2', '-b', secret, '-F', 'raw', join(inside, 'clean.qcow2'));
    await expect(client.call('vm.start', { name })).rejects.toMatchObject({ code: 'invalid_argument', message: expect.stringMatching(/backing file .*is outside the allowed folders/) });
    expect((await client.call('vm.get', { name })).state).toBe('stopped');
    await client.call('vm.delete', { name });
  });

  it('is refused at start when the image used in place now keeps its data in the secret', async () => {
    const name = `${PREFIX}-datafile`;
    const disk = join(inside, 'clean-too.qcow2');
    qemuImg('create', '-q', '-f', 'qcow2', disk, '1M');
    await client.call('vm.create', vmDisk(name, disk, false));
    await copyFile(join(inside, 'data-file.qcow2'), disk);
    await expect(client.call('vm.start', { name })).rejects.toMatchObject({ code: 'invalid_argument', message: expect.stringMatching(/external data file/) });
    expect((await client.call('vm.get', { name })).state).toBe('stopped');
    await client.call('vm.delete', { name });
  });

  it("is refused at start when the VM's own overlay now has the secret as backing file", async () => {
    const name = `${PREFIX}-overlay`;
    const vm = await client.call('vm.create', vmDisk(name, join(inside, 'base.qcow2'), true));
    // What a caller could do once QEMU runs as them and the overlay is theirs.
    qemuImg('rebase', '-u', '-f', 'qcow2', '-b', secret, '-F', 'raw', vm.definition.disks[0]!.path);
    await expect(client.call('vm.start', { name })).rejects.toMatchObject({ code: 'invalid_argument', message: expect.stringMatching(/backing file .*is outside the allowed folders/) });
    expect((await client.call('vm.get', { name })).state).toBe('stopped');
    await client.call('vm.delete', { name });
  });
});

describe('a chain that stays inside the allowed folders', () => {
  it('imports as one standalone qcow2 holding what the chain reads', async () => {
    const name = `${PREFIX}-chain`;
    const image = await client.call('image.import', { path: join(inside, 'chain-top.qcow2'), name });
    const info = JSON.parse(execFileSync('qemu-img', ['info', '--output=json', '-f', 'qcow2', image.path], { encoding: 'utf8' })) as Record<string, unknown>;
    expect(info['backing-filename']).toBeUndefined();
    expect((info['format-specific'] as { data: Record<string, unknown> }).data['data-file']).toBeUndefined();
    // Same guest-visible bytes as the chain it came from (exit 0), which is not empty.
    expect(() => qemuImg('compare', '-q', '-f', 'qcow2', '-F', 'qcow2', join(inside, 'chain-top.qcow2'), image.path)).not.toThrow();
    expect(await filesHolding(join(helper.stateDir, 'images'), 'NV12I-CHAIN-BASE')).toEqual([`${name}.qcow2`]);
    await client.call('image.remove', { name });
  });
});

describe('the secret', () => {
  it('was never opened by the helper, qemu-img or QEMU, and is in no file Nova keeps', async () => {
    expect(await trace.openedUnder(outside)).toEqual([]);
    expect(await filesHolding(helper.stateDir, MARKER)).toEqual([]);
  });
});
