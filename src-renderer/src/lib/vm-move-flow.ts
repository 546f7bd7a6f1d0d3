// The Move dialog's choices as data: which kind of move a VM's state allows, the hosts it
// can go to with how each is reached, and the address a destination listens on, prefilled
// as `nova vm migrate` picks it. A stopped VM will move cold once the engine can; the flow
// already names the kind, so the dialog needs no second shape for it.
import type { HostLinkView, SavedHost } from '../../../src-shared/api/hosts-api.js';
import { defaultListenAddress, type VmMoveKind, type VmMoveProgress, type VmMoveReport } from '../../../src-shared/api/vm-move-api.js';
import type { VmState } from '../../../src-shared/vm.js';
import { LOCAL_HOST, parseHostAddress } from '../../../src-shared/vocabulary/index.js';
import { formatBytes } from './vm-format.js';

/** The kinds of move offered today: live for a running guest; cold is not offered yet. */
const OFFERED: readonly VmMoveKind[] = ['live'];

/** How a VM in `state` would move, or null when no move is offered for it. */
export function moveKindFor(state: VmState): VmMoveKind | null {
  const kind: VmMoveKind | null = state === 'running' || state === 'paused' ? 'live' : state === 'stopped' ? 'cold' : null;
  return kind && OFFERED.includes(kind) ? kind : null;
}

export interface MoveDestination {
  readonly name: string;
  /** What the list says: the host's name (this machine in words) and how its link stands. */
  readonly label: string;
  readonly reachable: boolean;
  /** The address its QEMU listens on unless the user says otherwise; empty for this machine. */
  readonly listen: string;
}

/** Every host but the one the VM is on: this machine first when the VM is elsewhere. */
export function moveDestinations(from: string, saved: readonly SavedHost[], links: Readonly<Record<string, HostLinkView>>): MoveDestination[] {
  const out: MoveDestination[] = [];
  if (from !== LOCAL_HOST) out.push({ name: LOCAL_HOST, label: 'This machine', reachable: true, listen: '' });
  for (const host of saved) {
    if (host.name === from) continue;
    const link = links[host.name];
    const state = link?.state ?? 'connecting';
    const words = state === 'connected' ? 'connected' : state === 'connecting' ? 'connecting…' : `unreachable${link?.error ? `: ${link.error}` : ''}`;
    out.push({ name: host.name, label: `${host.name} (${words})`, reachable: state === 'connected', listen: listenFor(host.url) });
  }
  return out;
}

/** The host of a saved ssh:// address, which the source already reaches the destination by. */
export function listenFor(url: string): string {
  const parsed = parseHostAddress(url);
  return parsed.ok ? (defaultListenAddress(parsed.value) ?? '') : '';
}

/** What the dialog says while the move runs, one line. */
export function moveStepWords(progress: VmMoveProgress | null): string {
  switch (progress?.step ?? 'checking') {
    case 'checking':
      return 'Checking that the VM can move…';
    case 'preparing':
      return 'The destination is preparing an identical QEMU…';
    case 'sending':
      return progress?.operation?.progress.phase ?? 'Sending the disks and memory…';
    case 'finishing':
      return 'Starting the guest on the destination…';
    case 'moved':
      return 'Moved.';
    case 'failed':
      return 'The move failed.';
    case 'cancelled':
      return 'Cancelled.';
  }
}

/** The outcome in one sentence: how long it took and how long the guest was paused. */
export function moveOutcomeWords(name: string, to: string, report: VmMoveReport): string {
  const where = to === LOCAL_HOST ? 'this machine' : to;
  return `${name} now runs on ${where}: moved in ${(report.wallMs / 1000).toFixed(1)} s, paused ${Math.round(report.downtimeMs)} ms at the switch (disks ${formatBytes(report.diskBytes)}, memory ${formatBytes(report.ramBytes)}).`;
}
