// Capsule snapshots as btrfs subvolume snapshots, with the real runc on a loop-mounted btrfs
// holding the capsules: the layer is a subvolume from creation, snapshots (running or not)
// are read-only subvolumes, restore brings old content back, deletes leave no subvolume, in
// overlay and copy mode and in a user namespace; a layer that is no subvolume (an older
// capsule, another filesystem) keeps archive snapshots.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CapsuleManager, type CapsuleManagerOptions } from '../src/capsule/capsule-manager.js';
import { ImageStore } from '../src/capsule/image-store.js';
import { runtimeResolver } from '../src/capsule/runtime-resolver.js';
import { realHostProbeEnv } from '../src/host-check/host-probe-env.js';
import { ProcessRunner } from '../src/process/process-runner.js';
import { makeBusyboxRootfs, removeCapsuleTestState, testLogger, testOperations } from './fixtures/capsule-harness.js';
import { capsuleSpec } from './fixtures/contract-params.js';

const TAG = `nv5b-${randomBytes(3).toString('hex')}`;
const IMAGE = 'nv5b-busybox';
/** A fixed id range for the user-namespace case, far above any real user. */
const USERNS_HOST_ID = 0x7b500000;

interface Site {
  stateDir: string;
  cgroupParent: string;
  manager: CapsuleManager;
}

let dir = '';
let image = '';
let mountPoint = '';
/** Capsules on btrfs (overlay mode, and copy mode in a second state dir on the same btrfs). */
let onBtrfs: Site;
let copyOnBtrfs: Site;
/** Capsules in user namespaces on btrfs: the layer belongs to the shifted root. */
let usernsOnBtrfs: Site;
/** Capsules on the ordinary filesystem of the temp dir. */
let plain: Site;
const sites: Site[] = [];

function sh(argv: string[]): string {
  const [file, ...args] = argv as [string, ...string[]];
  return execFileSync(file, args, { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * The subvolumes of one capsule on the test's btrfs, relative to its dir; those of its dir
 * while being made or deleted (`.creating-NAME`, `.deleting-NAME`) keep that prefix.
 */
function subvolumes(stateDir: string, capsule: string): string[] {
  const capsules = `${stateDir.slice(mountPoint.length + 1)}/capsules/`;
  const own = new Set([capsule, `.creating-${capsule}`, `.deleting-${capsule}`]);
  return sh(['btrfs', 'subvolume', 'list', mountPoint])
    .split('\n')
    .map((l) => / path (.+)$/.exec(l)?.[1])
    .filter((p): p is string => p?.startsWith(capsules) === true)
    .map((p) => p.slice(capsules.length))
    .filter((p) => own.has(p.split('/')[0] ?? ''))
    .map((p) => (p.startsWith(`${capsule}/`) ? p.slice(capsule.length + 1) : p))
    .sort();
}

function isMounted(path: string): boolean {
  return sh(['cat', '/proc/self/mountinfo']).split('\n').some((l) => l.split(' ')[4] === path);
}

async function site(label: string, stateDir: string, rootfsTar: string, overrides: Partial<CapsuleManagerOptions> = {}): Promise<Site> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const runner = new ProcessRunner();
  const operations = testOperations();
  const images = new ImageStore({ stateDir, runner, operations });
  await images.import(rootfsTar, IMAGE);
  const cgroupParent = `/${TAG}-${label}`;
  const manager = new CapsuleManager({
    stateDir,
    images,
    runner,
    operations,
    logger: testLogger(),
    runtime: 'runc',
    resolveRuntime: runtimeResolver(realHostProbeEnv()),
    volumeRoots: [join(dir, 'vols')],
    containerIdPrefix: `${TAG}-${label}-`,
    cgroupParent,
    ...overrides,
  });
  const s = { stateDir, cgroupParent, manager };
  sites.push(s);
  await manager.recover();
  return s;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), `${TAG}-`));
  await mkdir(join(dir, 'vols'));
  image = join(dir, 'btrfs.img');
  mountPoint = join(dir, 'btrfs');
  await mkdir(mountPoint);
  sh(['truncate', '--size', '300M', image]);
  sh(['mkfs.btrfs', '-q', image]);
  // `-o loop` sets autoclear: the loop device goes with the last unmount.
  sh(['mount', '-o', 'loop', image, mountPoint]);
  const rootfsTar = await makeBusyboxRootfs(dir);
  onBtrfs = await site('bt', join(mountPoint, 'overlay-state'), rootfsTar, { forceRootfsMode: 'overlay' });
  copyOnBtrfs = await site('cp', join(mountPoint, 'copy-state'), rootfsTar, { forceRootfsMode: 'copy' });
  // mkdtemp makes the test dir 0700: the capsules' shifted root must be able to pass it.
  await chmod(dir, 0o711);
  usernsOnBtrfs = await site('un', join(mountPoint, 'userns-state'), rootfsTar, { forceRootfsMode: 'overlay', idMapping: { hostId: USERNS_HOST_ID, size: 65536 } });
  // As the helper's own state dir is (the user-namespace probe does this for an unfixed range).
  for (const d of [usernsOnBtrfs.stateDir, join(usernsOnBtrfs.stateDir, 'capsules')]) await chmod(d, 0o711);
  plain = await site('pl', join(dir, 'plain-state'), rootfsTar);
}, 120_000);

afterAll(async () => {
  for (const s of sites) await s.manager.close();
  // Containers, monitors, overlay mounts and cgroups of each state dir, then the btrfs itself.
  for (const s of sites) {
    await removeCapsuleTestState(s.stateDir, s.stateDir, [s.cgroupParent]).catch((err: unknown) => console.error(`cleanup of ${s.stateDir}:`, err));
  }
  if (mountPoint && isMounted(mountPoint)) {
    try {
      sh(['umount', mountPoint]);
    } catch {
      sh(['umount', '--lazy', mountPoint]);
    }
  }
  if (image && existsSync(image)) {
    // Autoclear should have detached it; a lazy unmount may not have yet.
    for (const line of sh(['losetup', '--associated', image]).split('\n')) {
      const dev = /^(\/dev\/loop\d+):/.exec(line)?.[1];
      if (dev) sh(['losetup', '--detach', dev]);
    }
  }
  if (dir) await rm(dir, { recursive: true, force: true });
}, 60_000);

async function stopped(m: CapsuleManager, name: string): Promise<void> {
  const c = await m.stop(name, 1);
  expect(c.state).toBe('stopped');
}

describe('capsule snapshots on btrfs', () => {
  it('makes the layer a subvolume, snapshots it while running and restores it while stopped', async () => {
    const m = onBtrfs.manager;
    const name = 'nv5b-snap';
    await m.create(capsuleSpec({ name, image: IMAGE, command: ['sleep', '600'] }));
    const capsuleDir = join(onBtrfs.stateDir, 'capsules', name);
    // upper and work share one subvolume: overlayfs renames between them, btrfs not across subvolumes.
    expect(subvolumes(onBtrfs.stateDir, name)).toEqual(['layer']);
    expect(lstatSync(join(capsuleDir, 'upper')).isSymbolicLink()).toBe(true);

    await m.start(name);
    // Changing an image file copies it up: the write that fails if work and upper were split.
    await m.exec(name, ['sh', '-c', 'echo version-1 > /root/state.txt; echo changed-1 >> /etc/motd; rm /etc/group']);
    const t0 = performance.now();
    const snap = await m.snapshotCreate(name, 'running');
    console.log(`btrfs snapshot of a running capsule: ${(performance.now() - t0).toFixed(0)} ms`);
    expect(snap).toMatchObject({ name: 'running', kind: 'btrfs', sizeBytes: null });
    expect((await m.get(name)).state).toBe('running');
    expect(subvolumes(onBtrfs.stateDir, name)).toEqual(['layer', 'snapshots/running']);
    expect(sh(['btrfs', 'property', 'get', '-ts', join(capsuleDir, 'snapshots', 'running'), 'ro']).trim()).toBe('ro=true');

    await m.exec(name, ['sh', '-c', 'echo version-2 > /root/state.txt; echo new > /etc/group; echo later > /root/later.txt']);
    await expect(m.snapshotRestore(name, 'running')).rejects.toMatchObject({ code: 'failed_precondition', message: expect.stringMatching(/stop it/) });
    await stopped(m, name);
    const t1 = performance.now();
    await m.snapshotRestore(name, 'running');
    console.log(`btrfs restore: ${(performance.now() - t1).toFixed(0)} ms`);
    await m.start(name);
    const r = await m.exec(name, ['sh', '-c', 'cat /root/state.txt /etc/motd; test -e /etc/group && echo group-present || echo group-deleted; test -e /root/later.txt && echo later-present || echo later-gone']);
    expect(r.stdout).toBe('version-1\nfrom the image\nchanged-1\ngroup-deleted\nlater-gone\n');
    // The restored layer is a writable subvolume again, and the old one is gone.
    expect(subvolumes(onBtrfs.stateDir, name)).toEqual(['layer', 'snapshots/running']);
    await m.exec(name, ['sh', '-c', 'echo after-restore > /root/state.txt']);
    await stopped(m, name);
  });

  it('snapshots a stopped capsule, lists and restores either snapshot, and deletes leave no subvolume', async () => {
    const m = onBtrfs.manager;
    const name = 'nv5b-snap';
    await m.snapshotCreate(name, 'stopped');
    expect((await m.snapshotList(name)).map((s) => [s.name, s.kind, s.sizeBytes])).toEqual([
      ['running', 'btrfs', null],
      ['stopped', 'btrfs', null],
    ]);
    await expect(m.snapshotCreate(name, 'stopped')).rejects.toMatchObject({ code: 'already_exists' });
    await m.snapshotRestore(name, 'running');
    await m.snapshotRestore(name, 'stopped');
    await m.start(name);
    expect((await m.exec(name, ['cat', '/root/state.txt'])).stdout).toBe('after-restore\n');
    // A snapshot can go while the capsule runs.
    await m.snapshotDelete(name, 'running');
    await expect(m.snapshotDelete(name, 'running')).rejects.toMatchObject({ code: 'not_found' });
    expect(subvolumes(onBtrfs.stateDir, name)).toEqual(['layer', 'snapshots/stopped']);
    expect((await m.snapshotList(name)).map((s) => s.name)).toEqual(['stopped']);
    // The capsule goes with its layer and its remaining (read-only) snapshot.
    await m.delete(name, true);
    expect(subvolumes(onBtrfs.stateDir, name)).toEqual([]);
    expect(existsSync(join(onBtrfs.stateDir, 'capsules', name))).toBe(false);
  });

  it('in copy mode the rootfs itself is the subvolume', async () => {
    const m = copyOnBtrfs.manager;
    const name = 'nv5b-copy';
    await m.create(capsuleSpec({ name, image: IMAGE, command: ['sleep', '600'] }));
    expect(subvolumes(copyOnBtrfs.stateDir, name)).toEqual(['bundle/rootfs']);
    await m.start(name);
    await m.exec(name, ['sh', '-c', 'echo copy-1 > /root/state.txt']);
    expect(await m.snapshotCreate(name, 'one')).toMatchObject({ kind: 'btrfs', sizeBytes: null });
    await m.exec(name, ['sh', '-c', 'echo copy-2 > /root/state.txt']);
    await stopped(m, name);
    await m.snapshotRestore(name, 'one');
    await m.start(name);
    expect((await m.exec(name, ['cat', '/root/state.txt'])).stdout).toBe('copy-1\n');
    await m.delete(name, true);
    expect(subvolumes(copyOnBtrfs.stateDir, name)).toEqual([]);
  });

  it('keeps archive snapshots for a layer on btrfs that is no subvolume (a capsule made before)', async () => {
    const m = onBtrfs.manager;
    const name = 'nv5b-legacy';
    await m.create(capsuleSpec({ name, image: IMAGE, command: ['sleep', '600'] }));
    // The layout of a capsule created before layers were subvolumes: plain upper and work.
    const capsuleDir = join(onBtrfs.stateDir, 'capsules', name);
    const upperStat = await stat(join(capsuleDir, 'upper'));
    // Nor was its rootfs mounted while it was stopped.
    sh(['umount', join(capsuleDir, 'bundle', 'rootfs')]);
    sh(['btrfs', 'subvolume', 'delete', join(capsuleDir, 'layer')]);
    for (const d of ['upper', 'work']) {
      await rm(join(capsuleDir, d));
      await mkdir(join(capsuleDir, d), { mode: 0o700 });
    }
    await chmod(join(capsuleDir, 'upper'), upperStat.mode & 0o7777);
    expect(subvolumes(onBtrfs.stateDir, name)).toEqual([]);
    await m.start(name);
    await m.exec(name, ['sh', '-c', 'echo legacy-1 > /root/state.txt']);
    const snap = await m.snapshotCreate(name, 'one');
    expect(snap.kind).toBe('archive');
    expect(snap.sizeBytes).toBeGreaterThan(0);
    await m.exec(name, ['sh', '-c', 'echo legacy-2 > /root/state.txt']);
    await stopped(m, name);
    await m.snapshotRestore(name, 'one');
    await m.start(name);
    expect((await m.exec(name, ['cat', '/root/state.txt'])).stdout).toBe('legacy-1\n');
    await m.delete(name, true);
    expect(subvolumes(onBtrfs.stateDir, name)).toEqual([]);
  });

  it('snapshots and restores the layer of a capsule in a user namespace', async () => {
    const m = usernsOnBtrfs.manager;
    const name = 'nv5b-userns';
    const c = await m.create(capsuleSpec({ name, image: IMAGE, command: ['sleep', '600'] }));
    expect(c.userNamespace?.hostId).toBe(USERNS_HOST_ID);
    expect(subvolumes(usernsOnBtrfs.stateDir, name)).toEqual(['layer']);
    // overlay's `/` is the upper dir: owned by the shifted root, through the symlink.
    expect((await stat(join(usernsOnBtrfs.stateDir, 'capsules', name, 'upper'))).uid).toBe(USERNS_HOST_ID);
    await m.start(name);
    await m.exec(name, ['sh', '-c', 'echo userns-1 > /root/state.txt; echo more >> /etc/motd']);
    expect(await m.snapshotCreate(name, 'one')).toMatchObject({ kind: 'btrfs' });
    await m.exec(name, ['sh', '-c', 'echo userns-2 > /root/state.txt']);
    await stopped(m, name);
    await m.snapshotRestore(name, 'one');
    await m.start(name);
    expect((await m.exec(name, ['sh', '-c', 'cat /root/state.txt; tail -n 1 /etc/motd; id -u'])).stdout).toBe('userns-1\nmore\n0\n');
    await m.delete(name, true);
    expect(subvolumes(usernsOnBtrfs.stateDir, name)).toEqual([]);
  });

  it('leaves no subvolume on the btrfs once its capsules are deleted', () => {
    expect(sh(['btrfs', 'subvolume', 'list', mountPoint]).trim()).toBe('');
  });

  it('keeps archive snapshots on an ordinary filesystem', async () => {
    const m = plain.manager;
    const name = 'nv5b-plain';
    await m.create(capsuleSpec({ name, image: IMAGE, command: ['sleep', '600'] }));
    const capsuleDir = join(plain.stateDir, 'capsules', name);
    expect(existsSync(join(capsuleDir, 'layer'))).toBe(false);
    expect(lstatSync(join(capsuleDir, 'upper')).isDirectory()).toBe(true);
    await m.start(name);
    await m.exec(name, ['sh', '-c', 'echo plain-1 > /root/state.txt']);
    const snap = await m.snapshotCreate(name, 'one');
    expect(snap.kind).toBe('archive');
    expect(snap.sizeBytes).toBeGreaterThan(0);
    expect(existsSync(join(capsuleDir, 'snapshots', 'one.tar'))).toBe(true);
    await m.exec(name, ['sh', '-c', 'echo plain-2 > /root/state.txt']);
    await stopped(m, name);
    await m.snapshotRestore(name, 'one');
    await m.start(name);
    expect((await m.exec(name, ['cat', '/root/state.txt'])).stdout).toBe('plain-1\n');
    await m.snapshotDelete(name, 'one');
    expect(await m.snapshotList(name)).toEqual([]);
    await m.delete(name, true);
    expect(existsSync(capsuleDir)).toBe(false);
  });
});
