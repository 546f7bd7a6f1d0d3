// What the capsule monitor reads without a container: runc's complaint in its JSON log, a
// process's state and start time (a zombie is dead), and a run's end from the files conmon
// leaves (the status, 128 + N for a signal; the cgroup's OOM count over conmon's word).
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CapsuleLayout } from './capsule-layout.js';
import { CapsuleMonitor, isMonitorAlive, lastRuntimeError, processStat } from './capsule-monitor.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nv8c-monitor-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

const noSpawn = { spawnDetached: () => Promise.reject(new Error('nothing is started in this test')) };

describe('capsule monitor', () => {
  it('takes runc\'s last error from its JSON log', () => {
    const log = [
      '{"level":"warning","msg":"cgroup v1 is deprecated","time":"2026-01-01T00:00:00Z"}',
      '{"level":"error","msg":"runc create failed: unable to start container process: exec: \\"nosuch\\": executable file not found in $PATH","time":"2026-01-01T00:00:00Z"}',
      '{"level":"err',
    ].join('\n');
    expect(lastRuntimeError(log)).toBe('runc create failed: unable to start container process: exec: "nosuch": executable file not found in $PATH');
    expect(lastRuntimeError('')).toBeNull();
  });

  it('reads a process\'s state and start time, a name with spaces and parentheses included', async () => {
    const proc = join(dir, 'proc');
    const stat = (pid: number, state: string) => `${pid} (a (b) c) ${state} 1 ${pid} ${pid} 0 -1 4194560 ${'0 '.repeat(12)}777 1 0\n`;
    for (const [pid, state] of [[10, 'S'], [11, 'Z']] as const) {
      await mkdir(join(proc, String(pid)), { recursive: true });
      await writeFile(join(proc, String(pid), 'stat'), stat(pid, state));
    }
    expect(processStat(10, proc)).toEqual({ state: 'S', startTime: '777' });
    expect(isMonitorAlive(10, '777', proc)).toBe(true);
    expect(isMonitorAlive(10, '778', proc)).toBe(false);
    expect(isMonitorAlive(11, '777', proc)).toBe(false);
    expect(isMonitorAlive(12, '777', proc)).toBe(false);
  });

  it('reads an end from conmon\'s exit file, its time from the file, OOM from the cgroup first', async () => {
    const layout = new CapsuleLayout(join(dir, 'state'));
    const p = layout.paths('web');
    const cgroups = join(dir, 'cgroup');
    const monitor = new CapsuleMonitor({ runner: noSpawn, cgroupRoot: cgroups });
    await mkdir(p.run, { recursive: true });
    expect(await monitor.readEnd('conmon', p, '/nova/nova-web')).toBeNull();
    await writeFile(p.exitFile, '137');
    await utimes(p.exitFile, new Date('2026-01-01T00:00:05Z'), new Date('2026-01-01T00:00:05Z'));
    // conmon heard of an OOM, but the cgroup says none: a SIGKILL, not an OOM kill.
    await writeFile(p.oomFile, '');
    await mkdir(join(cgroups, 'memory/nova/nova-web'), { recursive: true });
    await writeFile(join(cgroups, 'memory/nova/nova-web/memory.oom_control'), 'oom_kill_disable 0\nunder_oom 0\noom_kill 0\n');
    expect(await monitor.readEnd('conmon', p, '/nova/nova-web')).toEqual({ exitCode: 137, signal: null, oomKilled: false, at: '2026-01-01T00:00:05.000Z', started: true, runtimeError: null });
    await writeFile(join(cgroups, 'memory/nova/nova-web/memory.oom_control'), 'oom_kill_disable 0\nunder_oom 0\noom_kill 1\n');
    expect((await monitor.readEnd('conmon', p, '/nova/nova-web'))?.oomKilled).toBe(true);
    // The cgroup gone (deleted by a runtime), conmon's file is all there is.
    expect((await monitor.readEnd('conmon', p, '/nova/other'))?.oomKilled).toBe(true);
  });

  it('reads the end of a run left by the former C shim, and a start that failed', async () => {
    const p = new CapsuleLayout(join(dir, 'state2')).paths('old');
    const monitor = new CapsuleMonitor({ runner: noSpawn });
    await mkdir(p.run, { recursive: true });
    await writeFile(p.legacyExitFile, JSON.stringify({ exitCode: null, signal: 'SIGTERM', oomKilled: false, at: '2026-01-01T00:00:00.000Z', started: true, runtimeError: null }));
    expect(await monitor.readEnd('nova-shim', p, '/x')).toEqual({ exitCode: null, signal: 'SIGTERM', oomKilled: false, at: '2026-01-01T00:00:00.000Z', started: true, runtimeError: null });
    await writeFile(p.runtimeLog, '{"level":"error","msg":"no such file","time":"x"}\n');
    expect(await monitor.startFailure(p, 1)).toMatchObject({ started: false, exitCode: 1, runtimeError: 'no such file' });
    await rm(p.runtimeLog);
    expect((await monitor.startFailure(p, null)).runtimeError).toBe('the capsule monitor conmon exited (killed) before the container started');
  });
});
