// Capsules live under a `nova` cgroup in every v1 hierarchy (and the unified one); runc
// removes each capsule's own cgroup but leaves the shared parent. After a test run the
// parent goes too when it is empty: rmdir refuses a cgroup that still has children or
// tasks, so a capsule still running somewhere is never disturbed.
import { readdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';

const CGROUP_ROOT = '/sys/fs/cgroup';

export function removeEmptyNovaCgroups(parent = 'nova'): void {
  let hierarchies: string[];
  try {
    hierarchies = readdirSync(CGROUP_ROOT);
  } catch {
    return;
  }
  for (const h of hierarchies) {
    try {
      rmdirSync(join(CGROUP_ROOT, h, parent));
    } catch {
      // absent, or still in use
    }
  }
}
