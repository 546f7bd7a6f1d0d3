// `nova export`: chosen resources as a NovaFile that `nova plan` reads back as no change.
// Picks the resources (by name, or every one of a project) with the networks their guests
// join, writes each as its table (export-tables.ts) with a comment for what the file
// cannot hold, and the project's name at the top. A resource of no project is written
// too, and reported, since plan will not take it over until it is adopted.
import { novaNetworksOf } from '../../../src-shared/vm-devices.js';
import { stringify } from 'smol-toml';
import type { Capsule } from '../../../src-shared/capsule.js';
import { NovaError } from '../../../src-shared/errors.js';
import type { Network } from '../../../src-shared/network.js';
import type { SnapshotPolicySpec } from '../../../src-shared/snapshot-policy.js';
import type { VmInfo } from '../../../src-shared/vm.js';
import { ownerOf, type ActualState } from './actual-state.js';
import { capsuleTable, networkTable, vmTable, type ExportedTable } from './export-tables.js';

export type ExportKind = 'network' | 'vm' | 'capsule';

export interface ExportSelection {
  project: string;
  networks: Network[];
  vms: VmInfo[];
  capsules: Capsule[];
  /** Selected resources that belong to no project. */
  unmanaged: Array<{ kind: ExportKind; name: string }>;
}

export interface ExportPolicies {
  vm: ReadonlyMap<string, SnapshotPolicySpec>;
  capsule: ReadonlyMap<string, SnapshotPolicySpec>;
}

/** By name (any kind that has it) or, with no names, every resource of `project`; plus the networks the guests join. */
export function selectForExport(actual: ActualState, names: readonly string[], project: string | undefined): ExportSelection {
  const all = [
    ...actual.networks.map((r) => ({ kind: 'network' as const, name: r.name, r })),
    ...actual.vms.map((r) => ({ kind: 'vm' as const, name: r.definition.name, r })),
    ...actual.capsules.map((r) => ({ kind: 'capsule' as const, name: r.name, r })),
  ].map((x) => ({ ...x, owner: ownerOf(x.kind, x.r) }));
  let picked: typeof all;
  if (names.length === 0) {
    if (project === undefined) throw new NovaError('invalid_argument', 'name the resources to export, or a project with --project P');
    picked = all.filter((x) => x.owner === project);
    if (picked.length === 0) throw new NovaError('not_found', `no VM, capsule or network belongs to project ${project}`);
  } else {
    picked = names.flatMap((n) => {
      const hits = all.filter((x) => x.name === n);
      if (hits.length === 0) throw new NovaError('not_found', `there is no VM, capsule or network named ${n}`);
      return hits;
    });
  }
  // The networks the guests sit on come along, so the file is whole.
  const joined = [...picked.flatMap((x) => (x.kind === 'vm' ? novaNetworksOf((x.r as VmInfo).definition) : x.kind === 'capsule' ? [(x.r as Capsule).spec.network] : []))];
  for (const net of joined) {
    if (net === undefined || net === null || picked.some((x) => x.kind === 'network' && x.name === net)) continue;
    const found = all.find((x) => x.kind === 'network' && x.name === net);
    if (found) picked.push(found);
  }
  const owners = [...new Set(picked.map((x) => x.owner).filter((o): o is string => o !== null))];
  const name = project ?? owners[0];
  if (name === undefined) throw new NovaError('invalid_argument', 'these resources belong to no project: name the project the file is for with --project P');
  const foreign = picked.filter((x) => x.owner !== null && x.owner !== name);
  if (foreign.length > 0) {
    throw new NovaError('failed_precondition', `${foreign.map((x) => `${x.kind} ${x.name} (project ${x.owner})`).join(', ')} belong to another project than ${name}; export each project on its own`);
  }
  const unique = picked.filter((x, i) => picked.findIndex((y) => y.kind === x.kind && y.name === x.name) === i);
  return {
    project: name,
    networks: unique.filter((x) => x.kind === 'network').map((x) => x.r as Network),
    vms: unique.filter((x) => x.kind === 'vm').map((x) => x.r as VmInfo),
    capsules: unique.filter((x) => x.kind === 'capsule').map((x) => x.r as Capsule),
    unmanaged: unique.filter((x) => x.owner === null).map((x) => ({ kind: x.kind, name: x.name })),
  };
}

/** The project-wide `domain` when every network's is NAME.<same domain> other than Nova's own. */
function commonDomain(networks: readonly Network[]): string | null {
  const suffixes = new Set(networks.map((n) => (n.domain?.startsWith(`${n.name}.`) ? n.domain.slice(n.name.length + 1) : null)));
  const [only] = suffixes;
  return suffixes.size === 1 && only !== null && only !== undefined && only !== 'nova' ? only : null;
}

function block(kind: ExportKind, name: string, exported: ExportedTable): string {
  const notes = exported.notes.map((n) => `# ${kind} ${name}: ${n}\n`).join('');
  return notes + stringify({ [kind]: { [name]: exported.table } }).trim() + '\n';
}

export function exportNovaFile(sel: ExportSelection, policies: ExportPolicies, now = new Date()): string {
  const head = [`# NovaFile of project ${sel.project}, written by nova export on ${now.toISOString().slice(0, 10)} from what runs on this host.`];
  const domain = commonDomain(sel.networks);
  const header = stringify({ project: sel.project, ...(domain ? { domain } : {}) }).trim();
  const blocks = [
    ...sel.networks.map((n) => block('network', n.name, networkTable(n))),
    ...sel.vms.map((v) => block('vm', v.definition.name, vmTable(v, policies.vm.get(v.definition.name) ?? null))),
    ...sel.capsules.map((c) => block('capsule', c.name, capsuleTable(c, policies.capsule.get(c.name) ?? null))),
  ];
  return [head.join('\n') + '\n' + header + '\n', ...blocks].join('\n');
}
