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
    expect(await migrationListenAddress(registry, 'closet', '10.1.2.3')).toBe('10.1.2.3');
    expect(await migrationListenAddress(registry, 'closet', undefined)).toBe('closet.lan');
    expect(await migrationListenAddress(registry, 'ssh://10.0.0.9', undefined)).toBe('10.0.0.9');
  });

  it('is refused in words: this machine without an address, an address that is not one, a host not saved', async () => {
    await expect(migrationListenAddress(registry, 'local', undefined)).rejects.toThrow('the destination is this machine');
    await expect(migrationListenAddress(registry, 'closet', '-oProxyCommand=x')).rejects.toThrow('is not a host name or an IP address');
    await expect(migrationListenAddress(registry, 'attic', undefined)).rejects.toThrow('No host named "attic" is registered');
  });
});
