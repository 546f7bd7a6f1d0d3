// Volume sources found from their root by descriptor, against a temp tree with symlinks in
// and out of the root, a FIFO and a device: what a caller owning a folder there could plant.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isNovaError } from '../../../src-shared/errors.js';
import { checkVolume, locateVolume } from './volume-paths.js';

let dir = '';
let root = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nv12c-vol-'));
  root = join(dir, 'vols');
  await mkdir(join(root, 'data/sub'), { recursive: true });
  await writeFile(join(root, 'data/file.conf'), 'x');
  await mkdir(join(dir, 'outside'));
  await symlink(join(dir, 'outside'), join(root, 'escape'));
  await symlink(join(root, 'data/sub'), join(root, 'inner'));
  execFileSync('mkfifo', [join(root, 'fifo')]);
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

async function outcome(source: string, target = '/d'): Promise<string> {
  try {
    await checkVolume({ source, target, readOnly: false }, [root]);
    return 'ok';
  } catch (err) {
    return isNovaError(err) ? `${err.code}: ${err.message}` : `other: ${String(err)}`;
  }
}

describe('locateVolume', () => {
  it('finds a folder or a file inside the root, and the root itself', async () => {
    const { handle, stats } = await locateVolume({ source: join(root, 'data'), target: '/data', readOnly: true }, [root]);
    await handle.close();
    expect(stats.isDirectory()).toBe(true);
    expect(await outcome(join(root, 'data/file.conf'))).toBe('ok');
    expect(await outcome(root)).toBe('ok');
  });
  it('follows no symlink, not even one that stays inside the root, and never says where one points', async () => {
    expect(await outcome(join(root, 'escape'))).toMatch(/^invalid_argument: .*is a symbolic link/);
    expect(await outcome(join(root, 'inner'))).toMatch(/^invalid_argument: .*is a symbolic link/);
    expect(await outcome(join(root, 'escape', 'x'))).toMatch(/^invalid_argument: .*goes through a symbolic link/);
    expect(await outcome(join(root, 'escape'))).not.toContain(join(dir, 'outside'));
  });
  it('refuses a FIFO (without waiting on it) and a device', async () => {
    expect(await outcome(join(root, 'fifo'))).toMatch(/^invalid_argument: .*is a FIFO, not a folder or a regular file/);
    expect(await checkVolume({ source: '/dev/null', target: '/d', readOnly: false }, ['/dev']).catch((e: Error) => e.message)).toMatch(/is a device/);
  });
  it('refuses .. segments, paths outside every root, relative paths, a bad target, a missing source', async () => {
    expect(await outcome(`${root}/data/../../outside`)).toMatch(/^invalid_argument: .*"\.\."/);
    expect(await outcome('/etc')).toMatch(/^invalid_argument: .*outside the allowed volume roots/);
    expect(await outcome('data')).toMatch(/^invalid_argument: .*absolute/);
    expect(await outcome(join(root, 'data'), '/d/../x')).toMatch(/^invalid_argument/);
    expect(await outcome(join(root, 'missing'))).toMatch(/^not_found: .*does not exist/);
  });
});
