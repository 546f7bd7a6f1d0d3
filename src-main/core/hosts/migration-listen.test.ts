import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HostRegistry } from './host-registry.js';
import { migrationListenAddress } from './migration-listen.js';

let dir = '';
let registry: HostRegistry;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nova-listen-'));
  registry = new HostRegistry(join(dir, 'hosts.json'));
  await registry.add('closet', 'ssh://admin@closet.lan:2222');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('where a destination listens for a migration', () => {
  it('is the address given, else the host of its saved or given ssh address', async () => {
    expect(await migrationListenAddress(registry, { to: 'closet', given: '10.1.2.3' })).toBe('10.1.2.3');
    expect(await migrationListenAddress(registry, { to: 'closet' })).toBe('closet.lan');
    expect(await migrationListenAddress(registry, { to: 'ssh://10.0.0.9' })).toBe('10.0.0.9');
  });

  it("is this machine's address toward the source when this machine is the destination", async () => {
    const asked: string[] = [];
    const toward = async (host: string) => (asked.push(host), '10.9.9.1');
    expect(await migrationListenAddress(registry, { to: 'local', from: 'closet' }, toward)).toBe('10.9.9.1');
    expect(asked).toEqual(['closet.lan']);
    await expect(migrationListenAddress(registry, { to: 'local', from: 'closet' }, async () => null)).rejects.toThrow('this machine has no route to closet (closet.lan)');
  });

  it('is refused in words: this machine without an address, an address that is not one, a host not saved', async () => {
    await expect(migrationListenAddress(registry, { to: 'local' })).rejects.toThrow('the destination is this machine');
    await expect(migrationListenAddress(registry, { to: 'closet', given: '-oProxyCommand=x' })).rejects.toThrow('is not a host name or an IP address');
    await expect(migrationListenAddress(registry, { to: 'attic' })).rejects.toThrow('No host named "attic" is registered');
  });
});
