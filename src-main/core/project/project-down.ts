// `nova down`: the project's resources (those the helper marks as its own, declared in the
// file or not) stopped in reverse dependency order (independent ones side by side), then
// its networks deleted. Guests are kept stopped, with their disks, writable layers and
// snapshots, unless `volumes`: vm.delete with keepDisks leaves a folder that blocks
// creating the VM again, and capsule.delete has no way to keep the layer, so deleting
// would lose the data. A network that something outside the project uses is kept.
import { novaNetworksOf } from '../../../src-shared/vm-devices.js';
import { isNovaError, toErrorShape } from '../../../src-shared/errors.js';
import type { Network } from '../../../src-shared/network.js';
import { ownerOf, type ActualState } from './actual-state.js';
import type { GuestKind, GuestNode } from './apply-order.js';
import { Gate } from './concurrency-gate.js';
import type { Ref } from './project-apply.js';
import type { ProjectHelper } from './project-helper.js';

export interface DownOptions {
  project: string;
  /** Dependency order of the declared guests (the file's depends_on). */
  declared: readonly GuestNode[];
  volumes: boolean;
  signal: AbortSignal;
  onLine: (subject: string, line: string) => void;
  stopTimeoutSec?: number;
  /** Guests stopped side by side at most. */
  parallel?: number;
}

export interface DownOutcome {
  removed: Ref[];
  stopped: Ref[];
  kept: (Ref & { reason: string })[];
  failed: (Ref & { message: string })[];
  cancelled: boolean;
}

/** The same on each of the project's hosts, side by side; every ref names its host when there is more than one. */
export async function downProjectOnHosts(actual: ReadonlyMap<string, ActualState>, helperOf: (host: string) => ProjectHelper, opts: DownOptions): Promise<DownOutcome> {
  const hosts = [...actual.keys()];
  if (hosts.length === 1) return downProject(actual.get(hosts[0]!)!, helperOf(hosts[0]!), opts);
  const outcomes = await Promise.all(
    hosts.map(async (host) => {
      const out = await downProject(actual.get(host)!, helperOf(host), { ...opts, onLine: (subject, line) => opts.onLine(`${subject} on ${host}`, line) });
      const tag = <T extends Ref>(refs: T[]) => refs.map((r) => ({ ...r, host }));
      return { removed: tag(out.removed), stopped: tag(out.stopped), kept: tag(out.kept), failed: tag(out.failed), cancelled: out.cancelled };
    }),
  );
  return {
    removed: outcomes.flatMap((o) => o.removed),
    stopped: outcomes.flatMap((o) => o.stopped),
    kept: outcomes.flatMap((o) => o.kept),
    failed: outcomes.flatMap((o) => o.failed),
    cancelled: outcomes.some((o) => o.cancelled),
  };
}

export async function downProject(actual: ActualState, h: ProjectHelper, opts: DownOptions): Promise<DownOutcome> {
  const out: DownOutcome = { removed: [], stopped: [], kept: [], failed: [], cancelled: false };
  const mine = <T>(kind: 'vm' | 'capsule' | 'network', list: readonly T[]) => list.filter((r) => ownerOf(kind, r as never) === opts.project);
  const vms = mine('vm', actual.vms);
  const capsules = mine('capsule', actual.capsules);
  const guests: { kind: GuestKind; name: string }[] = [...vms.map((v) => ({ kind: 'vm' as const, name: v.definition.name })), ...capsules.map((c) => ({ kind: 'capsule' as const, name: c.name }))];
  const stopSec = opts.stopTimeoutSec ?? 10;
  const takeDown = async (g: { kind: GuestKind; name: string }): Promise<void> => {
    const ref: Ref = g;
    const subject = `${g.kind} ${g.name}`;
    if (opts.signal.aborted) {
      out.cancelled = true;
      return;
    }
    try {
      if (opts.volumes) {
        opts.onLine(subject, 'deleting with its data');
        if (g.kind === 'vm') await h.operation('vm.delete', { name: g.name, force: true }, subject);
        else await h.operation('capsule.delete', { name: g.name, force: true }, subject);
        out.removed.push(ref);
        return;
      }
      if (isUp(g, actual)) {
        opts.onLine(subject, 'stopping');
        if (g.kind === 'vm') await h.operation('vm.stop', { name: g.name, timeoutMs: stopSec * 1000 }, subject);
        else await h.operation('capsule.stop', { name: g.name, timeoutSec: stopSec }, subject);
      }
      out.stopped.push(ref);
      opts.onLine(subject, `stopped; kept with its ${g.kind === 'vm' ? 'disks and snapshots' : 'writable layer and snapshots'} (nova down --volumes deletes them)`);
    } catch (err) {
      if (isNovaError(err, 'cancelled')) out.cancelled = true;
      else out.failed.push({ ...ref, message: toErrorShape(err).message });
    }
  };
  // Each guest goes once every declared guest that depends on it has gone; others side by side.
  const byName = new Map(guests.map((g) => [g.name, g]));
  const dependents = new Map<string, string[]>();
  for (const n of opts.declared) for (const d of n.dependsOn) dependents.set(d.name, [...(dependents.get(d.name) ?? []), n.name]);
  const gate = new Gate(opts.parallel ?? 4);
  const tasks = new Map<string, Promise<void>>();
  const down = (g: { kind: GuestKind; name: string }): Promise<void> => {
    const known = tasks.get(g.name);
    if (known) return known;
    const task = (async () => {
      await Promise.all((dependents.get(g.name) ?? []).flatMap((n) => (byName.has(n) ? [down(byName.get(n)!)] : [])));
      await gate.run(() => takeDown(g));
    })();
    tasks.set(g.name, task);
    return task;
  };
  await Promise.all(guests.map(down));

  for (const net of mine('network', actual.networks)) {
    const ref: Ref = { kind: 'network', name: net.name };
    if (opts.signal.aborted) {
      out.cancelled = true;
      break;
    }
    const users = outsideUsers(net, actual, opts.project);
    if (users.length > 0) {
      const reason = `still used by ${users.join(', ')}, outside project ${opts.project}`;
      out.kept.push({ ...ref, reason });
      opts.onLine(`network ${net.name}`, `kept: ${reason}`);
      continue;
    }
    if (out.failed.some((f) => usesNetwork(f, net, actual))) {
      out.kept.push({ ...ref, reason: 'a guest on it could not be stopped' });
      continue;
    }
    try {
      opts.onLine(`network ${net.name}`, 'deleting');
      await h.operation('network.delete', { name: net.name }, `network ${net.name}`);
      out.removed.push(ref);
    } catch (err) {
      out.failed.push({ ...ref, message: toErrorShape(err).message });
    }
  }
  return out;
}

/** Guests outside the project that are on the network, or will join it when started. */
function outsideUsers(net: Network, actual: ActualState, project: string): string[] {
  const users = new Set<string>();
  for (const v of actual.vms) {
    if (ownerOf('vm', v) === project) continue;
    if (novaNetworksOf(v.definition).includes(net.name)) users.add(`vm ${v.definition.name}`);
  }
  for (const c of actual.capsules) {
    if (ownerOf('capsule', c) === project) continue;
    if (c.spec.network === net.name) users.add(`capsule ${c.name}`);
  }
  const ours = new Set([...actual.vms.filter((v) => ownerOf('vm', v) === project).map((v) => v.definition.name), ...actual.capsules.filter((c) => ownerOf('capsule', c) === project).map((c) => c.name)]);
  for (const a of net.attachments) {
    // A VM's further NIC on one network is attached as VM_nicN.
    const owner = a.kind === 'tap' ? a.resource.replace(/_nic\d+$/, '') : a.resource;
    if (!ours.has(owner) && ![...users].some((u) => u.endsWith(` ${owner}`))) users.add(`${a.kind === 'tap' ? 'vm' : 'capsule'} ${owner}`);
  }
  return [...users].sort();
}

function usesNetwork(ref: Ref, net: Network, actual: ActualState): boolean {
  if (ref.kind === 'vm') return actual.vms.some((v) => v.definition.name === ref.name && novaNetworksOf(v.definition).includes(net.name));
  if (ref.kind === 'capsule') return actual.capsules.some((c) => c.name === ref.name && c.spec.network === net.name);
  return false;
}

function isUp(g: { kind: GuestKind; name: string }, actual: ActualState): boolean {
  if (g.kind === 'vm') return actual.vms.some((v) => v.definition.name === g.name && v.state !== 'stopped' && v.state !== 'crashed');
  return actual.capsules.some((c) => c.name === g.name && c.state !== 'stopped' && c.state !== 'created');
}
