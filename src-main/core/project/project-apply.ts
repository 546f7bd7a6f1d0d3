// `nova up`'s engine: carries out a plan through the helper. Networks first, one at a
// time; then every guest as soon as the guests it depends on are applied and meet their
// condition (started, healthy, completed), a few side by side; then what the file no
// longer declares, guests before networks. A failure stops only its dependents, each
// told which dependency failed; what was applied stays. Running it again converges,
// since each step is planned from what the helper reports. A project on several hosts
// applies each step through its host's helper; a guest placed on another host than the
// one that has it is moved (a GuestMover: live for a running VM, cold otherwise).
import type { Capsule } from '../../../src-shared/capsule.js';
import { NovaError, isNovaError, toErrorShape } from '../../../src-shared/errors.js';
import type { Network } from '../../../src-shared/network.js';
import type { ChangeClass, ProjectPlan, ProjectResourceKind, ResourceChange } from '../../../src-shared/project.js';
import type { VmInfo } from '../../../src-shared/vm.js';
import type { ActualState } from './actual-state.js';
import { guestNodes, selectGuests, type GuestNode } from './apply-order.js';
import type { GuestMover } from './guest-mover.js';
import { findGuest } from './project-plan.js';
import type { DesiredState } from './desired-state.js';
import { waitForCondition } from './dependency-wait.js';
import { applyCapsuleChange, applyVmChange, type StepContext } from './guest-steps.js';
import { applyNetworkChange } from './network-steps.js';
import type { ProjectHelper } from './project-helper.js';
import { Gate } from './concurrency-gate.js';

export interface ApplyOptions {
  /** `nova up SERVICE...`: only these guests and what they depend on (and nothing is deleted). */
  services?: readonly string[];
  /** Apply what is not blocked (or clashing) instead of refusing the whole plan. */
  partial?: boolean;
  /** Guests applied side by side at most. */
  parallel?: number;
  signal: AbortSignal;
  /** A line about one resource ("capsule db", "created"). */
  onLine: (subject: string, line: string) => void;
  /**
   * Hands the guests their snapshot policies ([snapshots] merged with their own) once the
   * guests are applied, skipping those named in `skip` ("capsule db": failed, not applied,
   * or not chosen); returns a line per policy set or removed. Nothing by default.
   */
  applySnapshotPolicies?: (skip: ReadonlySet<string>) => Promise<string[]>;
  stopTimeoutSec?: number;
  waitPollMs?: number;
  /** Bound on a `completed` wait, and on `healthy` without a check. */
  waitBoundMs?: number;
  now?: () => Date;
  /** The project's hosts, for a plan across several (plan.hosts); without, every step goes through `h`. */
  hosts?: ApplyHosts;
}

export interface ApplyHosts {
  helper(host: string): ProjectHelper;
  /** What the plan read from the host. */
  actual(host: string): ActualState;
  mover: GuestMover;
}

export interface Ref {
  kind: ProjectResourceKind;
  name: string;
  /** Set when the project spans more than one host. */
  host?: string;
}

export interface ApplyOutcome {
  applied: (Ref & { class: ChangeClass })[];
  failed: (Ref & { message: string })[];
  /** Left alone: a dependency failed or was skipped, or the apply was cancelled first. */
  notApplied: (Ref & { reason: string })[];
  cancelled: boolean;
}

type Result = 'ok' | 'failed' | 'skipped';

/**
 * Guests applied side by side. Most of a guest's start is waiting (on runc, on fsyncs), so
 * more than the cores pays: at 3, five capsules took two waves. Not many more: guests on
 * one network queue for its lock to attach, and the helper bounds that wait (3 s).
 */
const GUESTS_AT_ONCE = 6;

export async function applyPlan(plan: ProjectPlan, desired: DesiredState, actual: ActualState, h: ProjectHelper, opts: ApplyOptions): Promise<ApplyOutcome> {
  const out: ApplyOutcome = { applied: [], failed: [], notApplied: [], cancelled: false };
  const nodes = guestNodes(desired);
  const services = opts.services ?? [];
  const chosen = selectGuests(nodes, services);
  const held = heldBack(plan, opts.partial === true);
  const multi = plan.hosts !== undefined && opts.hosts !== undefined;
  const hosts = opts.hosts;
  const helperOn = (host: string | undefined): ProjectHelper => (host === undefined || !hosts ? h : namingHost(hosts.helper(host), host));
  const actualOn = (host: string | undefined): ActualState => (host === undefined || !hosts ? actual : hosts.actual(host));
  const guestHost = (kind: string, name: string): string | undefined =>
    multi ? (kind === 'vm' ? desired.vms.find((v) => v.config.name === name)?.host : desired.capsules.find((c) => c.config.name === name)?.host) : undefined;
  const key = (kind: string, name: string) => `${kind}:${name}`;
  // A guest has one step at most (on its host); a network one per host it is on.
  const changes = new Map(plan.changes.filter((c) => c.class !== 'delete').map((c) => [c.kind === 'network' ? `${c.host ?? ''}|${key(c.kind, c.name)}` : key(c.kind, c.name), c]));
  const onHost = (host: string | undefined) => (host === undefined ? {} : { host });
  const ctx = (subject: string, host?: string): StepContext => ({
    h: helperOn(host),
    say: (line) => opts.onLine(subject, line),
    throwIfCancelled: () => {
      if (opts.signal.aborted) throw new NovaError('cancelled', 'nova up was cancelled');
    },
    stopTimeoutSec: opts.stopTimeoutSec ?? 10,
    now: opts.now ?? (() => new Date()),
  });
  const fail = (ref: Ref, err: unknown) => {
    if (isNovaError(err, 'cancelled') || opts.signal.aborted) {
      out.cancelled = true;
      out.notApplied.push({ ...ref, reason: 'cancelled' });
    } else {
      out.failed.push({ ...ref, message: toErrorShape(err).message });
    }
  };

  // Networks: those the chosen guests join (all the file's without SERVICE names), on each host they are placed on.
  const wantedNets = new Set(services.length === 0 ? desired.networks.map((n) => n.config.name) : nodes.filter((n) => chosen.has(n.name)).flatMap((n) => n.networks));
  const netResult = new Map<string, Result>();
  const netKey = (host: string | undefined, name: string) => `${host ?? ''}|${name}`;
  for (const d of desired.networks) {
    const name = d.config.name;
    if (!wantedNets.has(name)) continue;
    for (const host of multi ? d.hosts : [undefined]) {
      const ref: Ref = { kind: 'network', name, ...onHost(host) };
      const subject = host === undefined ? `network ${name}` : `network ${name} on ${host}`;
      const why = held.get(key('network', name));
      if (why) {
        netResult.set(netKey(host, name), 'skipped');
        out.notApplied.push({ ...ref, reason: why });
        continue;
      }
      const change = changes.get(`${host ?? ''}|${key('network', name)}`);
      if (!change) {
        netResult.set(netKey(host, name), 'ok');
        continue;
      }
      if (opts.signal.aborted) {
        out.cancelled = true;
        out.notApplied.push({ ...ref, reason: 'cancelled' });
        netResult.set(netKey(host, name), 'skipped');
        continue;
      }
      try {
        await applyNetworkChange(change, d, actualOn(host).networks.find((n) => n.name === name) ?? null, ctx(subject, host));
        out.applied.push({ ...ref, class: change.class });
        opts.onLine(subject, done(change.class));
        netResult.set(netKey(host, name), 'ok');
      } catch (err) {
        fail(ref, err);
        netResult.set(netKey(host, name), 'failed');
      }
    }
  }

  // Guests: each waits for its dependencies, bounded side by side.
  const gate = new Gate(opts.parallel ?? GUESTS_AT_ONCE);
  const tasks = new Map<string, Promise<Result>>();
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const run = (node: GuestNode): Promise<Result> => {
    const existing = tasks.get(node.name);
    if (existing) return existing;
    const task = guestTask(node);
    tasks.set(node.name, task);
    return task;
  };
  const guestTask = async (node: GuestNode): Promise<Result> => {
    const host = guestHost(node.kind, node.name);
    const ref: Ref = { kind: node.kind, name: node.name, ...onHost(host) };
    const subject = `${node.kind} ${node.name}`;
    const deps = node.dependsOn.flatMap((d) => {
      const target = byName.get(d.name);
      return target ? [{ dep: d, target }] : [];
    });
    const results = await Promise.all(deps.map(({ target }) => run(target)));
    const held0 = held.get(key(node.kind, node.name));
    if (held0) return skip(ref, held0);
    const netOf = (n: string) => netResult.get(netKey(host, n));
    const badNet = node.networks.find((n) => netOf(n) !== undefined && netOf(n) !== 'ok');
    if (badNet !== undefined) {
      return skip(ref, `not applied: its network ${badNet} ${netOf(badNet) === 'failed' ? 'failed' : 'was not applied'}`);
    }
    const bad = deps.findIndex((_, i) => results[i] !== 'ok');
    if (bad >= 0) {
      const d = deps[bad]!;
      return skip(ref, `not started: it depends on ${d.target.kind} ${d.target.name}, which ${results[bad] === 'failed' ? 'failed' : 'was not applied'}`);
    }
    if (opts.signal.aborted) return skip(ref, 'cancelled');
    try {
      for (const { dep, target } of deps) {
        if (dep.condition === 'started' && !changes.has(key(target.kind, target.name))) continue;
        opts.onLine(subject, `waiting for ${target.kind} ${target.name} to be ${dep.condition}`);
        await waitForCondition(helperOn(guestHost(target.kind, target.name)), { kind: target.kind, name: target.name, condition: dep.condition, health: healthOf(desired, target) }, {
          signal: opts.signal,
          pollMs: opts.waitPollMs,
          boundMs: opts.waitBoundMs,
        });
      }
    } catch (err) {
      if (opts.signal.aborted) return skip(ref, 'cancelled');
      return skip(ref, `not started: ${toErrorShape(err).message}`, 'failed');
    }
    const change = changes.get(key(node.kind, node.name));
    if (!change) return 'ok';
    return gate.run(async () => {
      if (opts.signal.aborted) return skip(ref, 'cancelled');
      try {
        await applyGuest(node, change, ctx(subject, host));
        out.applied.push({ ...ref, class: change.class });
        opts.onLine(subject, done(change.class));
        return 'ok';
      } catch (err) {
        fail(ref, err);
        return 'failed';
      }
    });
  };
  const skip = (ref: Ref, reason: string, as: Result = 'skipped'): Result => {
    if (reason === 'cancelled') out.cancelled = true;
    if (as === 'failed') out.failed.push({ ...ref, message: reason });
    else out.notApplied.push({ ...ref, reason });
    return as;
  };
  const applyGuest = (node: GuestNode, change: ResourceChange, c: StepContext) => {
    if (change.class === 'move') return moveGuest(node, change, c);
    const have = actualOn(change.host);
    return node.kind === 'vm'
      ? applyVmChange(change, desired.vms.find((v) => v.config.name === node.name) ?? null, find<VmInfo>(have.vms, (v) => v.definition.name, node.name), c)
      : applyCapsuleChange(change, desired.capsules.find((x) => x.config.name === node.name) ?? null, find<Capsule>(have.capsules, (x) => x.name, node.name), c);
  };
  /** "host|network" -> the guest that could not move off it. */
  const stayedOn = new Map<string, string>();
  const moveGuest = async (node: GuestNode, change: ResourceChange, c: StepContext): Promise<void> => {
    const from = change.from;
    const to = change.host;
    if (!hosts || from === undefined || to === undefined) throw new NovaError('internal', `${node.kind} ${node.name}: a move step without its hosts`);
    const move = { kind: node.kind, name: node.name, from, to, say: c.say };
    const live = node.kind === 'vm' && findGuest(hosts.actual(from), node.kind, node.name)?.running === true;
    c.say(`moving from ${from} to ${to}${live ? ' while it runs' : ''}`);
    try {
      await (live ? hosts.mover.live(move) : hosts.mover.cold(move));
    } catch (err) {
      // It stays where it was, on its networks there: those are not deleted under it.
      for (const net of node.networks) stayedOn.set(`${from}|${net}`, `${node.kind} ${node.name}`);
      throw err;
    }
  };
  await Promise.all(nodes.filter((n) => chosen.has(n.name)).map(run));
  if (opts.applySnapshotPolicies && !opts.signal.aborted) {
    const skip = new Set([...out.failed, ...out.notApplied].map((r) => `${r.kind} ${r.name}`));
    for (const n of nodes) if (!chosen.has(n.name)) skip.add(`${n.kind} ${n.name}`);
    try {
      for (const line of await opts.applySnapshotPolicies(skip)) opts.onLine('snapshots', line);
    } catch (err) {
      // The guests themselves are up: a policy the helper refused is said, not fatal.
      opts.onLine('snapshots', `policies not applied: ${toErrorShape(err).message}`);
    }
  }

  // What the file no longer declares: guests, then the networks they sat on.
  if (services.length > 0) return out;
  for (const change of plan.changes.filter((c) => c.class === 'delete')) {
    const host = multi ? change.host : undefined;
    const ref: Ref = { kind: change.kind, name: change.name, ...onHost(host) };
    if (opts.signal.aborted) {
      skip(ref, 'cancelled');
      continue;
    }
    const subject = `${change.kind} ${change.name}${host === undefined ? '' : ` on ${host}`}`;
    const stayed = change.kind === 'network' ? stayedOn.get(`${host ?? ''}|${change.name}`) : undefined;
    if (stayed !== undefined) {
      skip(ref, `kept: ${stayed} could not move off it`);
      opts.onLine(subject, `kept: ${stayed} could not move off it`);
      continue;
    }
    const c = ctx(subject, host);
    try {
      if (change.kind === 'network') await applyNetworkChange(change, null, find<Network>(actualOn(host).networks, (n) => n.name, change.name), c);
      else if (change.kind === 'vm') await applyVmChange(change, null, null, c);
      else await applyCapsuleChange(change, null, null, c);
      out.applied.push({ ...ref, class: 'delete' });
      opts.onLine(subject, 'deleted');
    } catch (err) {
      fail(ref, err);
    }
  }
  return out;
}

/** A host's helper whose operations' progress names the host ("network lan on closet"). */
function namingHost(helper: ProjectHelper, host: string): ProjectHelper {
  return { call: (method, params) => helper.call(method, params), operation: (method, params, subject) => helper.operation(method, params, `${subject} on ${host}`) };
}

/** Blocked and clashing resources, each with why it is left alone; refused whole unless `partial`. */
function heldBack(plan: ProjectPlan, partial: boolean): Map<string, string> {
  const held = new Map<string, string>();
  for (const b of plan.blocked) held.set(`${b.kind}:${b.name}`, `blocked: ${b.reason} (${b.key}); to fix: ${b.remedy}`);
  for (const c of plan.clashes) held.set(`${c.kind}:${c.name}`, `clash: ${c.message}`);
  if (held.size > 0 && !partial) {
    const lines = [...plan.clashes.map((c) => c.message), ...plan.blocked.map((b) => `${b.kind} ${b.name} is blocked (${b.key}): ${b.reason}; to fix: ${b.remedy}`)];
    throw new NovaError(
      'failed_precondition',
      `nothing applied: ${lines.join('; ')}. Fix ${held.size === 1 ? 'it' : 'them'}, or run nova up --partial to apply everything else`,
      { clashes: plan.clashes.map((c) => `${c.kind} ${c.name}`), blocked: plan.blocked.map((b) => b.key) },
    );
  }
  return held;
}

function healthOf(desired: DesiredState, node: GuestNode) {
  return node.kind === 'vm' ? desired.vms.find((v) => v.config.name === node.name)?.config.health : desired.capsules.find((c) => c.config.name === node.name)?.config.health;
}

function find<T>(list: readonly T[], nameOf: (t: T) => string, name: string): T | null {
  return list.find((t) => nameOf(t) === name) ?? null;
}

const DONE: Record<ChangeClass, string> = { create: 'created', update: 'updated', restart: 'updated and restarted', replace: 'replaced', move: 'moved', delete: 'deleted' };
const done = (cls: ChangeClass) => DONE[cls];
