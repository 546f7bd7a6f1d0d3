import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NovaError } from '../../../src-shared/index.js';
import type { HostStatusView } from '../../../src-shared/api/hosts-api.js';
import type { SshHostAddress } from '../../../src-shared/vocabulary/index.js';
import type { HelperClient } from '../helper-client.js';
import { HostRegistry } from './host-registry.js';
import { HostService } from './host-service.js';

let dir = '';
let file = '';
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'nv16h-hosts-'));
  file = path.join(dir, 'nova', 'hosts.json');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** This machine's helper as the service sees it: the four calls a probe makes. */
function localHelper(fail?: string): Pick<HelperClient, 'call'> {
  const answers: Record<string, unknown> = {
    'helper.info': { version: '9.9.9' },
    'host.check': { accelerator: 'kvm' },
    'vm.list': { vms: [{}, {}], broken: [] },
    'capsule.list': { capsules: [{}], broken: [] },
  };
  const call = async (method: string) => {
    if (fail) throw new NovaError('unavailable', fail);
    return answers[method];
  };
  return { call: call as unknown as HelperClient['call'] };
}

const DOWN: HostStatusView = { reachable: false, version: null, accelerator: null, vms: null, capsules: null, error: 'ssh: connect to host 127.0.0.1 port 1: Connection refused' };

describe('the Hosts page service', () => {
  it('saves a host even when it does not answer, says why, and lists and forgets it', async () => {
    const asked: SshHostAddress[] = [];
    const service = new HostService({ local: localHelper(), registry: new HostRegistry(file), probeRemote: async (a) => (asked.push(a), DOWN) });
    expect(await service.list()).toEqual({ hosts: [] });
    const added = await service.add('nv16h-down', 'ssh://nobody@127.0.0.1:1');
    expect(added).toEqual({ host: { name: 'nv16h-down', url: 'ssh://nobody@127.0.0.1:1' }, status: DOWN });
    expect(asked).toEqual([{ kind: 'ssh', user: 'nobody', host: '127.0.0.1', port: 1 }]);
    // The same file `nova host ls` reads.
    expect(JSON.parse(await readFile(file, 'utf8')).hosts).toEqual({ 'nv16h-down': 'ssh://nobody@127.0.0.1:1' });
    expect(await service.list()).toEqual({ hosts: [{ name: 'nv16h-down', url: 'ssh://nobody@127.0.0.1:1' }] });
    expect(await service.probe('nv16h-down')).toEqual(DOWN);
    expect(await service.remove('nv16h-down')).toEqual({ removed: 'nv16h-down' });
    expect(await service.list()).toEqual({ hosts: [] });
  });

  it('refuses what nova host add refuses, saving nothing', async () => {
    const service = new HostService({ local: localHelper(), registry: new HostRegistry(file), probeRemote: async () => DOWN });
    await expect(service.add('nv16h-x', 'http://example.org')).rejects.toMatchObject({ code: 'invalid_argument' });
    await expect(service.add('local', 'ssh://a')).rejects.toMatchObject({ code: 'invalid_argument' });
    await expect(service.add('nv16h-x', 'local')).rejects.toMatchObject({ code: 'invalid_argument' });
    await expect(service.add('Bad Name', 'ssh://a')).rejects.toMatchObject({ code: 'invalid_argument' });
    await service.add('nv16h-x', 'ssh://a');
    await expect(service.add('nv16h-x', 'ssh://b')).rejects.toMatchObject({ code: 'already_exists' });
    await expect(service.probe('nv16h-none')).rejects.toMatchObject({ code: 'not_found' });
    await expect(service.remove('nv16h-none')).rejects.toMatchObject({ code: 'not_found' });
    expect(await service.list()).toEqual({ hosts: [{ name: 'nv16h-x', url: 'ssh://a' }] });
  });

  it("asks this machine's helper for local, and says why when it cannot answer", async () => {
    const up = new HostService({ local: localHelper(), registry: new HostRegistry(file) });
    expect(await up.probe('local')).toEqual({ reachable: true, version: '9.9.9', accelerator: 'kvm', vms: 2, capsules: 1, error: null });
    const down = new HostService({ local: localHelper('the helper is not running'), registry: new HostRegistry(file) });
    expect(await down.probe('local')).toMatchObject({ reachable: false, error: 'the helper is not running' });
  });

  it('reports a host whose ssh port is closed as unreachable, with ssh\'s reason, within its bound', async () => {
    const service = new HostService({ local: localHelper(), registry: new HostRegistry(file) });
    const started = Date.now();
    const { status } = await service.add('nv16h-closed', 'ssh://nobody@127.0.0.1:1');
    expect(status.reachable).toBe(false);
    expect(status.error).toMatch(/refused|closed|connect/i);
    expect(Date.now() - started).toBeLessThan(20_000);
  }, 30_000);
});
