// Volume source checks against a temp tree with symlinks in and out of the root.
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isNovaError } from '../../../src-shared/errors.js';
import { resolveVolume } from './volume-paths.js';

let dir = '';
let root = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nv5-vol-'));
  root = join(dir, 'vols');
  await mkdir(join(root, 'data/sub'), { recursive: true });
  await mkdir(join(dir, 'outside'));
  await symlink(join(dir, 'outside'), join(root, 'escape'));
  await symlink(join(root, 'data/sub'), join(root, 'inner'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return isNovaError(err) ? err.code : 'other';
  }
}

describe('resolveVolume', () => {
  it('accepts a directory inside the root and a symlink staying inside', async () => {
    const v = await resolveVolume({ source: join(root, 'data'), target: '/data', readOnly: true }, [root]);
    expect(v).toEqual({ source: join(root, 'data'), target: '/data', readOnly: true });
    expect((await resolveVolume({ source: join(root, 'inner'), target: '/x', readOnly: false }, [root])).source).toBe(join(root, 'data/sub'));
  });
  it('refuses .. segments, symlinks out of the root, paths outside every root, relative paths', async () => {
    expect(await code(resolveVolume({ source: `${root}/data/../../outside`, target: '/d', readOnly: false }, [root]))).toBe('invalid_argument');
    expect(await code(resolveVolume({ source: join(root, 'escape'), target: '/d', readOnly: false }, [root]))).toBe('invalid_argument');
    expect(await code(resolveVolume({ source: '/etc', target: '/d', readOnly: false }, [root]))).toBe('invalid_argument');
    expect(await code(resolveVolume({ source: 'data', target: '/d', readOnly: false }, [root]))).toBe('invalid_argument');
    expect(await code(resolveVolume({ source: join(root, 'data'), target: '/d/../x', readOnly: false }, [root]))).toBe('invalid_argument');
    expect(await code(resolveVolume({ source: join(root, 'missing'), target: '/d', readOnly: false }, [root]))).toBe('not_found');
  });
});
