import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultRegistryPath, HostRegistry } from './host-registry.js';

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'nv15s-registry-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the host registry', () => {
  it('lives in the XDG config folder', () => {
    expect(defaultRegistryPath({ XDG_CONFIG_HOME: '/cfg' })).toBe('/cfg/nova/hosts.json');
  });

  it('adds, lists, resolves and removes hosts, leaving no temp files', async () => {
    const file = path.join(dir, 'nova', 'hosts.json');
    const reg = new HostRegistry(file);
    expect(await reg.list()).toEqual([]);
    await reg.add('closet', 'ssh://admin@closet.lan:2222');
    await reg.add('attic', 'ssh://10.0.0.2');
    expect((await reg.list()).map((h) => h.name)).toEqual(['attic', 'closet']);
    expect(await reg.resolve('closet')).toEqual({ kind: 'ssh', user: 'admin', host: 'closet.lan', port: 2222 });
    expect(await reg.resolve('ssh://other')).toEqual({ kind: 'ssh', host: 'other' });
    expect(await reg.resolve('local')).toEqual({ kind: 'local' });
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ version: 1, hosts: { closet: 'ssh://admin@closet.lan:2222', attic: 'ssh://10.0.0.2' } });
    await reg.remove('closet');
    expect((await reg.list()).map((h) => h.name)).toEqual(['attic']);
    expect(await readdir(path.dirname(file))).toEqual(['hosts.json']);
  });

  it('refuses bad names, bad addresses, duplicates and unknown hosts with what to do', async () => {
    const reg = new HostRegistry(path.join(dir, 'hosts.json'));
    await expect(reg.add('local', 'ssh://x')).rejects.toThrow(/always means this machine/);
    await expect(reg.add('Bad/Name', 'ssh://x')).rejects.toMatchObject({ code: 'invalid_argument' });
    await expect(reg.add('closet', 'ssh://-oProxyCommand=x')).rejects.toMatchObject({ code: 'invalid_argument' });
    await reg.add('closet', 'ssh://x');
    await expect(reg.add('closet', 'ssh://y')).rejects.toMatchObject({ code: 'already_exists' });
    await expect(reg.resolve('attic')).rejects.toThrow(/nova host add attic/);
    await expect(reg.remove('attic')).rejects.toMatchObject({ code: 'not_found' });
  });

  it('names a damaged file instead of guessing', async () => {
    const file = path.join(dir, 'hosts.json');
    await writeFile(file, '{"version": 7}');
    await expect(new HostRegistry(file).list()).rejects.toThrow(/is not a Nova host list/);
  });
});
