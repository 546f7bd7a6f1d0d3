import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultBinDirs, hostPath, realHostProbeEnv, runTool, whichIn } from './host-probe-env.js';

describe('hostPath', () => {
  const env = { ...realHostProbeEnv(), rootDir: '/fake', procRoot: '/fake/proc', sysRoot: '/fsys', devRoot: '/fdev', etcRoot: '/fetc' };
  it('maps each kernel interface to its root', () => {
    expect(hostPath(env, '/proc/cpuinfo')).toBe('/fake/proc/cpuinfo');
    expect(hostPath(env, '/sys/module/kvm')).toBe('/fsys/module/kvm');
    expect(hostPath(env, '/dev/kvm')).toBe('/fdev/kvm');
    expect(hostPath(env, '/etc/os-release')).toBe('/fetc/os-release');
    expect(hostPath(env, '/usr/share/OVMF')).toBe('/fake/usr/share/OVMF');
    expect(hostPath(env, '/system')).toBe('/fake/system');
  });
  it('is the identity on the real host', () => {
    expect(hostPath(realHostProbeEnv(), '/usr/share/OVMF')).toBe('/usr/share/OVMF');
    expect(hostPath(realHostProbeEnv(), '/proc/self/mountinfo')).toBe('/proc/self/mountinfo');
  });
});

describe('which', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nv2h-which-'));
    await mkdir(join(dir, 'a'));
    await mkdir(join(dir, 'b'));
    await writeFile(join(dir, 'a', 'tool'), '');
    await writeFile(join(dir, 'b', 'tool'), '#!/bin/true\n');
    await chmod(join(dir, 'b', 'tool'), 0o755);
    await mkdir(join(dir, 'a', 'adir'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('finds the first executable file, skipping non-executables and directories', async () => {
    const which = whichIn([join(dir, 'a'), join(dir, 'b')]);
    expect(await which('tool')).toBe(join(dir, 'b', 'tool'));
    expect(await which('adir')).toBeNull();
    expect(await which('missing')).toBeNull();
    expect(await which('../b/tool')).toBeNull();
  });

  it('searches sbin even when PATH lacks it', () => {
    expect(defaultBinDirs('/usr/bin', false)).toContain('/usr/sbin');
    expect(defaultBinDirs('relative:/opt/bin', false)[0]).toBe('/opt/bin');
  });

  it('as root, searches the system directories first and skips PATH entries others can write', async () => {
    const writable = join(dir, 'world');
    await mkdir(writable);
    await chmod(writable, 0o777);
    const dirs = defaultBinDirs(`${writable}:/usr/bin:relative`, true);
    expect(dirs[0]).toBe('/usr/local/sbin');
    expect(dirs).not.toContain(writable);
    expect(dirs).not.toContain('relative');
  });
});

describe('runTool', () => {
  it('returns exit code and output', async () => {
    const r = await runTool(['sh', '-c', 'echo out; echo err >&2; exit 3'], { timeoutMs: 5_000 });
    expect(r).toMatchObject({ exitCode: 3, stdout: 'out\n', stderr: 'err\n', timedOut: false, spawnError: null });
  });

  it('gives the tool a clean C-locale environment', async () => {
    const r = await runTool(['sh', '-c', 'echo "$LC_ALL ${HOME:-nohome}"'], { timeoutMs: 5_000 });
    expect(r.stdout).toBe('C nohome\n');
  });

  it('kills a tool that overruns its bound', async () => {
    const r = await runTool(['sleep', '30'], { timeoutMs: 200 });
    expect(r.timedOut).toBe(true);
    expect(r.exitCode).toBeNull();
    expect(r.durationMs).toBeLessThan(5_000);
  });

  it('stops a tool as soon as the marker appears', async () => {
    const r = await runTool(['sh', '-c', 'printf K; exec sleep 30'], { timeoutMs: 10_000, stopWhenStdoutIncludes: 'K' });
    expect(r.stoppedOnMatch).toBe(true);
    expect(r.timedOut).toBe(false);
    expect(r.stdout).toBe('K');
    expect(r.durationMs).toBeLessThan(5_000);
  });

  it('reports a tool that cannot start', async () => {
    const r = await runTool(['/nonexistent/nv2h-tool'], { timeoutMs: 1_000 });
    expect(r.spawnError).toBe('ENOENT');
    expect(r.exitCode).toBeNull();
  });
});
