// A project across hosts: where each guest and network is placed, the plan across the
// hosts' states (each step with its host, a guest found on another host planned as one
// move), the reads bounded and an unreachable host named, and the apply sending each step
// to its host's helper and each move to the mover (live for a running VM, cold otherwise).
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NovaError } from '../../../src-shared/errors.js';
import { parseNovaFile } from '../novafile/novafile-parser.js';
import { readHostStates, type ActualState, type StateReader } from './actual-state.js';
import { desiredOn, desiredState, type DesiredState } from './desired-state.js';
import type { GuestMove, GuestMover } from './guest-mover.js';
import { formatPlan } from './plan-format.js';
import { applyPlan } from './project-apply.js';
import { ProjectHostMemory } from './project-host-memory.js';
import type { ProjectHelper } from './project-helper.js';
import { planAcrossHosts } from './project-plan.js';
import { formatPsTable, type PsRow } from './project-ps.js';
import { appliedState } from './testing/applied-state.js';

const FILE = `project = "lab"

[network.lan]
subnet = "10.77.0.1/24"

[network.spare]
subnet = "10.78.0.1/24"

[vm.app]
kernel = "/boot/vmlinux"
memory = "256Mi"
accel = "tcg"
display = "none"
network = "lan"

[capsule.db]
capsule = "alpine:3.20"
network = "lan"
host = "closet"

[capsule.cache]
capsule = "alpine:3.20"
host = "attic"
`;

function desired(text = FILE, defaultHost?: string): DesiredState {
  const { config, diagnostics } = parseNovaFile(text, 'NovaFile.toml', '/p', { knownHosts: ['closet', 'attic'] });
  if (!config) throw new Error(JSON.stringify(diagnostics));
  return desiredState(config, undefined, defaultHost);
}

const EMPTY: ActualState = { networks: [], vms: [], capsules: [] };
const steps = (d: DesiredState, actual: Map<string, ActualState>) =>
  planAcrossHosts(d, actual).changes.map((c) => `${c.class} ${c.kind} ${c.name} on ${c.host}${c.from ? ` from ${c.from}` : ''}`);

describe('placement', () => {
  it('puts a guest on its host key, else the default host; a network on the hosts of its guests; this machine always read', () => {
    const d = desired();
    expect(d.hosts).toEqual(['local', 'attic', 'closet']);
    expect(d.vms.map((v) => `${v.config.name}@${v.host}`)).toEqual(['app@local']);
    expect(d.capsules.map((c) => `${c.config.name}@${c.host}`)).toEqual(['db@closet', 'cache@attic']);
    expect(d.networks.map((n) => `${n.config.name}@${n.hosts.join('+')}`)).toEqual(['lan@local+closet', 'spare@local']);
    expect(desiredOn(d, 'closet').networks.map((n) => n.config.name)).toEqual(['lan']);
  });

  it('takes --host as the default for guests without a key, and a guest-less network there', () => {
    const d = desired(FILE.replace('host = "attic"\n', ''), 'closet');
    expect(d.hosts).toEqual(['local', 'closet']);
    expect(d.vms[0]?.host).toBe('closet');
    expect(d.capsules.map((c) => c.host)).toEqual(['closet', 'closet']);
    expect(d.networks.map((n) => n.hosts)).toEqual([['closet'], ['closet']]);
  });

  it('keeps a project without host keys on this machine alone, its plan as before (no hosts marked)', () => {
    const d = desired(FILE.replaceAll(/host = "\w+"\n/g, ''));
    expect(d.hosts).toEqual(['local']);
    const plan = planAcrossHosts(d, new Map([['local', EMPTY]]));
    expect(plan.hosts).toBeUndefined();
    expect(plan.changes.every((c) => c.host === undefined)).toBe(true);
  });
});

describe('planAcrossHosts', () => {
  it('plans each host against its own state, networks first, each step with its host', () => {
    const d = desired();
    expect(steps(d, new Map([['local', EMPTY], ['closet', EMPTY], ['attic', EMPTY]]))).toEqual([
      'create network lan on local',
      'create network spare on local',
      'create network lan on closet',
      'create vm app on local',
      'create capsule cache on attic',
      'create capsule db on closet',
    ]);
    const text = formatPlan(planAcrossHosts(d, new Map([['local', EMPTY], ['closet', EMPTY], ['attic', EMPTY]])), false);
    expect(text).toContain('on hosts local, attic, closet');
    expect(text).toContain('  + capsule db on closet\n');
  });

  it('finds nothing to do once every host has its share', () => {
    const d = desired();
    const actual = new Map(d.hosts.map((h) => [h, appliedState(desiredOn(d, h))]));
    const plan = planAcrossHosts(d, actual);
    expect(plan.changes).toEqual([]);
    expect(plan.unchanged.map((u) => `${u.kind} ${u.name} on ${u.host}`)).toContain('network lan on closet');
  });

  it('plans a guest the file moved to another host as one move, and the network it leaves behind as a delete', () => {
    const before = desired();
    const actual = new Map(before.hosts.map((h) => [h, appliedState(desiredOn(before, h))]));
    const after = desired(FILE.replace('network = "lan"\n\n[capsule.db]', 'network = "lan"\nhost = "closet"\n\n[capsule.db]'));
    // spare has no guests: it stays on the default host, this machine.
    expect(steps(after, actual)).toEqual(['move vm app on closet from local', 'delete network lan on local']);
    const move = planAcrossHosts(after, actual).changes.find((c) => c.class === 'move');
    expect(move?.fields).toEqual([{ field: 'host', old: 'local', new: 'closet', class: 'update', drift: false }]);
    expect(formatPlan(planAcrossHosts(after, actual), false)).toContain('move to another host (1):\n  > vm app from local to closet\n');
  });

  it('names the host of a clash', () => {
    const d = desired();
    const theirs = appliedState(desiredOn(desired(FILE.replace('project = "lab"', 'project = "other"')), 'closet'));
    const plan = planAcrossHosts(d, new Map([['local', EMPTY], ['closet', theirs], ['attic', EMPTY]]));
    expect(plan.clashes.map((c) => `${c.host}: ${c.kind} ${c.name}`)).toEqual(['closet: network lan', 'closet: capsule db']);
    expect(plan.clashes[0]?.message).toMatch(/^on closet: network lan already exists as one of project "other"/);
  });
});

describe('readHostStates', () => {
  const reader = (networks: string[]): StateReader => ({
    call: (async (method: string) => (method === 'network.list' ? { networks: networks.map((name) => ({ name })) } : method === 'vm.list' ? { vms: [] } : { capsules: [] })) as StateReader['call'],
  });

  it('reads every host side by side', async () => {
    const states = await readHostStates(['local', 'closet'], async (host) => reader([`net-${host}`]));
    expect([...states.entries()].map(([h, s]) => `${h}: ${s.networks.map((n) => n.name).join()}`)).toEqual(['local: net-local', 'closet: net-closet']);
  });

  it('fails naming the host and the reason when one cannot be reached', async () => {
    const refused = () => Promise.reject(new NovaError('unavailable', 'ssh could not connect to ssh://root@attic: Connection refused'));
    await expect(readHostStates(['local', 'attic'], (host) => (host === 'attic' ? refused() : Promise.resolve(reader([]))))).rejects.toMatchObject({
      code: 'unavailable',
      message: 'host attic: cannot read what it has (ssh could not connect to ssh://root@attic: Connection refused); nothing was planned or applied',
    });
  });

  it('gives up on a host that does not answer within the bound', async () => {
    const silent: StateReader = { call: (() => new Promise(() => undefined)) as StateReader['call'] };
    const t0 = Date.now();
    await expect(readHostStates(['closet'], async () => silent, 50)).rejects.toMatchObject({ code: 'timeout', message: expect.stringContaining('host closet: cannot read what it has (no answer within 0 s)') });
    expect(Date.now() - t0).toBeLessThan(2000);
  });
});

/** A host's helper that records the steps sent to it. */
function recorder(host: string, log: string[]): ProjectHelper {
  return {
    call: (async (method: string, params: { name?: string }) => {
      log.push(`${host}: ${method} ${params.name ?? ''}`);
      return {};
    }) as ProjectHelper['call'],
    operation: (async (method: string, params: { name?: string }) => {
      log.push(`${host}: ${method} ${params.name ?? ''}`);
      return {};
    }) as ProjectHelper['operation'],
  };
}

describe('applyPlan across hosts', () => {
  /** The VM app and the capsule db on lan, each on the host given. */
  const two = (app: string, db: string) => `project = "lab"
[network.lan]
subnet = "10.77.0.1/24"
[vm.app]
kernel = "/boot/vmlinux"
display = "none"
network = "lan"
host = "${app}"
[capsule.db]
capsule = "alpine:3.20"
network = "lan"
host = "${db}"
`;

  it('sends each step to the helper of its host', async () => {
    const d = desired(two('local', 'closet'));
    const actual = new Map([['local', EMPTY], ['closet', EMPTY]]);
    const log: string[] = [];
    const mover: GuestMover = { live: () => Promise.reject(new Error('no move expected')), cold: () => Promise.reject(new Error('no move expected')) };
    const out = await applyPlan(planAcrossHosts(d, actual), d, EMPTY, recorder('unused', log), {
      signal: new AbortController().signal,
      onLine: () => undefined,
      hosts: { helper: (host) => recorder(host, log), actual: (host) => actual.get(host)!, mover },
    });
    expect(out.failed).toEqual([]);
    const made = log.filter((l) => /(network|vm|capsule)\.create/.test(l));
    expect(made.sort()).toEqual(['closet: capsule.create db', 'closet: network.create lan', 'local: network.create lan', 'local: vm.create app']);
    expect(out.applied.map((a) => `${a.kind} ${a.name} on ${a.host}`)).toContain('capsule db on closet');
  });

  it('moves a running VM live and a capsule cold; a network with guests on both hosts stays on both', async () => {
    const before = desired(two('local', 'closet'));
    const actual = new Map(before.hosts.map((h) => [h, appliedState(desiredOn(before, h))]));
    const after = desired(two('closet', 'local'));
    const moves: string[] = [];
    const log: string[] = [];
    const mover: GuestMover = {
      live: async (m: GuestMove) => void moves.push(`live ${m.kind} ${m.name} ${m.from}->${m.to}`),
      cold: async (m: GuestMove) => void moves.push(`cold ${m.kind} ${m.name} ${m.from}->${m.to}`),
    };
    const plan = planAcrossHosts(after, actual);
    const out = await applyPlan(plan, after, actual.get('local')!, recorder('unused', log), {
      signal: new AbortController().signal,
      onLine: () => undefined,
      hosts: { helper: (host) => recorder(host, log), actual: (host) => actual.get(host)!, mover },
    });
    expect(out.failed).toEqual([]);
    expect(moves.sort()).toEqual(['cold capsule db closet->local', 'live vm app local->closet']);
    // lan has a guest on each host still: nothing is deleted.
    expect(log.filter((l) => l.includes('.delete'))).toEqual([]);
    expect(out.applied.filter((a) => a.class === 'move').map((a) => `${a.kind} ${a.name} on ${a.host}`).sort()).toEqual(['capsule db on local', 'vm app on closet']);
  });

  it('reports a cold move that fails as that guest failing, naming it, and keeps the network it stays on', async () => {
    const before = desired(two('local', 'closet'));
    const actual = new Map(before.hosts.map((h) => [h, appliedState(desiredOn(before, h))]));
    // Both guests here now; closet is read because the project was last applied there.
    const { config } = parseNovaFile(two('local', 'local'), 'NovaFile.toml', '/p');
    const after = desiredState(config!, undefined, 'local', ['closet']);
    const plan = planAcrossHosts(after, actual);
    expect(plan.changes.map((c) => `${c.class} ${c.kind} ${c.name} on ${c.host}`)).toEqual(['move capsule db on local', 'delete network lan on closet']);
    const log: string[] = [];
    const out = await applyPlan(plan, after, actual.get('local')!, recorder('unused', log), {
      signal: new AbortController().signal,
      onLine: () => undefined,
      hosts: { helper: (host) => recorder(host, log), actual: (host) => actual.get(host)!, mover: { live: () => Promise.reject(new Error('no live move expected')), cold: (m) => Promise.reject(new NovaError('failed_precondition', `capsule ${m.name}: its volume /srv/db is taken on ${m.to}; it stays on ${m.from}`)) } },
    });
    expect(out.failed).toEqual([
      { kind: 'capsule', name: 'db', host: 'local', message: expect.stringContaining('capsule db: its volume /srv/db is taken on local') },
    ]);
    expect(out.failed[0]?.message).toContain('it stays on closet');
    expect(out.applied).toEqual([]);
    expect(out.notApplied).toEqual([{ kind: 'network', name: 'lan', host: 'closet', reason: 'kept: capsule db could not move off it' }]);
    expect(log.filter((l) => l.includes('.delete'))).toEqual([]);
  });
});

describe('nova ps across hosts', () => {
  it('adds a HOST column only when the rows name hosts', () => {
    const row: PsRow = { kind: 'vm', name: 'app', state: 'running', health: null, address: null, declared: true };
    expect(formatPsTable([row]).split('\n')[0]).toMatch(/^KIND\s+NAME\s+STATE\s+HEALTH\s+ADDRESS$/);
    const table = formatPsTable([{ ...row, host: 'local' }, { ...row, kind: 'capsule', name: 'db', host: 'closet' }]);
    expect(table.split('\n')[0]).toMatch(/^KIND\s+NAME\s+HOST\s+STATE\s+HEALTH\s+ADDRESS$/);
    expect(table).toMatch(/^capsule\s+db\s+closet\s+running/m);
  });
});

describe('where a project was applied', () => {
  it('is remembered per NovaFile, only for hosts other than this machine, and forgotten with them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nv7p-memory-'));
    try {
      const memory = new ProjectHostMemory(join(dir, 'nova', 'project-hosts.json'));
      expect(await memory.hostsOf('/p/NovaFile.toml')).toEqual([]);
      await memory.remember('/p/NovaFile.toml', ['local']);
      await expect(readFile(memory.file, 'utf8')).rejects.toMatchObject({ code: 'ENOENT' });
      await memory.remember('/p/NovaFile.toml', ['local', 'closet', 'attic']);
      await memory.remember('/q/NovaFile.toml', ['closet']);
      expect(await memory.hostsOf('/p/NovaFile.toml')).toEqual(['attic', 'closet']);
      await memory.remember('/p/NovaFile.toml', []);
      expect(await memory.hostsOf('/p/NovaFile.toml')).toEqual([]);
      expect(await memory.hostsOf('/q/NovaFile.toml')).toEqual(['closet']);
      await writeFile(memory.file, 'not json');
      expect(await memory.hostsOf('/q/NovaFile.toml')).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('finds a guest whose host key was removed where it still runs, and plans it back as a move', () => {
    const two = (db: string) => `project = "lab"\n[capsule.db]\ncapsule = "alpine:3.20"\n${db}`;
    const before = desired(two('host = "closet"\n'));
    const actual = new Map(before.hosts.map((h) => [h, appliedState(desiredOn(before, h))]));
    const { config } = parseNovaFile(two(''), 'NovaFile.toml', '/p');
    const after = desiredState(config!, undefined, 'local', ['closet']);
    expect(after.hosts).toEqual(['local', 'closet']);
    expect(steps(after, actual)).toEqual(['move capsule db on local from closet']);
  });
});
