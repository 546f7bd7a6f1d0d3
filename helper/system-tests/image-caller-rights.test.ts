// A caller polkit lets manage VMs and capsules is still only themselves on the host: an
// image, an archive to import or a file their disk's header names must be theirs to read.
// Against the real helper and a private polkitd with a rule for `nobody`: nobody's own
// files import, while a root-only file inside the allowed folder (named directly, or as
// the backing file of nobody's qcow2) is refused and none of its bytes reach the library.
import { execFileSync } from 'node:child_process';
import { chmod, chown, mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POLKIT_ACTIONS } from '../../src-shared/actions.js';
import { filesHolding } from './fixtures/traced-helper.js';
import { makeTestDir, rawCall, removeTestDir, request, startHelper, type RunningHelper } from './helper-harness.js';
import { polkitAvailable, startPolkit, type PolkitHarness } from './polkit-harness.js';

const PREFIX = 'nv12i';
const ROOT_ONLY = 'NV12I-ROOT-ONLY\n';
const MIB = 1024 * 1024;
const NOBODY = 65534;

let dir = '';
let inside = '';
let helper: RunningHelper;
let polkit: PolkitHarness;

const filled = (text: string, bytes: number) => Buffer.from(text.repeat(Math.ceil(bytes / text.length)).slice(0, bytes));

/** What the helper answers `nobody`: the result, or the error's code and message. */
async function asNobody(method: string, params: unknown): Promise<{ result?: unknown; code?: string; message?: string }> {
  const { replies, stderr } = await rawCall(helper.socketPath, [request(1, method, params)], true);
  const reply = replies[0];
  if (!reply) throw new Error(`no reply to ${method} for nobody: ${stderr}`);
  const data = (reply.error as { data?: { code: string; message: string } } | undefined)?.data;
  return data ? { code: data.code, message: data.message } : { result: reply.result };
}

beforeAll(async () => {
  if (!polkitAvailable()) throw new Error('polkit is not installed: run .ci/bootstrap (apt-get install dbus polkitd pkexec)');
  dir = await makeTestDir(`${PREFIX}-rights`);
  inside = join(dir, 'inside');
  await mkdir(inside, { mode: 0o755 });
  await chmod(inside, 0o755);
  await writeFile(join(inside, 'root-only.raw'), filled(ROOT_ONLY, MIB), { mode: 0o600 });
  await writeFile(join(inside, 'nobodys.raw'), filled('NV12I-NOBODYS-OWN\n', MIB), { mode: 0o644 });
  execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-u', '-b', join(inside, 'root-only.raw'), '-F', 'raw', join(inside, 'on-root-only.qcow2'), '1M']);
  // nobody's own disk (to use in place, theirs to write); only its backing file is root's.
  await chown(join(inside, 'on-root-only.qcow2'), NOBODY, NOBODY);
  const rootfs = join(dir, 'rootfs');
  await mkdir(join(rootfs, 'etc'), { recursive: true });
  await writeFile(join(rootfs, 'etc', 'root-only'), ROOT_ONLY);
  execFileSync('tar', ['-cf', join(inside, 'root-only.tar'), '-C', rootfs, '.']);
  await chmod(join(inside, 'root-only.tar'), 0o600);

  polkit = await startPolkit(`${PREFIX}-rights`);
  await polkit.allow('vm', POLKIT_ACTIONS.vmManage, 'nobody');
  await polkit.allow('capsule', POLKIT_ACTIONS.capsuleManage, 'nobody');
  helper = await startHelper(dir, { extraArgs: ['--allowed-root', inside] });
}, 120_000);

afterAll(async () => {
  try {
    await helper?.stop();
  } finally {
    await polkit?.stop();
    if (dir) await removeTestDir(dir);
  }
});

describe("files inside the allowed folder that are not the caller's", () => {
  it("imports nobody's own disk", async () => {
    const r = await asNobody('image.import', { path: join(inside, 'nobodys.raw'), name: `${PREFIX}-own` });
    expect(r.code).toBeUndefined();
    expect(r.result).toMatchObject({ name: `${PREFIX}-own`, format: 'qcow2' });
  });

  it('refuses to import a root-only disk for nobody', async () => {
    expect(await asNobody('image.import', { path: join(inside, 'root-only.raw'), name: `${PREFIX}-direct` })).toMatchObject({ code: 'not_authorized' });
  });

  it("refuses nobody's qcow2 whose backing file is root-only, at import and as a VM's disk", async () => {
    const image = join(inside, 'on-root-only.qcow2');
    expect(await asNobody('image.import', { path: image, name: `${PREFIX}-backed` })).toMatchObject({ code: 'not_authorized', message: expect.stringMatching(/backing file/) });
    for (const linkedImage of [true, false]) {
      const vm = { name: `${PREFIX}-backed-${linkedImage ? 'linked' : 'direct'}`, image, linkedImage, memory: '128Mi', display: 'none' };
      expect(await asNobody('vm.create', vm)).toMatchObject({ code: 'not_authorized', message: expect.stringMatching(/backing file/) });
    }
  });

  it('refuses to import a root-only archive as an OCI image for nobody', async () => {
    expect(await asNobody('ociImage.import', { path: join(inside, 'root-only.tar'), name: `${PREFIX}-oci` })).toMatchObject({ code: 'not_authorized' });
  });

  it("left none of root's bytes in the library and made no VM", async () => {
    expect(await filesHolding(join(helper.stateDir, 'images'), ROOT_ONLY)).toEqual([]);
    expect((await readdir(join(helper.stateDir, 'images'))).filter((f) => !f.startsWith(`${PREFIX}-own.`))).toEqual([]);
    expect(await readdir(join(helper.stateDir, 'vms')).catch(() => [])).toEqual([]);
  });
});
