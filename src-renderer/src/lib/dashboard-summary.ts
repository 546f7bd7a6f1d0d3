// Pure views for the Dashboard: one row per VM and capsule (state, health, link), the
// networks with the guests on them, the host check's findings worth a line, and the
// operations to show. The page only renders these; the unit tests pin them down.
import type { Capsule } from '../../../src-shared/capsule.js';
import type { GuestHealth } from '../../../src-shared/health.js';
import type { HostReport } from '../../../src-shared/index.js';
import type { Network } from '../../../src-shared/network.js';
import type { Operation } from '../../../src-shared/operation.js';
import type { VmInfo } from '../../../src-shared/vm.js';
import { capsuleHref } from './capsule-route.js';
import { CAPSULE_STATE_TEXT, capsuleTone, isCapsuleLive } from './capsule-format.js';
import { attachmentResourceHref, networkDetailHref } from './network-route.js';
import { sortOperations } from './operation-format.js';
import { isLive, VM_STATE_TEXT, VM_STATE_TONE, type StateTone } from './vm-format.js';
import { vmHref } from './vm-route.js';

export type GuestKind = 'vm' | 'capsule';

/**
 * The dashboard's graphs redraw every 5 s rather than every sample: a page left open all
 * day must stay near idle (redrawing every 2 s cost twice the renderer time of this pace).
 */
export const DASHBOARD_REFETCH_MS = 5_000;

export interface GuestRow {
  readonly kind: GuestKind;
  readonly name: string;
  readonly state: string;
  readonly stateText: string;
  readonly tone: StateTone;
  readonly live: boolean;
  readonly health: GuestHealth | null;
  readonly href: string;
}

/** VMs first, then capsules, each by name: the order stays put as states change. */
export function guestRows(vms: readonly VmInfo[], capsules: readonly Capsule[]): GuestRow[] {
  const vmRows = vms.map(
    (v): GuestRow => ({
      kind: 'vm',
      name: v.definition.name,
      state: v.state,
      stateText: VM_STATE_TEXT[v.state],
      tone: VM_STATE_TONE[v.state],
      live: isLive(v.state),
      health: v.health,
      href: vmHref({ kind: 'vm', name: v.definition.name, tab: 'overview' }),
    }),
  );
  const capsuleRows = capsules.map(
    (c): GuestRow => ({
      kind: 'capsule',
      name: c.name,
      state: c.state,
      stateText: CAPSULE_STATE_TEXT[c.state],
      tone: capsuleTone(c),
      live: isCapsuleLive(c.state),
      health: c.health,
      href: capsuleHref({ kind: 'capsule', name: c.name, tab: 'logs' }),
    }),
  );
  const byName = (a: GuestRow, b: GuestRow) => a.name.localeCompare(b.name);
  return [...vmRows.sort(byName), ...capsuleRows.sort(byName)];
}

export const HEALTH_TEXT: Record<GuestHealth['status'], string> = { starting: 'Starting', healthy: 'Healthy', unhealthy: 'Unhealthy' };
export const HEALTH_TONE: Record<GuestHealth['status'], StateTone> = { starting: 'pending', healthy: 'ok', unhealthy: 'fail' };

export interface NetworkSummary {
  readonly name: string;
  readonly href: string;
  readonly state: Network['status']['state'];
  readonly subnet: string | null;
  readonly guests: ReadonlyArray<{ readonly name: string; readonly kind: string; readonly href: string }>;
}

export function networkSummaries(networks: readonly Network[]): NetworkSummary[] {
  return [...networks]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((n) => ({
      name: n.name,
      href: networkDetailHref(n.name),
      state: n.status.state,
      subnet: n.subnet,
      guests: [...n.attachments]
        .sort((a, b) => a.resource.localeCompare(b.resource))
        .map((a) => ({ name: a.resource, kind: a.kind, href: attachmentResourceHref(a) })),
    }));
}

export interface HostFinding {
  readonly id: string;
  readonly status: 'warn' | 'fail';
  readonly line: string;
}

/** Failures before warnings, one line each: the finding, prefixed by what was checked. */
export function hostFindings(report: HostReport | null): HostFinding[] {
  if (!report) return [];
  const rank = { fail: 0, warn: 1 } as const;
  return report.items
    .filter((i): i is typeof i & { status: 'warn' | 'fail' } => i.status !== 'ok')
    .map((i) => ({ id: i.id, status: i.status, line: `${i.label}: ${i.summary}` }))
    .sort((a, b) => rank[a.status] - rank[b.status]);
}

/** Every running operation, then the most recent finished ones up to `limit` rows in all. */
export function dashboardOperations(byId: Readonly<Record<string, Operation>>, limit = 6): Operation[] {
  const sorted = sortOperations(Object.values(byId));
  const running = sorted.filter((op) => op.state === 'running');
  const done = sorted.filter((op) => op.state !== 'running');
  return [...running, ...done.slice(0, Math.max(0, limit - running.length))];
}

/** The CPU values of a history for a sparkline; an empty history draws an empty line. */
export function cpuSeries(points: ReadonlyArray<{ readonly cpuPercent: number }> | undefined): number[] {
  return (points ?? []).map((p) => p.cpuPercent);
}
