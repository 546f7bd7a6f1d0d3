// `nova snapshot capsule NAME [SNAPSHOT]` and `nova snapshot ls|restore|rm capsule ...` from
// the real CLI against a real helper and runc: a snapshot taken while the capsule runs
// brings back the file it had then, the listing shows it, rm removes it, and a capsule that
// does not exist is refused in words with a failing exit code.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeBusyboxRootfs } from './fixtures/capsule-harness.js';
import { startCapsuleHelper, stopCapsuleHelper, type CapsuleHelper } from './fixtures/capsule-helper.js';
import { CLI_BUNDLE, makeTestDir } from './helper-harness.js';

const RUN = randomBytes(3).toString('hex');
const CAPSULE = `nv16c-snap-${RUN}`;
const IMAGE = `nv16c-snap-${RUN}-busybox`;
let dir = '';
let h: CapsuleHelper | null = null;

beforeAll(async () => {
  dir = await makeTestDir(`nv16c-snap-${RUN}`);
  const rootfs = await makeBusyboxRootfs(dir);
  await mkdir(join(dir, 'vols'));
  h = await startCapsuleHelper(dir);
  await h.client.call('ociImage.import', { path: rootfs, name: IMAGE });
  await h.client.call('capsule.create', { name: CAPSULE, image: IMAGE, command: ['sleep', '600'], stopTimeoutSec: 1 });
  await h.client.call('capsule.start', { name: CAPSULE });
}, 120_000);

afterAll(async () => {
  await stopCapsuleHelper(h, dir, [CAPSULE]);
});

function nova(...args: string[]) {
  return spawnSync(process.execPath, [CLI_BUNDLE, '--socket', h!.helper.socketPath, '--no-autostart', ...args], { encoding: 'utf8', timeout: 120_000 });
}

async function note(): Promise<string> {
  const r = await h!.client.call('capsule.exec', { name: CAPSULE, command: ['cat', '/note'] });
  return r.stdout.trim();
}

async function write(text: string): Promise<void> {
  const r = await h!.client.call('capsule.exec', { name: CAPSULE, command: ['sh', '-c', `echo ${text} > /note`] });
  expect(r.exitCode).toBe(0);
}

describe('capsule snapshots from the CLI', () => {
  it('takes, lists, restores and removes one', async () => {
    await write('before');
    const taken = nova('snapshot', 'capsule', CAPSULE, 'first');
    expect(taken.status, taken.stderr).toBe(0);
    expect(taken.stdout).toContain(`${CAPSULE}: snapshot first`);

    const listed = nova('snapshot', 'ls', 'capsule', CAPSULE);
    expect(listed.status, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/^NAME\s+KIND\s+SIZE\s+CREATED$/m);
    expect(listed.stdout).toMatch(/^first\s+(archive|btrfs)\s/m);
    const json = JSON.parse(nova('snapshot', 'ls', 'capsule', CAPSULE, '--json').stdout) as { snapshots: Array<{ name: string }> };
    expect(json.snapshots.map((s) => s.name)).toEqual(['first']);

    await write('after');
    // Restoring needs the capsule stopped: the CLI says so in words.
    const refused = nova('snapshot', 'restore', 'capsule', CAPSULE, 'first');
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/stop it before restoring/);

    expect(nova('capsule', 'stop', CAPSULE).status).toBe(0);
    const restored = nova('snapshot', 'restore', 'capsule', CAPSULE, 'first');
    expect(restored.status, restored.stderr).toBe(0);
    expect(restored.stdout).toContain(`${CAPSULE}: restored first`);
    await h!.client.call('capsule.start', { name: CAPSULE });
    expect(await note()).toBe('before');

    const removed = nova('snapshot', 'rm', 'capsule', CAPSULE, 'first');
    expect(removed.status, removed.stderr).toBe(0);
    expect(nova('snapshot', 'ls', 'capsule', CAPSULE).stdout).toContain('No snapshots yet');
  }, 240_000);

  it('names a missing capsule and fails', () => {
    const r = nova('snapshot', 'ls', 'capsule', `nv16c-none-${RUN}`);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`nv16c-none-${RUN}`);
  });
});
