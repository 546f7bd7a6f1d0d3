// Network create as an operation, inside a test namespace with the real ip, nft and
// dnsmasq: its steps as progress, conflicting changes refused as `locked` while it runs,
// a cancel mid-way (and one during a step that cannot be interrupted) leaving nothing
// behind, and network.changed from the engine itself for every change, whoever made it.
// Steps take milliseconds here, so a test holds one: a real `sleep` runs, under the
// operation's signal, just before the step's own command, until the test lets it go.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Operation } from '../../src-shared/operation.js';
import { networkManagerCapsulePort } from '../src/capsule/capsule-network.js';
import type { CommandRunner } from '../src/network/command-runner.js';
import type { NetworkManager } from '../src/network/network-manager.js';
import { OperationManager } from '../src/operations/operation-manager.js';
import { ProcessRunner, type RunSpec } from '../src/process/process-runner.js';
import { silentLogger } from '../src/util/logger.js';
import { networkManagerPort } from '../src/vm/vm-network.js';
import { processesMatching } from './fixtures/frozen-child.js';
import { waitFor } from './fixtures/wait-for.js';
import { NetnsLab, pidsMentioning, snapshotHost } from './network-harness.js';

let lab: NetnsLab;
let host = '';
let guest = '';
let mgr: NetworkManager;
const ops: Operation[] = [];
const changes: string[] = [];
const operations = new OperationManager({ logger: silentLogger(), emit: (op) => ops.push(op) });
/** A person asking (not Nova itself), as the RPC layer passes the caller. */
const alice = { caller: { uid: 1000, pid: process.pid } };

/** The command whose calls are held ("nft -f"), and the token naming this run's sleeps in /proc (20.x s at most). */
const hold = { command: '', token: `${20 + Math.random()}`.slice(0, 12) };

/** The lab's runner, with a real `sleep TOKEN` before every call of `hold.command` while one is set. */
function holdingRunner(base: CommandRunner): CommandRunner {
  return {
    async run(spec: RunSpec) {
      if (hold.command !== '' && spec.argv.join(' ').startsWith(hold.command)) {
        await base.run({ ...spec, argv: ['sleep', hold.token], input: undefined, allowFailure: true });
      }
      return base.run(spec);
    },
  };
}

const sleepers = () => processesMatching((argv) => argv[0] === 'sleep' && argv[1] === hold.token);

/** Starts a create held at `command`'s step; resolves once it waits there, with its operation. */
async function heldCreate(name: string, subnet: string, command: string) {
  hold.command = command;
  const creating = mgr.create({ name, profile: 'internal', subnet, dhcp: true }, alice);
  creating.catch(() => undefined);
  await waitFor(async () => (await sleepers()).length > 0, 15_000, `the ${command} step of ${name}`);
  const op = ops.findLast((o) => o.resource.name === name);
  if (!op) throw new Error(`no operation for ${name}`);
  return { creating, op };
}

/** Lets every held step go on. */
async function release(): Promise<void> {
  hold.command = '';
  for (const pid of await sleepers()) process.kill(pid, 'SIGTERM');
}

const phasesOf = (id: string) => [...new Set(ops.filter((o) => o.id === id).map((o) => o.progress.phase))];

beforeAll(async () => {
  lab = await NetnsLab.create('q');
  host = await lab.netns('h');
  guest = await lab.netns('g');
  mgr = lab.manager(host, 'm', {
    runner: holdingRunner(new ProcessRunner().inNetns(host)),
    operations,
    onChanged: (name) => changes.push(name),
  });
});

afterAll(async () => {
  await release().catch(() => undefined);
  await lab?.cleanup();
});

describe('network create as an operation', () => {
  it('reports its steps, ends succeeded, and announces the network', async () => {
    const name = lab.name('a');
    const net = await mgr.create({ name, profile: 'internal', subnet: '10.81.0.1/24', dhcp: true }, alice);
    expect(net.status).toEqual({ state: 'active', reasons: [] });
    const op = ops.findLast((o) => o.resource.name === name);
    expect(op).toMatchObject({ kind: 'network.create', resource: { kind: 'network', name }, title: 'creation', state: 'succeeded', owner: { uid: 1000 } });
    expect(phasesOf(op?.id ?? '')).toEqual(['starting', 'checking the host', 'creating the bridge', 'firewall rules', 'starting dnsmasq', 'done']);
    expect(changes.filter((c) => c === name).length).toBeGreaterThanOrEqual(1);
  });

  it('refuses changes to the network it creates as locked, naming it, and lets other networks change', async () => {
    const name = lab.name('b');
    const { creating, op } = await heldCreate(name, '10.82.0.1/24', 'nft -f');
    expect(op.progress.phase).toBe('firewall rules');
    const busy = { code: 'locked', message: expect.stringMatching(new RegExp(`^Network ${name} is busy: creation \\(started \\d+ s ago by uid 1000\\)$`)), details: { operationId: op.id } };
    const refused = await Promise.allSettled([
      mgr.delete(name),
      mgr.attach({ network: name, resource: 'web', kind: 'veth', netns: guest }),
      mgr.detach(name, 'web'),
      networkManagerPort(mgr).attachTap(name, 'vm1'),
    ]);
    for (const r of refused) expect(r).toMatchObject({ status: 'rejected', reason: busy });
    // Another network is its own resource: a guest joins it meanwhile.
    const other = lab.name('a');
    expect(await mgr.attach({ network: other, resource: 'side', kind: 'veth', netns: guest, address: '10.81.0.7/24' })).toMatchObject({ present: true });
    await mgr.detach(other, 'side');
    await release();
    expect((await creating).status.state).toBe('active');
    await mgr.delete(name);
  });

  it('removes everything it made when cancelled mid-way: no bridge, rules, dnsmasq or record', async () => {
    const before = await snapshotHost(lab, host, join(lab.dir, 'm-state'));
    const name = lab.name('c');
    const { creating, op } = await heldCreate(name, '10.83.0.1/24', 'nft -f');
    // Mid-way indeed: the bridge is there, the rules are not yet.
    expect((await lab.exec(host, ['ip', 'link', 'show', 'dev', name])).exitCode).toBe(0);
    expect((await mgr.list()).find((n) => n.name === name)?.status).toEqual({ state: 'down', reasons: ['being created'] });
    // Only this step is held: the undo's own rules apply must not be.
    hold.command = '';
    operations.cancel(op.id, { uid: 1000 });
    await expect(creating).rejects.toMatchObject({ code: 'cancelled' });
    expect(operations.get(op.id)).toMatchObject({ state: 'cancelled', error: { code: 'cancelled' } });
    expect(await snapshotHost(lab, host, join(lab.dir, 'm-state'))).toEqual(before);
    expect(await pidsMentioning(join(lab.dir, 'm-run', name))).toEqual([]);
    // The held step was a real process, and the cancel ended it at once.
    expect(await sleepers()).toEqual([]);
    expect(Date.parse(operations.get(op.id).finishedAt ?? '') - Date.parse(op.startedAt)).toBeLessThan(10_000);
    expect((await mgr.list()).map((n) => n.name)).not.toContain(name);
    expect(changes.filter((c) => c === name).length).toBeGreaterThanOrEqual(2);
  });

  it('finishes a step that cannot be interrupted (dnsmasq starting), then removes everything', async () => {
    const before = await snapshotHost(lab, host, join(lab.dir, 'm-state'));
    const name = lab.name('d');
    const { creating, op } = await heldCreate(name, '10.84.0.1/24', 'dnsmasq');
    expect(op).toMatchObject({ progress: { phase: 'starting dnsmasq' }, cancellable: false });
    expect(operations.cancel(op.id, null)).toMatchObject({ cancelRequested: true });
    // Not interrupted: the step goes on until it ends by itself.
    await new Promise((r) => setTimeout(r, 300));
    expect(await sleepers()).toHaveLength(1);
    await release();
    await expect(creating).rejects.toMatchObject({ code: 'cancelled' });
    expect(await snapshotHost(lab, host, join(lab.dir, 'm-state'))).toEqual(before);
    expect(await pidsMentioning(join(lab.dir, 'm-run', name))).toEqual([]);
  });
});

describe('network.changed from the engine', () => {
  it('for guests joining and leaving through the VM and capsule engines, forwards, and repairs on recovery', async () => {
    const name = lab.name('e');
    await mgr.create({ name, profile: 'nat', subnet: '10.85.0.1/24' });
    const since = () => {
      const mark = changes.length;
      return () => changes.slice(mark);
    };
    let seen = since();
    const tap = await networkManagerPort(mgr).attachTap(name, 'vm1');
    expect(seen()).toContain(name);
    seen = since();
    await networkManagerPort(mgr).detachTap(name, 'vm1');
    expect(seen()).toContain(name);

    seen = since();
    const capsules = networkManagerCapsulePort(mgr);
    const joined = await capsules.attach(name, 'cap1', guest, undefined);
    expect(seen()).toContain(name);
    seen = since();
    await capsules.publish(name, joined.address, [{ hostPort: 18085, guestPort: 80, protocol: 'tcp' }]);
    expect(seen()).toContain(name);
    seen = since();
    await capsules.unpublish(name, joined.address, [{ hostPort: 18085, guestPort: 80, protocol: 'tcp' }]);
    await capsules.detach(name, 'cap1');
    expect(seen().filter((c) => c === name).length).toBeGreaterThanOrEqual(2);
    expect(tap.ifname).toMatch(/^nv8na/);

    // Someone removes the bridge; the next start puts it back and says so.
    await lab.exec(host, ['ip', 'link', 'del', 'dev', name]);
    seen = since();
    const report = await mgr.start();
    expect(report.recovered).toContain(name);
    expect(seen()).toContain(name);
    expect((await mgr.get(name)).status.state).toBe('active');
    // A network that was whole is not announced by a start.
    seen = since();
    await mgr.start();
    expect(seen()).not.toContain(name);

    seen = since();
    await mgr.delete(name);
    expect(seen()).toContain(name);
  });
});

