// The plan: a project's desired state against the helper's actual state, pure and fast.
// Each resource the file declares is created, left alone, or changed (classed by its
// most disruptive field); each resource the project owns that the file no longer
// declares is deleted; a name held by another project or by nobody is a clash, never
// planned over. Networks come first, then guests; deletes come last. Across several
// hosts, each host's share is planned so and the results joined (planAcrossHosts).
import type { Blocked, ChangeClass, Clash, FieldChange, ProjectPlan, ResourceChange, ProjectResourceKind } from '../../../src-shared/project.js';
import { ownerOf, type ActualState } from './actual-state.js';
import { desiredOn, type DesiredState } from './desired-state.js';
import { capsuleFieldChanges, networkFieldChanges, vmFieldChanges } from './field-diffs.js';

const SEVERITY: Record<FieldChange['class'], number> = { update: 0, restart: 1, replace: 2 };

function changeClass(fields: readonly FieldChange[]): ChangeClass {
  let worst: FieldChange['class'] = 'update';
  for (const f of fields) if (SEVERITY[f.class] > SEVERITY[worst]) worst = f.class;
  return worst;
}

interface KindPlan<D, A> {
  kind: ProjectResourceKind;
  desired: readonly D[];
  actual: readonly A[];
  nameOf: (a: A) => string;
  desiredName: (d: D) => string;
  fields: (d: D, a: A) => FieldChange[];
}

export function planProject(desired: DesiredState, actual: ActualState, blocked: Blocked[] = []): ProjectPlan {
  const plan: ProjectPlan = { project: desired.project, file: desired.file, changes: [], clashes: [], blocked, unchanged: [] };
  const deletes: ResourceChange[] = [];
  const add = <D, A>(k: KindPlan<D, A>) => {
    const byName = new Map(k.actual.map((a) => [k.nameOf(a), a]));
    const declared = new Set<string>();
    for (const d of k.desired) {
      const name = k.desiredName(d);
      declared.add(name);
      const have = byName.get(name);
      if (!have) {
        plan.changes.push({ kind: k.kind, name, class: 'create', fields: [] });
        continue;
      }
      const owner = ownerOf(k.kind, have as never);
      if (owner !== desired.project) {
        plan.clashes.push(clash(k.kind, name, owner, desired.project));
        continue;
      }
      const fields = k.fields(d, have);
      if (fields.length === 0) plan.unchanged.push({ kind: k.kind, name });
      else plan.changes.push({ kind: k.kind, name, class: changeClass(fields), fields });
    }
    for (const a of k.actual) {
      const name = k.nameOf(a);
      if (!declared.has(name) && ownerOf(k.kind, a as never) === desired.project) deletes.push({ kind: k.kind, name, class: 'delete', fields: [] });
    }
  };
  add({ kind: 'network', desired: desired.networks, actual: actual.networks, nameOf: (n) => n.name, desiredName: (d) => d.config.name, fields: networkFieldChanges });
  add({ kind: 'vm', desired: desired.vms, actual: actual.vms, nameOf: (v) => v.definition.name, desiredName: (d) => d.config.name, fields: vmFieldChanges });
  add({ kind: 'capsule', desired: desired.capsules, actual: actual.capsules, nameOf: (c) => c.name, desiredName: (d) => d.config.name, fields: capsuleFieldChanges });
  // Guests go before the networks they sit on.
  plan.changes.push(...deletes.sort((a, b) => Number(a.kind === 'network') - Number(b.kind === 'network')));
  return plan;
}

function clash(kind: ProjectResourceKind, name: string, owner: string | null, project: string): Clash {
  const holder = owner === null ? 'an unmanaged one (made outside any project)' : `one of project "${owner}"`;
  return {
    kind,
    name,
    owner,
    message: `${kind} ${name} already exists as ${holder}; project "${project}" will not touch it. Rename it in the file, or remove the other ${kind} first`,
  };
}

/**
 * The plan of a project across its hosts: each host's share of the file planned against
 * that host's state, every step marked with its host when there is more than one; a guest
 * the file places on one host that the project has on another becomes one move step
 * (from, to) instead of a create there and a delete here.
 */
export function planAcrossHosts(desired: DesiredState, actual: ReadonlyMap<string, ActualState>, blocked: Blocked[] = []): ProjectPlan {
  if (desired.hosts.length === 1) return planProject(desired, stateOf(actual, desired.hosts[0]!), blocked);
  const plan: ProjectPlan = { project: desired.project, file: desired.file, changes: [], clashes: [], blocked, unchanged: [], hosts: [...desired.hosts] };
  const perHost = desired.hosts.map((host) => ({ host, plan: planProject(desiredOn(desired, host), stateOf(actual, host)) }));
  const tagged = perHost.flatMap(({ host, plan: p }) => p.changes.map((c) => ({ ...c, host })));
  const guestKey = (c: ResourceChange) => `${c.kind}:${c.name}`;
  const leaving = new Map(tagged.filter((c) => c.class === 'delete' && c.kind !== 'network').map((c) => [guestKey(c), c]));
  const moved = new Set<ResourceChange>();
  for (const c of tagged) {
    const source = c.class === 'create' && c.kind !== 'network' ? leaving.get(guestKey(c)) : undefined;
    if (!source) continue;
    moved.add(source);
    moved.add(c);
    plan.changes.push({ kind: c.kind, name: c.name, class: 'move', fields: [{ field: 'host', old: source.host, new: c.host, class: 'update', drift: false }], host: c.host, from: source.host });
  }
  const rest = tagged.filter((c) => !moved.has(c));
  // Networks first (a move needs its network at the destination), then guests; deletes last, guests before networks.
  const rank = (c: ResourceChange) => (c.class === 'delete' ? 3 + Number(c.kind === 'network') : c.kind === 'network' ? 0 : 1);
  const ordered = [...rest.filter((c) => rank(c) === 0), ...rest.filter((c) => rank(c) === 1), ...plan.changes, ...rest.filter((c) => rank(c) >= 3).sort((a, b) => rank(a) - rank(b))];
  plan.changes = ordered;
  for (const { host, plan: p } of perHost) {
    plan.clashes.push(...p.clashes.map((c) => ({ ...c, host, message: `on ${host}: ${c.message}` })));
    plan.unchanged.push(...p.unchanged.map((u) => ({ ...u, host })));
  }
  return plan;
}

function stateOf(actual: ReadonlyMap<string, ActualState>, host: string): ActualState {
  return actual.get(host) ?? { networks: [], vms: [], capsules: [] };
}

/** A guest as one host has it, and whether it runs (a running VM moves live). */
export function findGuest(actual: ActualState, kind: ProjectResourceKind, name: string): { running: boolean } | null {
  if (kind === 'vm') {
    const vm = actual.vms.find((v) => v.definition.name === name);
    return vm ? { running: vm.state === 'running' || vm.state === 'paused' } : null;
  }
  const capsule = actual.capsules.find((c) => c.name === name);
  return capsule ? { running: capsule.state === 'running' } : null;
}
