// Real files in a temp dir: the archive is read through the descriptor opened once, and a
// link where the archive should be is refused rather than followed.
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { gunzipTo, isGzip, openOwnArchive } from './import-archive.js';

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nv12i-archive-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the archive to import', () => {
  it('tells gzip from plain tar, and unpacks gzip from the descriptor even after the path is gone', async () => {
    await writeFile(join(dir, 'plain.tar'), 'ustar bytes');
    await writeFile(join(dir, 'rootfs.tar.gz'), gzipSync(Buffer.from('the layer')));
    const plain = await openOwnArchive(join(dir, 'plain.tar'));
    const zipped = await openOwnArchive(join(dir, 'rootfs.tar.gz'));
    try {
      expect([await isGzip(plain.handle), await isGzip(zipped.handle)]).toEqual([false, true]);
      await rm(join(dir, 'rootfs.tar.gz'));
      const out = await gunzipTo(zipped.handle, join(dir, 'layer.tar'), new AbortController().signal);
      expect(await readFile(out, 'utf8')).toBe('the layer');
    } finally {
      await plain.handle.close();
      await zipped.handle.close();
    }
  });

  it('is not a link: one in its place is refused, never followed', async () => {
    await writeFile(join(dir, 'elsewhere.tar'), 'not to be read');
    await symlink(join(dir, 'elsewhere.tar'), join(dir, 'link.tar'));
    await expect(openOwnArchive(join(dir, 'link.tar'))).rejects.toMatchObject({ code: 'invalid_argument', message: expect.stringMatching(/symbolic link/) });
  });
});
