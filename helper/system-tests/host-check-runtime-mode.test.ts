// The host check names the runtime capsules really get, in the mode they really run in
// (a user namespace with Nova's id range). The helper runs in a private mount namespace
// the test makes, where crun works (cgroup v2's hybrid mount taken away) but cannot make
// a user namespace: this machine's crun can, so within that namespace only, /usr/bin/crun
// is a wrapper that runs the real crun and refuses a config with a user namespace, as
// crun does where the kernel or a seccomp policy denies them. runc works in both modes.
// Before the fix, the host check said "Capsules will use crun" while the capsule then ran
// with crun and without a user namespace (root inside was root on the host).
import { randomBytes } from 'node:crypto';
import { chmod, copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HelperClient } from '../../src-main/core/helper-client.js';
import { makeBusyboxRootfs, removeHelperCapsuleState } from './fixtures/capsule-harness.js';
import { makeTestDir, startHelper, type RunningHelper } from './helper-harness.js';

const RUN = randomBytes(3).toString('hex');
const CAPSULE = `nv12w-${RUN}-box`;
const IMAGE = `nv12w-${RUN}-bb`;
let dir = '';
let helper: RunningHelper | null = null;
let client: HelperClient | null = null;
let rootfsTar = '';

/** crun, except that a container with a user namespace is refused before it starts. */
function crunWithoutUserNamespaces(realCrun: string): string {
  return [
    '#!/bin/sh',
    'bundle=; prev=',
    'for a in "$@"; do [ "$prev" = --bundle ] && bundle=$a; prev=$a; done',
    'if [ -n "$bundle" ] && grep -q \'"type": *"user"\' "$bundle/config.json"; then',
    '  echo "crun: unshare(CLONE_NEWUSER): Operation not permitted" >&2; exit 1',
    'fi',
    `exec ${realCrun} "$@"`,
    '',
  ].join('\n');
}

beforeAll(async () => {
  dir = await makeTestDir(`nv12w-rt-${RUN}`);
  rootfsTar = await makeBusyboxRootfs(dir);
  await mkdir(join(dir, 'vols'));
  const realCrun = join(dir, 'crun.real');
  const wrapper = join(dir, 'crun-no-userns');
  await copyFile('/usr/bin/crun', realCrun);
  await writeFile(wrapper, crunWithoutUserNamespaces(realCrun));
  await chmod(wrapper, 0o755);
  // Everything the wrapper changes lives and dies in the helper's own mount namespace.
  const setup = 'umount /sys/fs/cgroup/unified && mount --bind "$0" /usr/bin/crun && exec "$@"';
  helper = await startHelper(dir, {
    wrapper: ['unshare', '--mount', '--propagation', 'private', 'sh', '-c', setup, wrapper],
    extraArgs: ['--run-dir', join(dir, 'run'), '--allowed-root', dir, '--volume-root', join(dir, 'vols')],
  });
  client = new HelperClient({ socketPath: helper.socketPath, reconnect: false });
  client.start();
  await client.waitForConnection();
}, 120_000);

afterAll(async () => {
  await client?.call('capsule.delete', { name: CAPSULE, force: true }).catch(() => undefined);
  client?.close();
  await helper?.stop();
  if (dir) await removeHelperCapsuleState(dir, [CAPSULE]);
});

describe('the host check probes the mode capsules run in', () => {
  it('names the runtime a new capsule then gets, with a user namespace', async () => {
    const report = await client!.call('host.check', { refresh: true });
    const item = (id: string) => report.items.find((i) => i.id === id);
    // crun works here without a user namespace: the plain probe alone would pick it.
    expect(item('oci-runtime.crun')?.evidence.join(' ')).toMatch(/test container ran and exited 0/);
    expect(report.ociRuntime).toBe('runc');
    expect(item('oci-runtime')?.summary).toMatch(/^Capsules will use runc, in user namespaces/);
    expect(item('oci-runtime.crun')?.evidence.join(' ')).toMatch(/user namespace.*Operation not permitted/);

    await client!.call('ociImage.import', { path: rootfsTar, name: IMAGE });
    const created = await client!.call('capsule.create', { name: CAPSULE, image: IMAGE, command: ['sleep', '30'] } as never);
    expect(created.runtime).toBe(report.ociRuntime);
    expect(created.userNamespace).toMatchObject({ enabled: true, reason: null });
  }, 120_000);
});
