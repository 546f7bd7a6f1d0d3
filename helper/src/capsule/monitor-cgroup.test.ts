// Where capsule monitors are moved, on a cgroup tree laid out as the kernel's (plain files
// stand in for cgroup.procs): the v2 tree, or every v1 hierarchy but cpuset and the aliases.
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from '../util/logger.js';
import { MonitorCgroup } from './monitor-cgroup.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nv8f-monitor-cgroup-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

function recordingLogger(): { logger: Logger; warnings: string[] } {
  const warnings: string[] = [];
  const logger = { warn: (fields: { cgroup?: string }) => warnings.push(fields.cgroup ?? '') } as unknown as Logger;
  return { logger, warnings };
}

async function hierarchy(root: string, name: string): Promise<void> {
  await mkdir(join(root, name), { recursive: true });
  await writeFile(join(root, name, 'cgroup.procs'), '');
}

const procsOf = (root: string, h: string) => readFile(join(root, h, 'nova', 'conmon', 'cgroup.procs'), 'utf8').catch(() => null);

describe('monitor cgroup', () => {
  it('puts a monitor in PARENT/conmon of a v2 tree, making the cgroup', async () => {
    const root = join(dir, 'v2');
    await hierarchy(root, '.');
    const { logger, warnings } = recordingLogger();
    await new MonitorCgroup({ cgroupRoot: root, parent: '/nova', logger }).place(4242);
    expect(await procsOf(root, '.')).toBe('4242');
    expect(warnings).toEqual([]);
  });

  it('puts it in every v1 hierarchy but cpuset, once each, and not through an alias', async () => {
    const root = join(dir, 'v1');
    for (const h of ['memory', 'pids', 'cpu,cpuacct', 'cpuset', 'systemd', 'unified']) await hierarchy(root, h);
    await symlink('cpu,cpuacct', join(root, 'cpu'));
    await mkdir(join(root, 'not-a-cgroup'));
    await new MonitorCgroup({ cgroupRoot: root, parent: '/nova', logger: recordingLogger().logger }).place(7);
    for (const h of ['memory', 'pids', 'cpu,cpuacct', 'systemd', 'unified']) expect(await procsOf(root, h)).toBe('7');
    expect(await procsOf(root, 'cpuset')).toBeNull();
    expect(await procsOf(root, 'not-a-cgroup')).toBeNull();
  });

  it('says once that a hierarchy refused a monitor, then leaves it alone and keeps placing in the others', async () => {
    const root = join(dir, 'refusing');
    for (const h of ['memory', 'pids']) await hierarchy(root, h);
    // A directory where cgroup.procs should be: the write fails, not for want of the cgroup.
    await mkdir(join(root, 'pids', 'nova', 'conmon', 'cgroup.procs'), { recursive: true });
    const { logger, warnings } = recordingLogger();
    const cgroup = new MonitorCgroup({ cgroupRoot: root, parent: '/nova', logger });
    await cgroup.place(10);
    void cgroup.place(11);
    await cgroup.settled();
    expect(warnings).toEqual([join(root, 'pids', 'nova', 'conmon')]);
    expect(await procsOf(root, 'memory')).toBe('11');
  });

  it('finds no hierarchy, and does nothing, where no cgroup filesystem is mounted', async () => {
    const root = join(dir, 'none');
    await mkdir(root);
    const { logger, warnings } = recordingLogger();
    await new MonitorCgroup({ cgroupRoot: root, parent: '/nova', logger }).place(12);
    expect(warnings).toEqual([]);
  });
});
