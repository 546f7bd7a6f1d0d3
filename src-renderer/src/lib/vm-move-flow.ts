// The Move dialog's choices as data: which kind of move a VM's state allows, the hosts a
// guest can go to with how each is reached, and the address a destination listens on,
// prefilled as `nova vm migrate` picks it. A running VM moves live, a stopped one and every
// capsule cold (their files copied); the dialog takes the kind and leaves out what does not
// apply to it.
import type { CapsuleMoveReport } from '../../../src-shared/api/capsule-move-api.js';
import type { HostLinkView, SavedHost } from '../../../src-shared/api/hosts-api.js';
import { defaultListenAddress, type VmMoveKind, type VmMoveProgress, type VmMoveReport } from '../../../src-shared/api/vm-move-api.js';
import type { VmState } from '../../../src-shared/vm.js';
import { LOCAL_HOST, parseHostAddress } from '../../../src-shared/vocabulary/index.js';
import { formatBytes } from './vm-format.js';

/** What moves: a VM, or a capsule. */
export type GuestKind = 'vm' | 'capsule';
export type GuestMoveReport = VmMoveReport | CapsuleMoveReport;

/** How a VM in `state` moves, or null while it is between states (starting, stopping…). */
export function moveKindFor(state: VmState): VmMoveKind | null {
  return state === 'running' || state === 'paused' ? 'live' : state === 'stopped' ? 'cold' : null;
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
export function moveStepWords(progress: VmMoveProgress | null, kind: VmMoveKind = 'live', guest: GuestKind = 'vm'): string {
  switch (progress?.step ?? 'checking') {
    case 'checking':
      return `Checking that the ${guest === 'vm' ? 'VM' : 'capsule'} can move…`;
    case 'preparing':
      return 'The destination is preparing an identical QEMU…';
    case 'sending':
      return progress?.operation?.progress.phase ?? (kind === 'cold' ? 'Sending the files…' : 'Sending the disks and memory…');
    case 'finishing':
      return kind === 'cold' ? 'The destination is checking what arrived…' : 'Starting the guest on the destination…';
    case 'moved':
      return 'Moved.';
    case 'failed':
      return 'The move failed.';
    case 'cancelled':
      return 'Cancelled.';
  }
}

/** The outcome in one sentence: how long it took, and how long a live guest was paused or what a cold move copied. */
export function moveOutcomeWords(name: string, to: string, report: GuestMoveReport): string {
  const where = to === LOCAL_HOST ? 'this machine' : to;
  const seconds = (report.wallMs / 1000).toFixed(1);
  if (report.kind === 'cold') {
    const copied = `${report.files} ${report.files === 1 ? 'file' : 'files'}, ${formatBytes(report.bytes)} copied in ${seconds} s`;
    return 'restarted' in report && report.restarted ? `${name} runs on ${where} now, stopped here and started there: ${copied}.` : `${name} is on ${where} now, moved stopped: ${copied}.`;
  }
  return `${name} now runs on ${where}: moved in ${seconds} s, paused ${Math.round(report.downtimeMs)} ms at the switch (disks ${formatBytes(report.diskBytes)}, memory ${formatBytes(report.ramBytes)}).`;
}

/** What the dialog says before a cold move: what is copied and how the guest ends up there. */
export function coldMoveNote(guest: GuestKind, name: string, running: boolean): string {
  if (guest === 'vm') return `${name} is stopped, so it moves cold: its disks and firmware state are copied, and it stays stopped there.`;
  return running
    ? `${name} runs, so it is stopped here and started there: its files, volumes and image are copied while it is stopped.`
    : `${name} is stopped, so it moves as it is: its files, volumes and image are copied, and it stays stopped there.`;
}
