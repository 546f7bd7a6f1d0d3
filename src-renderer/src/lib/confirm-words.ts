// What a destructive action will lose, in the words its confirmation uses: computed from
// the resource (a snapshot's time, whether it holds RAM, whether the VM runs now), so the
// question states the real cost rather than a generic "are you sure".
import type { Snapshot } from '../../../src-shared/vm.js';

/** "12:04" today, "3 Dec, 12:04" on another day: what a person would say. */
export function clockText(iso: string, now = new Date()): string {
  const at = new Date(iso);
  const time = at.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  return at.toDateString() === now.toDateString() ? time : `${at.toLocaleDateString(undefined, { day: 'numeric', month: 'short' })}, ${time}`;
}

/** The loss a restore brings: every change since the snapshot, and the running state when the VM runs. */
export function restoreLossSentence(snapshot: Pick<Snapshot, 'createdAt' | 'withMemory'>, vmLive: boolean, now = new Date()): string {
  const since = clockText(snapshot.createdAt, now);
  const running = vmLive ? ', including the running state,' : '';
  const after = snapshot.withMemory ? 'The VM then resumes where it was at that moment.' : 'The disks go back to that moment and the VM is left stopped.';
  return `All changes since ${since}${running} will be lost. ${after}`;
}
