// How capsules read in the UI: each state in words and a tone (colour is never the only
// signal), why it last stopped, which actions its state offers, and CPU percent from
// two cumulative cgroup samples.
import type { Capsule, CapsuleExit, CapsuleMetrics, CapsuleState } from '../../../src-shared/capsule.js';
import type { StateTone } from './vm-format.js';

export const CAPSULE_STATE_TEXT: Record<CapsuleState, string> = {
  created: 'Created',
  running: 'Running',
  paused: 'Paused',
  restarting: 'Restarting',
  stopped: 'Stopped',
};

/** A stopped capsule that failed reads as a failure, one that exited cleanly as idle. */
export function capsuleTone(capsule: Pick<Capsule, 'state' | 'lastExit'>): StateTone {
  switch (capsule.state) {
    case 'running':
      return 'ok';
    case 'paused':
      return 'warn';
    case 'restarting':
      return 'pending';
    case 'created':
      return 'idle';
    case 'stopped':
      return exitFailed(capsule.lastExit) ? 'fail' : 'idle';
  }
}

/** Whether an exit is a failure; one the person asked for (a stop) never is. */
export function exitFailed(exit: CapsuleExit | null): boolean {
  if (!exit) return false;
  if (exit.reason === 'stopped') return false;
  return exit.reason !== 'exited' || exit.exitCode !== 0;
}

/** "exited with 0", "OOM-killed (out of memory)", "killed by SIGKILL"; null before a first exit. */
export function exitText(exit: CapsuleExit | null): string | null {
  if (!exit) return null;
  const detail = exit.message ? `: ${exit.message}` : '';
  switch (exit.reason) {
    case 'exited':
      return `exited with ${exit.exitCode ?? '?'}${detail}`;
    case 'signaled':
      return `killed by ${exit.signal ?? 'a signal'}${detail}`;
    case 'oom-killed':
      return `OOM-killed: it used more than its memory limit${detail}`;
    case 'stopped':
      // Asked for: how it ended is told calmly, SIGKILL meaning it outlived its stop timeout or a Kill.
      return `stopped on request${exit.signal === 'SIGKILL' ? ', killed' : exit.exitCode !== null ? ` (exit ${exit.exitCode})` : ''}${detail}`;
    case 'start-failed':
      return `failed to start${detail}`;
    case 'lost':
      return `lost: its process vanished while the helper was away${detail}`;
  }
}

export type CapsuleAction = 'start' | 'stop' | 'restart' | 'pause' | 'resume';

export const CAPSULE_ACTION_LABEL: Record<CapsuleAction, { button: string; busy: string }> = {
  start: { button: 'Start', busy: 'Starting…' },
  stop: { button: 'Stop', busy: 'Stopping…' },
  restart: { button: 'Restart', busy: 'Restarting…' },
  pause: { button: 'Pause', busy: 'Pausing…' },
  resume: { button: 'Resume', busy: 'Resuming…' },
};

export function capsuleActionsFor(state: CapsuleState): CapsuleAction[] {
  switch (state) {
    case 'running':
      return ['stop', 'restart', 'pause'];
    case 'paused':
      return ['resume', 'stop'];
    case 'restarting':
      return ['stop'];
    case 'created':
    case 'stopped':
      return ['start'];
  }
}

export function isCapsuleLive(state: CapsuleState): boolean {
  return state === 'running' || state === 'paused';
}

/** CPU use between two samples in percent of one CPU; null when either lacks a counter. */
export function cpuPercentBetween(prev: CapsuleMetrics, next: CapsuleMetrics): number | null {
  if (prev.cpuUsageNs === null || next.cpuUsageNs === null) return null;
  const wallNs = (Date.parse(next.at) - Date.parse(prev.at)) * 1e6;
  if (!(wallNs > 0)) return null;
  return Math.max(0, ((next.cpuUsageNs - prev.cpuUsageNs) / wallNs) * 100);
}
