// Write-back end to end in main, with the helper's lists faked from the file as applied:
// a capsule's memory and restart policy changed by hand land in its table with every other
// byte kept, the edited file plans no change, and what cannot be written is refused or named.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RestartPolicySchema } from '../../../src-shared/capsule.js';
import { EgressRuleSchema, ForwardSchema } from '../../../src-shared/network.js';
import { MEBIBYTE } from '../../../src-shared/vm.js';
import { parseNovaFile } from '../novafile/novafile-parser.js';
import type { ActualState, StateReader } from './actual-state.js';
import { desiredState } from './desired-state.js';
import { inlineToml, writeBackText } from './novafile-write-back.js';
import { planNovaFile } from './project-planner.js';
import { writeBackResource } from './project-write-back.js';
import { appliedState } from './testing/applied-state.js';

const FILE = `# the lab, by hand
project = "lab"

[network.lan]   # the one network
subnet = "10.77.0.1/24"
egress_allow = ["10.0.0.0/8"]

[capsule.db]
capsule = "alpine:3.20"
command = ["sleep", "1000"]
memory = "64Mi"   # postgres wants more one day
network = "lan"

[capsule.db.health]
exec = ["true"]

[capsule.web]
capsule = "alpine:3.20"
network = "lan"
`;

let dir = '';
let path = '';

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nv9r-writeback-'));
  path = join(dir, 'NovaFile.toml');
  await writeFile(path, FILE);
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function applied(text = FILE): ActualState {
  const { config, diagnostics } = parseNovaFile(text, path);
  if (!config) throw new Error(JSON.stringify(diagnostics));
  return appliedState(desiredState(config));
}

function helperWith(actual: ActualState): StateReader {
  const lists: Record<string, unknown> = { 'network.list': { networks: actual.networks, broken: [] }, 'vm.list': { vms: actual.vms, broken: [] }, 'capsule.list': { capsules: actual.capsules, broken: [] } };
  return { call: (method) => Promise.resolve(lists[method] as never) };
}

/** The state with db's settings changed as the GUI would change them. */
function withDb(actual: ActualState, spec: Partial<ActualState['capsules'][number]['spec']>): ActualState {
  return { ...actual, capsules: actual.capsules.map((c) => (c.name === 'db' ? { ...c, spec: { ...c.spec, ...spec } } : c)) };
}

describe('writeBackResource', () => {
  it("writes a capsule's changed memory and restart into its table, keeping every other byte, and the file then plans no change", async () => {
    const actual = withDb(applied(), { memoryBytes: 96 * MEBIBYTE, restart: RestartPolicySchema.parse('always') });
    const helper = helperWith(actual);
    expect((await planNovaFile(path, helper)).plan.changes.map((c) => `${c.class} ${c.kind} ${c.name}`)).toEqual(['restart capsule db']);
    const out = await writeBackResource(path, 'capsule', 'db', helper);
    expect(out.written).toEqual([
      { field: 'memory', key: 'memory', value: '"96Mi"' },
      { field: 'restart', key: 'restart', value: '"always"' },
    ]);
    expect(await readFile(path, 'utf8')).toBe(FILE.replace('memory = "64Mi"   #', 'memory = "96Mi"   #').replace('network = "lan"\n\n[capsule.db.health]', 'network = "lan"\nrestart = "always"\n\n[capsule.db.health]'));
    expect((await planNovaFile(path, helper)).plan.changes).toEqual([]);
  });

  it("writes a network's egress rules back", async () => {
    const actual = applied();
    actual.networks[0] = { ...actual.networks[0]!, egressAllow: [...actual.networks[0]!.egressAllow!, EgressRuleSchema.parse('192.168.0.0/16:443/tcp')] };
    const helper = helperWith(actual);
    expect((await planNovaFile(path, helper)).plan.changes.map((c) => `${c.class} ${c.kind} ${c.name}`)).toEqual(['replace network lan']);
    const out = await writeBackResource(path, 'network', 'lan', helper);
    expect(out.written).toEqual([{ field: 'egress_allow', key: 'egress_allow', value: '["10.0.0.0/8", "192.168.0.0/16:443/tcp"]' }]);
    expect(await readFile(path, 'utf8')).toBe(FILE.replace('egress_allow = ["10.0.0.0/8"]', 'egress_allow = ["10.0.0.0/8", "192.168.0.0/16:443/tcp"]'));
    expect((await planNovaFile(path, helper)).plan.changes).toEqual([]);
  });

  it("writes a forward added on the network's page back, as the forwards key the table lacked", async () => {
    const actual = applied();
    actual.networks[0] = { ...actual.networks[0]!, forwards: [ForwardSchema.parse('8443:10.77.0.40:443/tcp')] };
    const helper = helperWith(actual);
    const out = await writeBackResource(path, 'network', 'lan', helper);
    expect(out.written).toEqual([{ field: 'forwards', key: 'forwards', value: '["8443:10.77.0.40:443"]' }]);
    expect(await readFile(path, 'utf8')).toBe(FILE.replace('egress_allow = ["10.0.0.0/8"]\n', 'egress_allow = ["10.0.0.0/8"]\nforwards = ["8443:10.77.0.40:443"]\n'));
    expect((await planNovaFile(path, helper)).plan.changes).toEqual([]);
  });

  it('writes nothing when the file already says what runs, and names what has no key (a guest stopped by hand)', async () => {
    const actual = applied();
    expect(await writeBackResource(path, 'capsule', 'db', helperWith(actual))).toEqual({ file: path, written: [], skipped: [] });
    actual.capsules[0] = { ...actual.capsules[0]!, state: 'stopped', pid: null };
    const out = await writeBackResource(path, 'capsule', 'db', helperWith(actual));
    expect(out.written).toEqual([]);
    expect(out.skipped).toEqual([{ field: 'state', reason: expect.stringMatching(/not a NovaFile key/) as unknown }]);
    expect(await readFile(path, 'utf8')).toBe(FILE);
  });

  it("refuses another project's resource and a health change (a table of its own), leaving the file as it was", async () => {
    const foreign = withDb(applied(), { project: 'other' });
    await expect(writeBackResource(path, 'capsule', 'db', helperWith(foreign))).rejects.toMatchObject({ code: 'failed_precondition', message: expect.stringMatching(/does not belong to project lab \(it is project other's\)/) as unknown });
    const health = withDb(applied(), { health: { probe: { kind: 'exec', command: ['false'] }, intervalMs: 10_000, timeoutMs: 5000, retries: 3, startPeriodMs: 0 } });
    const out = await writeBackResource(path, 'capsule', 'db', helperWith(health));
    expect(out).toMatchObject({ written: [], skipped: [{ field: 'health', reason: expect.stringMatching(/edit it in the file by hand/) as unknown }] });
    expect(await readFile(path, 'utf8')).toBe(FILE);
  });

  it('refuses a resource the file does not declare', async () => {
    const actual = applied();
    actual.capsules.push({ ...actual.capsules[1]!, name: 'cache', spec: { ...actual.capsules[1]!.spec, name: 'cache' } });
    await expect(writeBackResource(path, 'capsule', 'cache', helperWith(actual))).rejects.toMatchObject({ message: expect.stringMatching(/does not declare capsule cache/) as unknown });
  });
});

describe('writeBackText and inlineToml', () => {
  it('writes values as inline TOML, tables inline and keys quoted when they must be', () => {
    expect(inlineToml({ A: 'x "y"', 'my.key': 2 })).toBe('{ A = "x \\"y\\"", "my.key" = 2 }');
    expect(inlineToml(['8080:80', true])).toBe('["8080:80", true]');
  });

  it('removes a key the resource no longer has', () => {
    const change = { kind: 'capsule' as const, name: 'db', class: 'restart' as const, fields: [{ field: 'memory', old: '64 MiB', new: null, class: 'restart' as const, drift: false }] };
    expect(writeBackText(FILE, change, { capsule: 'alpine:3.20' }).text).toBe(FILE.replace('memory = "64Mi"   # postgres wants more one day\n', ''));
  });
});
