// Capsules live under a `nova` cgroup in every v1 hierarchy (and the unified one); runc
// removes each capsule's own cgroup but leaves the shared parent, and the monitors' cgroup
// (nova/conmon) stays too. After a test run both go when they are empty: rmdir refuses a
// cgroup that still has children or tasks, so a capsule still running somewhere is never disturbed.
import { readdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { MONITOR_CGROUP } from '../src/capsule/monitor-cgroup.js';

const CGROUP_ROOT = '/sys/fs/cgroup';

export function removeEmptyNovaCgroups(parent = 'nova'): void {
  let hierarchies: string[];
  try {
    hierarchies = readdirSync(CGROUP_ROOT);
  } catch {
    return;
  }
  for (const h of hierarchies) {
    for (const dir of [join(parent, MONITOR_CGROUP), parent]) {
      try {
        rmdirSync(join(CGROUP_ROOT, h, dir));
      } catch {
        // absent, or still in use
      }
    }
  }
}
