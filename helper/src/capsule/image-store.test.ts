// The image store's in-memory index: records are read from disk once, found by id, name or
// name:latest, and a removal through the store is seen at once; and how a pull reports its
// progress. (Pulls, imports and unpacks with the real skopeo and umoci, cancels included,
// are in the capsule system tests.)
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OciImage } from '../../../src-shared/capsule.js';
import { OperationManager, type ProgressUpdate } from '../operations/operation-manager.js';
import type { ProcessRunner } from '../process/process-runner.js';
import { silentLogger } from '../util/logger.js';
import { ImageStore, manifestSize } from './image-store.js';
import { bytesUnder, parseSkopeoLine, PullMeter, pullPhase } from './pull-meter.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nv5f-images-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

const noTools: Pick<ProcessRunner, 'run'> = { run: () => Promise.reject(new Error('no tool runs in this test')) };
const operations = new OperationManager({ logger: silentLogger(), emit: () => undefined });

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
  // As every Nova so far wrote them.
  await writeFile(join(stateDir, 'capsule-images', id, 'image.json'), JSON.stringify({ version: 1, image }));
  return image;
}

describe('image store index', () => {
  it('reads the records once, finds images by id and name, and forgets a removed one', async () => {
    const stateDir = join(dir, 'state');
    const a = await writeRecord(stateDir, 'aaaa', 'alpha:latest');
    const b = await writeRecord(stateDir, 'bbbb', 'beta:1');
    const store = new ImageStore({ stateDir, runner: noTools, operations });
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
    const store = new ImageStore({ stateDir: join(dir, 'empty'), runner: noTools, operations });
    expect(await store.list()).toEqual([]);
    await expect(store.get('alpha')).rejects.toMatchObject({ code: 'not_found' });
  });
});

describe('pull progress', () => {
  it('takes the layers and their bytes from the raw manifest, and knows none from a manifest list', () => {
    const manifest = { schemaVersion: 2, config: { size: 297, digest: 'sha256:c' }, layers: [{ size: 1000, digest: 'sha256:a' }, { size: 234, digest: 'sha256:b' }] };
    expect(manifestSize(JSON.stringify(manifest))).toEqual({ layers: 2, bytesTotal: 1234 });
    expect(manifestSize(JSON.stringify({ schemaVersion: 2, manifests: [{ digest: 'sha256:d', platform: { architecture: 'amd64' } }] }))).toEqual({ layers: null, bytesTotal: null });
  });

  it('knows the lines skopeo prints per blob', () => {
    expect(parseSkopeoLine('Copying blob sha256:0123abc')).toBe('blob');
    expect(parseSkopeoLine('Copying config sha256:4567')).toBe('config');
    expect(parseSkopeoLine('Writing manifest to image destination')).toBe('manifest');
    expect(parseSkopeoLine('Getting image source signatures')).toBeNull();
    expect(pullPhase(2, 3)).toBe('copying blob 2 of 3');
    expect(pullPhase(1, null)).toBe('copying blob 1');
  });

  it('reports the blob under way and the bytes landed in the layout, never past the total', async () => {
    const layout = join(dir, 'layout');
    await mkdir(join(layout, 'blobs', 'sha256'), { recursive: true });
    await writeFile(join(layout, 'blobs', 'sha256', 'a'), Buffer.alloc(300));
    await writeFile(join(layout, 'oci-put-blob-1'), Buffer.alloc(100));
    expect(await bytesUnder(layout)).toBe(400);
    const seen: ProgressUpdate[] = [];
    const meter = new PullMeter(layout, 2, 1000, (p) => seen.push(p));
    meter.line('Copying blob sha256:aaaa');
    await new Promise((r) => setTimeout(r, 400));
    await writeFile(join(layout, 'blobs', 'sha256', 'b'), Buffer.alloc(5000));
    await meter.finish();
    expect(seen[0]).toEqual({ phase: 'copying blobs', fraction: 0, bytesDone: 0, bytesTotal: 1000 });
    expect(seen[1]).toEqual({ phase: 'copying blob 1 of 2', fraction: 0, bytesDone: 0, bytesTotal: 1000 });
    expect(seen).toContainEqual({ fraction: 0.4, bytesDone: 400, bytesTotal: 1000 });
    expect(seen.at(-1)).toEqual({ fraction: 1, bytesDone: 1000, bytesTotal: 1000 });
  });
});
