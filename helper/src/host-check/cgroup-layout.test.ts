import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkCgroups, classifyCgroups, parseMountinfo, parseProcMounts } from './cgroup-layout.js';
import { FakeHost } from './testing/fake-host.js';
import { MOUNTINFO_HYBRID, MOUNTINFO_V1, MOUNTINFO_V2 } from './testing/host-fixtures.js';

describe('cgroup layout from mountinfo', () => {
  it('recognises a unified cgroup v2 host', () => {
    const layout = classifyCgroups(parseMountinfo(MOUNTINFO_V2));
    expect(layout.mode).toBe('v2');
    expect(layout.v2.map((m) => m.mountPoint)).toEqual(['/sys/fs/cgroup']);
  });

  it('recognises a legacy v1 host and its controllers', () => {
    const layout = classifyCgroups(parseMountinfo(MOUNTINFO_V1));
    expect(layout.mode).toBe('v1');
    expect(layout.v1.map((m) => m.options.join(','))).toEqual(['name=systemd', 'cpu,cpuacct', 'memory', 'pids']);
  });

  it('recognises the hybrid layout (v1 controllers plus /sys/fs/cgroup/unified)', () => {
    const layout = classifyCgroups(parseMountinfo(MOUNTINFO_HYBRID));
    expect(layout.mode).toBe('hybrid');
    expect(layout.v2.map((m) => m.mountPoint)).toEqual(['/sys/fs/cgroup/unified']);
    expect(layout.v1).toHaveLength(9);
  });

  it('finds no cgroups on a mount table without any', () => {
    expect(classifyCgroups(parseMountinfo('22 27 0:21 / /proc rw - proc proc rw\n')).mode).toBe('none');
  });

  it('unescapes mount points with spaces', () => {
    const [m] = parseMountinfo('30 23 0:26 / /mnt/my\\040cg rw,relatime shared:4 - cgroup2 cgroup2 rw\n');
    expect(m?.mountPoint).toBe('/mnt/my cg');
  });

  it('reads /proc/mounts when mountinfo is missing', () => {
    const mounts = parseProcMounts('cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nodev,noexec,relatime,nsdelegate 0 0\n');
    expect(classifyCgroups(mounts).mode).toBe('v2');
  });
});

describe('the cgroups item', () => {
  let host: FakeHost;
  beforeEach(async () => {
    host = await FakeHost.create();
  });
  afterEach(async () => host.dispose());

  it('is ok on v2 and lists the controllers', async () => {
    await host.file('/proc/self/mountinfo', MOUNTINFO_V2);
    await host.file('/sys/fs/cgroup/cgroup.controllers', 'cpuset cpu io memory hugetlb pids rdma misc\n');
    const [item] = await checkCgroups(host.env());
    expect(item?.status).toBe('ok');
    expect(item?.summary).toBe('cgroup v2 (unified hierarchy)');
    expect(item?.evidence[0]).toBe('cgroup2 at /sys/fs/cgroup (controllers: cpuset cpu io memory hugetlb pids rdma misc)');
  });

  it('warns on hybrid, naming crun and the way to v2', async () => {
    await host.file('/proc/self/mountinfo', MOUNTINFO_HYBRID);
    await host.file('/sys/fs/cgroup/unified/cgroup.controllers', 'hugetlb\n');
    const [item] = await checkCgroups(host.env());
    expect(item?.status).toBe('warn');
    expect(item?.summary).toMatch(/Hybrid.*crun refuses it/);
    expect(item?.evidence).toContain('cgroup2 at /sys/fs/cgroup/unified (controllers: hugetlb)');
    expect(item?.evidence.join('\n')).toMatch(/cgroup v1 hierarchies: cpu cpuacct cpuset memory/);
    expect(item?.remedy).toMatch(/systemd.unified_cgroup_hierarchy=1/);
  });

  it('warns on v1 only', async () => {
    await host.file('/proc/self/mountinfo', MOUNTINFO_V1);
    const [item] = await checkCgroups(host.env());
    expect(item?.status).toBe('warn');
    expect(item?.summary).toMatch(/v1 only/);
  });

  it('falls back to /proc/mounts', async () => {
    await host.file('/proc/mounts', 'cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid 0 0\n');
    const [item] = await checkCgroups(host.env());
    expect(item?.status).toBe('ok');
    expect(item?.evidence).toContain('source: /proc/mounts');
  });
});
