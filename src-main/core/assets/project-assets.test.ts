// [assets] of a project on several hosts: the busybox image goes to the helper of every
// host whose capsules use it (and no other), a host that has it already is left alone.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseNovaFile } from '../novafile/novafile-parser.js';
import type { ProjectHelper } from '../project/project-helper.js';
import { prepareProjectAssets } from './project-assets.js';

let cache = '';
beforeAll(async () => {
  cache = await mkdtemp(join(tmpdir(), 'nv7p-assets-'));
  // The image's tarball is built once per user; here it is there already.
  await writeFile(join(cache, 'busybox-rootfs.tar'), 'tar');
});
afterAll(() => rm(cache, { recursive: true, force: true }));

const FILE = `project = "lab"
[assets]
busybox_image = "nova-busybox"
[capsule.web]
capsule = "nova-busybox"
host = "closet"
[capsule.db]
capsule = "nova-busybox"
[capsule.other]
capsule = "alpine:3.20"
host = "attic"
`;

function helperOn(host: string, imported: string[], has: string[] = []): ProjectHelper {
  return {
    call: (async () => ({ images: has.map((name) => ({ name })) })) as ProjectHelper['call'],
    operation: (async (method: string, params: { name?: string; path?: string }) => {
      imported.push(`${host}: ${method} ${params.name ?? ''} ${params.path ?? ''}`);
      return {};
    }) as ProjectHelper['operation'],
  };
}

describe('the busybox image of a project on several hosts', () => {
  it('is imported on each host whose capsules use it, from this machine\'s cache', async () => {
    const { config } = parseNovaFile(FILE, 'NovaFile.toml', '/p', { knownHosts: ['closet', 'attic'] });
    const imported: string[] = [];
    const lines: string[] = [];
    await prepareProjectAssets(config!, async (host) => helperOn(host, imported, host === 'local' ? ['nova-busybox'] : []), { onLine: (l) => lines.push(l), cacheRoot: cache });
    expect(imported).toEqual([`closet: ociImage.import nova-busybox ${join(cache, 'busybox-rootfs.tar')}`]);
    expect(lines).toEqual(['image nova-busybox imported on closet']);
  });

  it('goes to the default host when no capsule names it', async () => {
    const { config } = parseNovaFile(FILE.replaceAll('capsule = "nova-busybox"', 'capsule = "alpine:3.20"'), 'NovaFile.toml', '/p', { knownHosts: ['closet', 'attic'] });
    const imported: string[] = [];
    await prepareProjectAssets(config!, async (host) => helperOn(host, imported), { onLine: () => undefined, cacheRoot: cache, defaultHost: 'attic' });
    expect(imported.map((l) => l.split(' ')[0])).toEqual(['attic:']);
  });
});
