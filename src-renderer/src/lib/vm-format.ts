// How VM facts read on screen: state words and tones (colour always has a word
// beside it), byte sizes and rates, and which actions a state allows.
import type { VmState } from '../../../src-shared/vm.js';

export type StateTone = 'ok' | 'warn' | 'fail' | 'pending' | 'idle';

export const VM_STATE_TEXT: Record<VmState, string> = {
  stopped: 'Stopped',
  starting: 'Starting',
  running: 'Running',
  paused: 'Paused',
  stopping: 'Stopping',
  crashed: 'Crashed',
  suspended: 'Suspended',
};

export const VM_STATE_TONE: Record<VmState, StateTone> = {
  stopped: 'idle',
  starting: 'pending',
  running: 'ok',
  paused: 'warn',
  stopping: 'pending',
  crashed: 'fail',
  suspended: 'warn',
};

export type VmAction = 'start' | 'stop' | 'forceStop' | 'pause' | 'resume' | 'reboot' | 'suspend' | 'discardSuspend';

/** What a VM in this state can be asked to do. */
export function actionsFor(state: VmState): VmAction[] {
  switch (state) {
    case 'stopped':
    case 'crashed':
      return ['start'];
    case 'suspended':
      return ['start', 'discardSuspend'];
    case 'running':
      return ['stop', 'pause', 'suspend', 'reboot', 'forceStop'];
    case 'paused':
      return ['resume', 'suspend', 'forceStop'];
    case 'starting':
    case 'stopping':
      return ['forceStop'];
  }
}

export function isLive(state: VmState): boolean {
  return state === 'running' || state === 'paused';
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function formatBytes(bytes: number): string {
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 100 || i === 0 ? Math.round(v) : v.toFixed(1)} ${UNITS[i]}`;
}

export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(bytesPerSecond)}/s`;
}

export function formatMiB(mib: number): string {
  return mib % 1024 === 0 ? `${mib / 1024} GiB` : `${mib} MiB`;
}
