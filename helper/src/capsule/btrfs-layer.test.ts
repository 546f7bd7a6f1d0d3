// Golden argv of the btrfs calls, and that nothing off btrfs is taken for a subvolume (so
// ordinary capsules never reach `btrfs`). The real subvolumes: system-tests/capsule-btrfs-snapshot.
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as b from './btrfs-layer.js';
import type { ProcessRunner } from '../process/process-runner.js';

describe('btrfs argv', () => {
  it('creates, snapshots (read-only or writable) and deletes subvolumes', () => {
    expect(b.subvolumeCreateArgv('/s/capsules/web/layer')).toEqual(['btrfs', 'subvolume', 'create', '/s/capsules/web/layer']);
    expect(b.subvolumeSnapshotArgv('/c/layer', '/c/snapshots/one', true)).toEqual(['btrfs', 'subvolume', 'snapshot', '-r', '/c/layer', '/c/snapshots/one']);
    expect(b.subvolumeSnapshotArgv('/c/snapshots/one', '/c/layer.restoring', false)).toEqual(['btrfs', 'subvolume', 'snapshot', '/c/snapshots/one', '/c/layer.restoring']);
    expect(b.subvolumeDeleteArgv(['/c/snapshots/one', '/c/layer'])).toEqual(['btrfs', 'subvolume', 'delete', '/c/snapshots/one', '/c/layer']);
  });
  it('knows btrfs by its statfs magic', () => {
    expect(b.BTRFS_SUPER_MAGIC).toBe(2435016766);
  });
});

describe('subvolumes off btrfs', () => {
  let dir: string;
  const calls: string[][] = [];
  const run: Pick<ProcessRunner, 'run'> = {
    run: async ({ argv }) => {
      calls.push([...argv]);
      return { exitCode: 0, signal: null, stdout: '', stderr: '', stopped: false, durationMs: 0 };
    },
  };
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nv5b-btrfs-unit-'));
    calls.length = 0;
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('takes no plain dir, file, symlink or missing path for a subvolume', async () => {
    await mkdir(join(dir, 'layer'));
    await writeFile(join(dir, 'file'), 'x');
    await symlink('layer', join(dir, 'link'));
    for (const p of ['layer', 'file', 'link', 'missing']) expect(await b.isSubvolume(join(dir, p))).toBe(false);
    expect(await b.isOnBtrfs(join(dir, 'missing'))).toBe(false);
  });

  it('removes a tree without calling btrfs when none of it is a subvolume', async () => {
    await mkdir(join(dir, 'cap', 'snapshots', 'one'), { recursive: true });
    await writeFile(join(dir, 'cap', 'snapshots', 'one.json'), '{}');
    const snaps = await b.childDirs(join(dir, 'cap', 'snapshots'));
    expect(snaps).toEqual([join(dir, 'cap', 'snapshots', 'one')]);
    expect(await b.childDirs(join(dir, 'nothing-here'))).toEqual([]);
    await b.removeTree(run, join(dir, 'cap'), [join(dir, 'cap', 'layer'), ...snaps]);
    expect(calls).toEqual([]);
    await expect(b.isOnBtrfs(join(dir, 'cap'))).resolves.toBe(false);
  });
});
