// The cgroup layout decides which OCI runtimes work and how VM/capsule resources are
// limited: unified v2, legacy v1, or hybrid (v1 controllers plus an empty v2 tree at
// /sys/fs/cgroup/unified), which crun refuses. Read from the helper's own mount table.
import type { HostCheckItem } from '../../../src-shared/host.js';
import { checkItem } from './check-item.js';
import { readHostFile } from './host-fs.js';
import type { HostProbeEnv } from './host-probe-env.js';

export interface CgroupMount {
  mountPoint: string;
  fsType: 'cgroup' | 'cgroup2';
  /** v1: the controllers bound to this hierarchy (and name=... for named ones). */
  options: string[];
}

export type CgroupMode = 'v2' | 'v1' | 'hybrid' | 'none';

export interface CgroupLayout {
  mode: CgroupMode;
  v1: CgroupMount[];
  v2: CgroupMount[];
}

const V1_CONTROLLERS = new Set([
  'blkio', 'cpu', 'cpuacct', 'cpuset', 'devices', 'freezer', 'hugetlb', 'memory',
  'misc', 'net_cls', 'net_prio', 'perf_event', 'pids', 'rdma',
]);

// The kernel escapes space, tab, newline and backslash in mount points as octal.
function unescapeMountField(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

function cgroupMount(mountPoint: string, fsType: string, superOptions: string): CgroupMount | null {
  if (fsType !== 'cgroup' && fsType !== 'cgroup2') return null;
  const options = superOptions
    .split(',')
    .filter((o) => V1_CONTROLLERS.has(o) || o.startsWith('name='));
  return { mountPoint: unescapeMountField(mountPoint), fsType, options };
}

/** cgroup mounts from /proc/PID/mountinfo. */
export function parseMountinfo(text: string): CgroupMount[] {
  const mounts: CgroupMount[] = [];
  for (const line of text.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep === -1) continue;
    const before = line.slice(0, sep).split(' ');
    const after = line.slice(sep + 3).split(' ');
    const mountPoint = before[4];
    const [fsType, , superOptions] = after;
    if (!mountPoint || !fsType) continue;
    const m = cgroupMount(mountPoint, fsType, superOptions ?? '');
    if (m) mounts.push(m);
  }
  return mounts;
}

/** cgroup mounts from /proc/mounts (fstab format), the fallback when mountinfo is missing. */
export function parseProcMounts(text: string): CgroupMount[] {
  const mounts: CgroupMount[] = [];
  for (const line of text.split('\n')) {
    const [, mountPoint, fsType, options] = line.split(' ');
    if (!mountPoint || !fsType) continue;
    const m = cgroupMount(mountPoint, fsType, options ?? '');
    if (m) mounts.push(m);
  }
  return mounts;
}

export function classifyCgroups(mounts: readonly CgroupMount[]): CgroupLayout {
  const v1 = mounts.filter((m) => m.fsType === 'cgroup');
  const v2 = mounts.filter((m) => m.fsType === 'cgroup2');
  const mode: CgroupMode = v1.length > 0 ? (v2.length > 0 ? 'hybrid' : 'v1') : v2.length > 0 ? 'v2' : 'none';
  return { mode, v1, v2 };
}

export async function readCgroupLayout(env: HostProbeEnv): Promise<{ layout: CgroupLayout; source: string } | null> {
  const mountinfo = await readHostFile(env, '/proc/self/mountinfo');
  if (mountinfo !== null) return { layout: classifyCgroups(parseMountinfo(mountinfo)), source: '/proc/self/mountinfo' };
  const mounts = await readHostFile(env, '/proc/mounts');
  if (mounts !== null) return { layout: classifyCgroups(parseProcMounts(mounts)), source: '/proc/mounts' };
  return null;
}

const TO_V2 = 'Boot with systemd.unified_cgroup_hierarchy=1 (cgroup v2), the default of every current distribution';

export async function checkCgroups(env: HostProbeEnv): Promise<HostCheckItem[]> {
  const label = 'cgroups';
  const read = await readCgroupLayout(env);
  if (!read) {
    return [
      checkItem('cgroups', 'containers', label, {
        status: 'fail',
        summary: 'Could not read the mount table',
        evidence: ['/proc/self/mountinfo and /proc/mounts: unreadable'],
        remedy: 'Check that /proc is mounted in the helper\'s mount namespace',
      }),
    ];
  }
  const { layout, source } = read;
  const evidence: string[] = [];
  for (const m of layout.v2) {
    const controllers = (await readHostFile(env, `${m.mountPoint}/cgroup.controllers`))?.trim();
    evidence.push(
      `cgroup2 at ${m.mountPoint} (controllers: ${controllers === undefined ? 'unreadable' : controllers || 'none'})`,
    );
  }
  if (layout.v1.length > 0) {
    evidence.push(`cgroup v1 hierarchies: ${layout.v1.map((m) => m.options.join(',') || m.mountPoint).join(' ')}`);
  }
  evidence.push(`source: ${source}`);

  const items = {
    v2: () =>
      checkItem('cgroups', 'containers', label, {
        status: 'ok',
        summary: 'cgroup v2 (unified hierarchy)',
        evidence,
      }),
    hybrid: () =>
      checkItem('cgroups', 'containers', label, {
        status: 'warn',
        summary: 'Hybrid layout (v1 controllers plus a v2 tree): crun refuses it, runc works',
        evidence,
        remedy: TO_V2,
      }),
    v1: () =>
      checkItem('cgroups', 'containers', label, {
        status: 'warn',
        summary: 'cgroup v1 only (legacy; systemd and container runtimes are dropping it)',
        evidence,
        remedy: TO_V2,
      }),
    none: () =>
      checkItem('cgroups', 'containers', label, {
        status: 'fail',
        summary: 'No cgroup filesystem is mounted: capsules cannot be started or limited',
        evidence,
        remedy: 'Mount cgroup2 on /sys/fs/cgroup (mount -t cgroup2 none /sys/fs/cgroup)',
      }),
  };
  return [items[layout.mode]()];
}
