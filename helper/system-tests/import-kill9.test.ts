// A helper killed with SIGKILL in the middle of an import leaves nothing once the next
// one has started: against the real helper, qemu-img and umoci, each import's tool is
// frozen (SIGSTOP) mid-way so the kill lands while it works; the tool is still there
// after the kill (nothing else stops it), and the restarted helper kills it, removes the
// partial image and lists nothing.
import { execFileSync } from 'node:child_process';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HelperClient } from '../../src-main/core/helper-client.js';
import { startConnectedHelper } from './fixtures/connected-helper.js';
import { commandOf, freezeWhenRunning, killMatching, processesMatching, qemuImgConvertOf, writeSparseDisk, type ArgvMatch } from './fixtures/frozen-child.js';
import { makeTestDir, removeTestDir, type RunningHelper } from './helper-harness.js';

const PREFIX = 'nv4r';

let dir = '';
let helper: RunningHelper | null = null;
let client: HelperClient | null = null;

const stateDir = () => join(dir, 'state');
const inState = (text: string): ArgvMatch => (argv) => argv.some((a) => a.includes(stateDir()) && a.includes(text));

async function start(): Promise<HelperClient> {
  ({ helper, client } = await startConnectedHelper(dir));
  return client;
}

/** kill -9 the helper while `tool` is frozen mid-way, and check the tool outlived it. */
async function killHelperDuring(call: Promise<unknown>, tool: ArgvMatch, what: string): Promise<number> {
  call.catch(() => undefined);
  const frozen = await freezeWhenRunning(tool, 60_000, what);
  client?.close();
  client = null;
  await helper!.kill('SIGKILL');
  helper = null;
  // Left running by the killed helper: what the next start must find and stop.
  expect(await processesMatching(tool)).toContain(frozen.pid);
  return frozen.pid;
}

beforeAll(async () => {
  dir = await makeTestDir(PREFIX);
  await start();
}, 60_000);

afterAll(async () => {
  client?.close();
  await helper?.stop();
  await killMatching(inState(''));
  if (dir) await removeTestDir(dir);
});

describe('kill -9 of the helper mid-import', () => {
  it('disk import: the next helper stops qemu-img, removes the partial file, lists no image', async () => {
    // 64 GiB virtual, 768 MiB of data: seconds of conversion, so the freeze lands mid-way.
    await writeSparseDisk(join(dir, 'big.raw'), 64, 768);
    const importing = client!.call('image.import', { path: join(dir, 'big.raw'), name: `${PREFIX}-disk` });
    const pid = await killHelperDuring(importing, qemuImgConvertOf(join(dir, 'big.raw')), 'the conversion');
    expect(await readdir(join(stateDir(), 'images'))).toEqual([`.import-${PREFIX}-disk.qcow2`]);

    const c = await start();
    expect(await processesMatching(qemuImgConvertOf(join(dir, 'big.raw')))).not.toContain(pid);
    expect(await processesMatching(commandOf('qemu-img', stateDir()))).toEqual([]);
    expect(await readdir(join(stateDir(), 'images'))).toEqual([]);
    expect(await c.call('image.list', {})).toEqual([]);
    expect(helper!.logs()).toContain('removed what an interrupted helper left');
  });

  it('OCI import: the next helper stops umoci, removes the .tmp folder, lists no image', async () => {
    const root = join(dir, 'rootfs');
    await mkdir(join(root, 'etc'), { recursive: true });
    await writeFile(join(root, 'etc', 'hostname'), 'nv4r\n');
    // A large layer, so umoci is still at work when frozen.
    execFileSync('dd', ['if=/dev/zero', `of=${join(root, 'blob')}`, 'bs=1M', 'count=256', 'status=none']);
    execFileSync('tar', ['-cf', join(dir, 'rootfs.tar'), '-C', root, '.']);
    const importing = client!.call('ociImage.import', { path: join(dir, 'rootfs.tar'), name: `${PREFIX}-oci` });
    const umoci = (argv: readonly string[], pid: number) => commandOf('umoci', 'add-layer')(argv, pid) && inState('/capsule-images/.tmp-')(argv, pid);
    await killHelperDuring(importing, umoci, 'umoci adding the layer');
    expect((await readdir(join(stateDir(), 'capsule-images'))).filter((f) => f.startsWith('.tmp-'))).toHaveLength(1);

    const c = await start();
    expect(await processesMatching(inState('/capsule-images/.tmp-'))).toEqual([]);
    for (const tool of ['umoci', 'skopeo']) expect(await processesMatching(commandOf(tool, stateDir()))).toEqual([]);
    expect((await readdir(join(stateDir(), 'capsule-images'))).filter((f) => f.startsWith('.tmp-'))).toEqual([]);
    expect((await c.call('ociImage.list', {})).images).toEqual([]);
  });
});
