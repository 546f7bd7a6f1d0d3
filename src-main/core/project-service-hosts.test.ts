// ProjectService for a project across hosts: a guest's host is reached through the app's
// connection pool, each step goes to its host's helper, a host that is not saved is
// refused at its line (open and save), and where the project ran is remembered.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProjectService } from './project-service.js';

let dir: string;
let file: string;

const FILE_TEXT = `project = "nv7p"
[network.nv7pnet]
subnet = "10.217.8.129/25"
[capsule.nv7p-db]
capsule = "alpine:3.20"
network = "nv7pnet"
host = "closet"
`;

/** A host's helper that has nothing and records what it is asked to make. */
function fakeHelper(host: string, made: string[]) {
  return {
    call: (method: string, params: { name?: string } = {}): Promise<never> => {
      if (method === 'network.list') return Promise.resolve({ networks: [], broken: [] } as never);
      if (method === 'vm.list') return Promise.resolve({ vms: [], broken: [] } as never);
      if (method === 'capsule.list') return Promise.resolve({ capsules: [], broken: [] } as never);
      if (method === 'capsule.get') return Promise.resolve({ state: 'running', lastExit: null, health: null } as never);
      if (method.endsWith('.snapshotPolicyGet')) return Promise.resolve(null as never);
      if (method === 'network.leases') return Promise.resolve({ leases: [] } as never);
      made.push(`${host}: ${method} ${params.name ?? ''}`.trim());
      return Promise.resolve({} as never);
    },
  };
}

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'nv7p-svc-'));
  file = path.join(dir, 'NovaFile.toml');
  await writeFile(file, FILE_TEXT);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function service(made: string[], remembered: string[][] = []) {
  const registry = { list: async () => [{ name: 'closet', url: 'ssh://closet', address: { kind: 'ssh' as const, host: 'closet', user: null, port: null } }], resolve: async () => ({ kind: 'ssh' as const, host: 'closet', user: null, port: null }) };
  const pool = { client: async (name: string) => fakeHelper(name, made) as never };
  const memory = { hostsOf: async () => [], remember: async (_file: string, hosts: readonly string[]) => void remembered.push([...hosts]) };
  return new ProjectService(fakeHelper('local', made) as never, () => undefined, { pool, registry: registry as never, memory });
}

describe('ProjectService across hosts', () => {
  it('plans each host from its own helper, the saved host through the pool', async () => {
    const opened = await service([]).open(dir);
    expect(opened.plan?.hosts).toEqual(['local', 'closet']);
    expect(opened.plan?.changes.map((c) => `${c.class} ${c.kind} ${c.name} on ${c.host}`)).toEqual(['create network nv7pnet on closet', 'create capsule nv7p-db on closet']);
  });

  it('applies each step on its host and remembers where the project now runs', async () => {
    const made: string[] = [];
    const remembered: string[][] = [];
    const { outcome } = await service(made, remembered).up(file);
    expect(outcome?.failed).toEqual([]);
    expect(made.filter((m) => m.includes('.create'))).toEqual(['closet: network.create nv7pnet', 'closet: capsule.create nv7p-db']);
    expect(remembered).toEqual([['closet']]);
  });

  it('refuses a host that is not saved at its line, when opening and when saving', async () => {
    const typo = FILE_TEXT.replace('"closet"', '"closte"');
    await writeFile(file, typo);
    const opened = await service([]).open(file);
    expect(opened.validation.diagnostics).toEqual([expect.objectContaining({ line: 7, column: 8, message: expect.stringContaining('host "closte" is not a saved host; did you mean "closet"?') })]);
    expect((await service([]).save(file, typo)).saved).toBe(false);
  });
});
