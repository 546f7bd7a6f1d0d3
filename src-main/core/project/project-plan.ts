// The plan: a project's desired state against the helper's actual state, pure and fast.
// Each resource the file declares is created, left alone, or changed (classed by its
// most disruptive field); each resource the project owns that the file no longer
// declares is deleted; a name held by another project or by nobody is a clash, never
// planned over. Networks come first, then guests; deletes come last.
import type { Blocked, ChangeClass, Clash, FieldChange, ProjectPlan, ResourceChange, ProjectResourceKind } from '../../../src-shared/project.js';
import { ownerOf, type ActualState } from './actual-state.js';
import type { DesiredState } from './desired-state.js';
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
