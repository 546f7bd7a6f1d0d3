// The cgroup capsule monitors live in: PARENT/conmon in every hierarchy (podman's place for
// conmon under cgroupfs), so they are neither counted with the helper nor found in its
// systemd unit's cgroup, whose restart they outlive. CapsuleMonitor hands each conmon here
// as soon as it is spawned and does not wait: see place() for why that order matters.
import { lstat, mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../util/logger.js';

export const MONITOR_CGROUP = 'conmon';

export interface MonitorCgroupOptions {
  /** Where cgroup filesystems are mounted: one v2 tree there, or one v1 hierarchy per subdir. */
  cgroupRoot: string;
  /** The capsules' parent cgroup (`/nova`); monitors go in PARENT/conmon. */
  parent: string;
  logger: Logger;
}

function errnoOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | null)?.code;
}

export class MonitorCgroup {
  private hierarchies: Promise<string[]> | null = null;
  /** Hierarchies that refused a monitor for a reason other than its absence: not tried again. */
  private readonly refused = new Set<string>();
  private readonly moving = new Set<Promise<void>>();

  constructor(private readonly o: MonitorCgroupOptions) {}

  /** Resolves once every move under way is over (a closing manager: nothing is made after it). */
  async settled(): Promise<void> {
    await Promise.all([...this.moving]);
  }

  /**
   * Moves process `pid` into the monitor cgroup of each hierarchy, one after the other, and
   * never throws (a monitor left in the helper's cgroup still does its work).
   *
   * Started before the runtime runs and not awaited, on purpose: the first write to any
   * cgroup.procs after an idle spell waits for an RCU grace period (the kernel's
   * cgroup_threadgroup_rwsem), measured here at 5-30 ms. Paid here, it passes while conmon
   * and runc start; otherwise runc's own write of the container's pid waits for it, on the
   * start's critical path. One hierarchy at a time, so only one of libuv's threads waits.
   */
  place(pid: number): Promise<void> {
    const moving = this.move(pid);
    this.moving.add(moving);
    void moving.finally(() => this.moving.delete(moving));
    return moving;
  }

  private async move(pid: number): Promise<void> {
    for (const h of await this.list()) {
      if (this.refused.has(h)) continue;
      const dir = join(h, this.o.parent, MONITOR_CGROUP);
      const procs = join(dir, 'cgroup.procs');
      try {
        await writeFile(procs, String(pid)).catch(async (err: unknown) => {
          if (errnoOf(err) !== 'ENOENT') throw err;
          await mkdir(dir, { recursive: true });
          await writeFile(procs, String(pid));
        });
      } catch (err) {
        // The monitor is already gone (a start that failed at once): nothing left to place.
        if (errnoOf(err) === 'ESRCH') return;
        this.refused.add(h);
        this.o.logger.warn({ err, cgroup: dir }, 'capsule monitors stay in the helper\'s cgroup of this hierarchy');
      }
    }
  }

  /** The hierarchies, found once: the v2 tree, or each v1 mount except cpuset. */
  private list(): Promise<string[]> {
    this.hierarchies ??= this.discover();
    return this.hierarchies;
  }

  private async discover(): Promise<string[]> {
    const root = this.o.cgroupRoot;
    if (await isCgroupDir(root)) return [root];
    const found: string[] = [];
    const entries = await readdir(root, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      // A v1 cpuset cgroup holds no task until its cpus and mems are filled in, and a monitor
      // needs no placement of its own there. Aliases (cpu -> cpu,cpuacct) are symlinks: skipped.
      if (!e.isDirectory() || e.name.split(',').includes('cpuset')) continue;
      const h = join(root, e.name);
      if (await isCgroupDir(h)) found.push(h);
    }
    return found.sort();
  }
}

async function isCgroupDir(dir: string): Promise<boolean> {
  return lstat(join(dir, 'cgroup.procs')).then(
    (s) => s.isFile(),
    () => false,
  );
}
