// A guest's snapshot policy as a NovaFile's [snapshots] declares it (project-wide, with
// per-guest overrides): when to take them, how many of each age to keep, whether `nova up`
// takes one before it restarts or replaces a guest, and names never pruned.
import type { SnapshotSchedule } from './vocabulary/snapshot-schedule.js';

export interface SnapshotRetention {
  hourly?: number;
  daily?: number;
  weekly?: number;
  monthly?: number;
  /** At most this many scheduled snapshots in all. */
  maxTotal?: number;
}

export interface SnapshotPolicy {
  schedule?: SnapshotSchedule;
  keep: SnapshotRetention;
  /** Take a snapshot of every guest `nova up` would restart or replace. */
  beforeUp?: boolean;
  /** Snapshots by these names are never pruned (nor are the parents of kept ones). */
  keepForever: string[];
}

/** The guest's own keys over the project's. */
export function mergeSnapshotPolicy(project: SnapshotPolicy | undefined, guest: SnapshotPolicy | undefined): SnapshotPolicy | undefined {
  if (!project || !guest) return guest ?? project;
  const schedule = guest.schedule ?? project.schedule;
  const beforeUp = guest.beforeUp ?? project.beforeUp;
  return {
    ...(schedule ? { schedule } : {}),
    keep: { ...project.keep, ...guest.keep },
    ...(beforeUp !== undefined ? { beforeUp } : {}),
    keepForever: [...new Set([...project.keepForever, ...guest.keepForever])],
  };

}
