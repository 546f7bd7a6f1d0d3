// The image store's in-memory index: records are read from disk once, found by id, name or
// name:latest, and a removal through the store is seen at once. (Pulls, imports and unpacks
// with the real skopeo and umoci are in the capsule system tests.)
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OciImage } from '../../../src-shared/capsule.js';
import { IMAGE_RECORD_VERSION, ImageStore } from './image-store.js';
import type { ToolRunner } from './tool-runner.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nv5f-images-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

const noTools: ToolRunner = () => Promise.reject(new Error('no tool runs in this test'));

async function writeRecord(stateDir: string, id: string, name: string): Promise<OciImage> {
  const image: OciImage = {
    id,
    name,
    source: 'import',
    digest: `sha256:${id.padEnd(64, '0')}`,
    sizeBytes: 1,
    createdAt: new Date(0).toISOString(),
    config: { entrypoint: [], cmd: ['sh'], env: [], user: '', workdir: '', exposedPorts: [], labels: {} },
  };
  await mkdir(join(stateDir, 'capsule-images', id), { recursive: true });
  await writeFile(join(stateDir, 'capsule-images', id, 'image.json'), JSON.stringify({ version: IMAGE_RECORD_VERSION, image }));
  return image;
}

describe('image store index', () => {
  it('reads the records once, finds images by id and name, and forgets a removed one', async () => {
    const stateDir = join(dir, 'state');
    const a = await writeRecord(stateDir, 'aaaa', 'alpha:latest');
    const b = await writeRecord(stateDir, 'bbbb', 'beta:1');
    const store = new ImageStore({ stateDir, run: noTools });
    expect((await store.list()).map((i) => i.name)).toEqual(['alpha:latest', 'beta:1']);
    expect(await store.get('aaaa')).toEqual(a);
    expect(await store.get('alpha')).toEqual(a);
    expect(await store.get('beta:1')).toEqual(b);
    // The helper owns the state dir: what appears behind the store's back is not read again.
    await writeRecord(stateDir, 'cccc', 'gamma:latest');
    expect(await store.find('gamma')).toBeNull();
    expect(await store.remove('beta:1')).toEqual(b);
    await expect(store.get('bbbb')).rejects.toMatchObject({ code: 'not_found' });
    // A change through the store reads the records again.
    expect((await store.list()).map((i) => i.name)).toEqual(['alpha:latest', 'gamma:latest']);
  });

  it('has no images before the first import', async () => {
    const store = new ImageStore({ stateDir: join(dir, 'empty'), run: noTools });
    expect(await store.list()).toEqual([]);
    await expect(store.get('alpha')).rejects.toMatchObject({ code: 'not_found' });
  });
});
