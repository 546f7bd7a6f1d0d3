import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProcessRunner } from '../process/process-runner.js';
import { OsProfiles, parseOsXml } from './os-profiles.js';

const os = (id: string, shortId: string, name: string, family: string, body: string) =>
  `<libosinfo version="0.0.1"><os id="${id}"><short-id>${shortId}</short-id><name>${name}</name><family>${family}</family>${body}<media arch="x86_64"><name>${name} media</name></media></os></libosinfo>`;
const res = (arch: string, min: string, rec = '') => `<resources arch="${arch}"><minimum>${min}</minimum>${rec ? `<recommended>${rec}</recommended>` : ''}</resources>`;
const GiB = 1024 ** 3;

let db = '';
beforeAll(async () => {
  db = await mkdtemp(join(tmpdir(), 'nv11f-osinfo-'));
  await mkdir(join(db, 'os', 'example.org'), { recursive: true });
  await writeFile(join(db, 'os', 'example.org', 'win-11.xml'), os('http://microsoft.com/win/11', 'win11', 'Microsoft Windows 11', 'winnt', res('x86_64', `<n-cpus>2</n-cpus><ram>${4 * GiB}</ram><storage>${64 * GiB}</storage>`)));
  await writeFile(join(db, 'os', 'example.org', 'lin-1.xml'), os('http://example.org/lin/1', 'lin1', 'Lin 1', 'linux', res('all', `<n-cpus>1</n-cpus><ram>${GiB}</ram><storage>${10 * GiB}</storage>`, `<n-cpus>2</n-cpus><ram>${2 * GiB}</ram><storage>${20 * GiB}</storage>`)));
  await writeFile(join(db, 'os', 'example.org', 'lin-2.xml'), os('http://example.org/lin/2', 'lin2', 'Lin 2', 'linux', '<derives-from id="http://example.org/lin/1"/>' + res('aarch64', '<n-cpus>8</n-cpus>')));
});
afterAll(async () => {
  if (db) await rm(db, { recursive: true, force: true });
});

describe('osinfo-db profiles', () => {
  it('reads the OS name (not a medium name) and only x86_64 or all-arch resources', () => {
    const e = parseOsXml(os('x', 'a1', 'A One', 'linux', res('aarch64', '<n-cpus>9</n-cpus>') + res('all', `<n-cpus>1</n-cpus><ram>${GiB}</ram>`)));
    expect(e).toMatchObject({ id: 'x', shortIds: ['a1'], name: 'A One', family: 'linux', minimum: { cpus: 1, memoryMiB: 1024 }, recommended: {} });
  });

  it('gives windows11 Microsoft floor, a recommended profile, and inherits resources an OS does not name', async () => {
    const profiles = new OsProfiles(new ProcessRunner(), db);
    expect(await profiles.profile('windows11')).toEqual({ os: 'windows11', name: 'Microsoft Windows 11', osType: 'windows', cpus: 2, memoryMiB: 4096, diskMiB: 65536, minimum: { cpus: 2, memoryMiB: 4096, diskMiB: 65536 } });
    expect(await profiles.profile('lin1')).toMatchObject({ osType: 'linux', cpus: 2, memoryMiB: 2048, diskMiB: 20480 });
    expect(await profiles.profile('lin2')).toMatchObject({ name: 'Lin 2', cpus: 2, memoryMiB: 2048, minimum: { cpus: 1, memoryMiB: 1024, diskMiB: 10240 } });
  });

  it('refuses an OS id osinfo does not know, naming it', async () => {
    await expect(new OsProfiles(new ProcessRunner(), db).profile('plan9')).rejects.toThrow(/osinfo does not know the OS "plan9"/);
  });
});
