// `nova ps`: every resource of a project (the helper's, marked as the project's, and what
// the file declares but the helper lacks) with its state, health and address: a guest's
// IP on its network (a capsule's attachment, a VM's DHCP lease) and published ports; for a
// project on several hosts, each host's rows with the host named.
import { novaNetworksOf } from '../../../src-shared/vm-devices.js';
import { ownerOf, type ActualState } from './actual-state.js';
import { desiredOn, type DesiredState } from './desired-state.js';
import type { ProjectHelper } from './project-helper.js';

export interface PsRow {
  kind: 'network' | 'vm' | 'capsule';
  name: string;
  /** The helper's state, or "absent" for a declared resource the helper does not have. */
  state: string;
  /** starting, healthy, unhealthy; null without a check or when not running. */
  health: string | null;
  /** "10.96.3.12 on lab; 8080->80/tcp", or a network's subnet. */
  address: string | null;
  declared: boolean;
  /** The host that has it (or should); set only when the project spans more than one host. */
  host?: string;
}

/** The rows of every host of the project, each marked with its host when there is more than one. */
export async function projectRowsOnHosts(desired: DesiredState, actual: ReadonlyMap<string, ActualState>, helperOf: (host: string) => Pick<ProjectHelper, 'call'>): Promise<PsRow[]> {
  const empty: ActualState = { networks: [], vms: [], capsules: [] };
  if (desired.hosts.length === 1) return projectRows(desired, actual.get(desired.hosts[0]!) ?? empty, helperOf(desired.hosts[0]!));
  const perHost = await Promise.all(desired.hosts.map(async (host) => (await projectRows(desiredOn(desired, host), actual.get(host) ?? empty, helperOf(host))).map((r) => ({ ...r, host }))));
  return perHost.flat();
}

export async function projectRows(desired: DesiredState, actual: ActualState, h: Pick<ProjectHelper, 'call'>): Promise<PsRow[]> {
  const project = desired.project;
  const rows: PsRow[] = [];
  const declared = {
    network: new Set(desired.networks.map((n) => n.config.name)),
    vm: new Set(desired.vms.map((v) => v.config.name)),
    capsule: new Set(desired.capsules.map((c) => c.config.name)),
  };
  const leases = new Map<string, string>();
  const nets = actual.networks.filter((n) => ownerOf('network', n) === project);
  await Promise.all(
    actual.networks.map(async (n) => {
      const page = await h.call('network.leases', { network: n.name }).catch(() => ({ leases: [] }));
      for (const l of page.leases) leases.set(`${n.name}/${l.mac.toLowerCase()}`, l.address);
    }),
  );
  for (const n of nets) {
    rows.push({ kind: 'network', name: n.name, state: n.status.state, health: null, address: n.subnet, declared: declared.network.has(n.name) });
  }
  for (const v of actual.vms.filter((x) => ownerOf('vm', x) === project)) {
    const net = novaNetworksOf(v.definition)[0] ?? null;
    const att = net ? actual.networks.find((n) => n.name === net)?.attachments.find((a) => a.resource === v.definition.name) : undefined;
    const ip = net && att ? (att.address?.split('/')[0] ?? leases.get(`${net}/${att.mac.toLowerCase()}`) ?? null) : null;
    rows.push({ kind: 'vm', name: v.definition.name, state: v.state, health: v.health?.status ?? null, address: ip && net ? `${ip} on ${net}` : null, declared: declared.vm.has(v.definition.name) });
  }
  for (const c of actual.capsules.filter((x) => ownerOf('capsule', x) === project)) {
    const parts = [c.network ? `${c.network.address.split('/')[0]} on ${c.network.name}` : null, c.spec.ports.map((p) => `${p.hostPort}->${p.guestPort}/${p.protocol}`).join(', ') || null].filter((x) => x !== null);
    rows.push({ kind: 'capsule', name: c.name, state: c.state, health: c.health?.status ?? null, address: parts.length > 0 ? parts.join('; ') : null, declared: declared.capsule.has(c.name) });
  }
  const have = new Set(rows.map((r) => `${r.kind}:${r.name}`));
  for (const kind of ['network', 'vm', 'capsule'] as const) {
    for (const name of declared[kind]) if (!have.has(`${kind}:${name}`)) rows.push({ kind, name, state: 'absent', health: null, address: null, declared: true });
  }
  return rows;
}

/** A HOST column when the rows come from more than one host. */
export function formatPsTable(rows: readonly PsRow[]): string {
  const hosts = rows.some((r) => r.host !== undefined);
  const row = (r: PsRow) => [r.kind, r.name + (r.declared ? '' : ' (not in the file)'), ...(hosts ? [r.host ?? '-'] : []), r.state, r.health ?? '-', r.address ?? '-'];
  const table = [['KIND', 'NAME', ...(hosts ? ['HOST'] : []), 'STATE', 'HEALTH', 'ADDRESS'], ...rows.map(row)];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  return table.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')).join('\n') + '\n';
}
