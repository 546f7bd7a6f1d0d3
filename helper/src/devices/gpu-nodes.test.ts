import { mkdtempSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CapsuleGpus } from '../../../src-shared/capsule-gpus.js';
import { devMajor, devMinor, resolveCapsuleGpus } from './gpu-nodes.js';

const resolveGpuNodes = async (devRoot: string, gpus: CapsuleGpus) => (await resolveCapsuleGpus({ devRoot, cdiDirs: [] }, gpus)).nodes;

const dirs: string[] = [];
function devRoot(): string {
  const d = mkdtempSync(join(tmpdir(), 'nv10u-dev-'));
  dirs.push(d);
  mkdirSync(join(d, 'dri'));
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('GPU device nodes for a capsule', () => {
  it("reads a node's major and minor as the kernel encodes them, large minors included", () => {
    // makedev(226, 128) and makedev(511, 300000) as glibc builds them.
    expect([devMajor(0xe280), devMinor(0xe280)]).toEqual([226, 128]);
    const rdev = Number((BigInt(300000 & 0xff)) | (BigInt(511 & 0xfff) << 8n) | (BigInt(300000 & ~0xff) << 12n));
    expect([devMajor(rdev), devMinor(rdev)]).toEqual([511, 300000]);
  });

  it('refuses a node the host does not have, and says where to look', async () => {
    await expect(resolveGpuNodes(devRoot(), ['renderD128'])).rejects.toMatchObject({ code: 'not_found', message: expect.stringContaining('no /dev/dri/renderD128') });
  });

  it('refuses a file or a link in /dev/dri: only a character device is a GPU node', async () => {
    const root = devRoot();
    writeFileSync(join(root, 'dri/card0'), '');
    symlinkSync('/dev/null', join(root, 'dri/renderD128'));
    await expect(resolveGpuNodes(root, ['card0'])).rejects.toMatchObject({ code: 'invalid_argument', message: expect.stringContaining('/dev/dri/card0 is not a character device') });
    await expect(resolveGpuNodes(root, ['renderD128'])).rejects.toMatchObject({ code: 'invalid_argument' });
  });

  it('refuses "all" on a host without GPU nodes', async () => {
    await expect(resolveGpuNodes(devRoot(), 'all')).rejects.toMatchObject({ code: 'not_found', message: expect.stringContaining('no GPU device nodes') });
  });
});
