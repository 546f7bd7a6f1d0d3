// The host check on this very machine, with the real tools: every item present with
// evidence, the accelerator and OCI runtime chosen for the reasons the DESIGN measured
// here, the cache and refresh behaving, and nothing left behind by the probes.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HostReport, HostReportSchema } from '../../src-shared/host.js';
import { HOST_REPORT_FILE, HostCheckService } from '../src/host-check/host-check-service.js';
import { realHostProbeEnv } from '../src/host-check/host-probe-env.js';
import { SCRATCH_DIR_NAME } from '../src/host-check/probe-scratch.js';
import { silentLogger } from '../src/util/logger.js';

const isRoot = process.getuid?.() === 0;
let testDir = '';
let scratch = '';
let stateDir = '';
let service: HostCheckService;
let first: HostReport;
let firstWallMs = 0;

/** pids whose command line mentions our scratch dir: a probe that outlived its run. */
function processesUsing(path: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'latin1').includes(path)) pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

describe.skipIf(!isRoot)('host check on this machine', () => {
  beforeAll(async () => {
    testDir = await mkdtemp(join(tmpdir(), 'nv2h-systest-'));
    stateDir = join(testDir, 'state');
    scratch = join(stateDir, SCRATCH_DIR_NAME);
    service = new HostCheckService({ env: realHostProbeEnv(), stateDir, logger: silentLogger() });
    const started = performance.now();
    first = await service.report({ refresh: false, callerPid: process.pid });
    firstWallMs = Math.round(performance.now() - started);
    console.log(`host check: ${firstWallMs} ms wall (report says ${first.durationMs} ms), accelerator ${first.accelerator}, OCI runtime ${first.ociRuntime}`);
  });

  afterAll(async () => {
    if (!testDir) return;
    // Whatever a failed run left: QEMU or container processes under our scratch dir,
    // containers still registered in a runtime state root under it.
    for (const pid of processesUsing(testDir)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    for (const entry of (await readdir(scratch).catch(() => [] as string[])).filter((e) => e.startsWith('nv2h-oci-'))) {
      const runtime = entry.split('-')[2] ?? '';
      const stateRoot = join(scratch, entry, 'state');
      for (const id of await readdir(stateRoot).catch(() => [] as string[])) {
        try {
          execFileSync(runtime, ['--root', stateRoot, 'delete', '-f', id], { timeout: 10_000, stdio: 'ignore' });
        } catch {
          // best effort
        }
      }
    }
    await rm(testDir, { recursive: true, force: true });
  });

  it('reports every item with evidence, valid against the contract', () => {
    const report = HostReportSchema.parse(first);
    expect(report.cached).toBe(false);
    expect(report.hostname).toBe(execFileSync('hostname').toString().trim());
    const ids = report.items.map((i) => i.id);
    for (const id of [
      'cpu', 'memory', 'hugepages', 'cpu-virt-extensions', 'kvm', 'accelerator', 'qemu', 'qemu-img', 'ovmf',
      'iommu', 'vfio', 'cgroups', 'oci-runtime.crun', 'oci-runtime.runc', 'oci-runtime', 'capsule-monitor',
      'iproute2', 'nftables', 'dnsmasq', 'net-kernel', 'polkit', 'polkit-policy', 'session',
    ]) {
      expect(ids, `item ${id}`).toContain(id);
    }
    expect(new Set(ids).size).toBe(ids.length);
    for (const item of report.items) {
      expect(item.evidence.length, `evidence of ${item.id}`).toBeGreaterThan(0);
      if (item.status !== 'ok') expect(item.remedy, `remedy of ${item.id}`).not.toBeNull();
      expect(item.id.startsWith('probe-error.'), `${item.id}: ${item.evidence.join('; ')}`).toBe(false);
    }
  });

  it('uses TCG on a paravirtual KVM and says why', () => {
    const pvm = existsSync('/sys/module/kvm_pvm');
    const vendor = existsSync('/sys/module/kvm_intel') || existsSync('/sys/module/kvm_amd');
    const kvm = first.items.find((i) => i.id === 'kvm');
    const accel = first.items.find((i) => i.id === 'accelerator');
    if (pvm && !vendor) {
      expect(first.accelerator).toBe('tcg');
      expect(kvm?.status).toBe('fail');
      expect(`${kvm?.summary} ${kvm?.evidence.join(' ')}`).toMatch(/paravirtual/);
      expect(kvm?.evidence).toContain('/sys/module/kvm_pvm: present (paravirtual KVM)');
      expect(accel?.summary).toMatch(/TCG/);
      expect(accel?.evidence.join(' ')).toMatch(/kvm_pvm/);
    }
    if (existsSync('/usr/bin/qemu-system-x86_64')) {
      // Whatever the accelerator, QEMU must at least run the test guest under it.
      expect(accel?.status).not.toBe('fail');
    }
  });

  it('reports runc working when it is installed, and crun refused on a hybrid cgroup host', () => {
    const runcInstalled = ['/usr/sbin/runc', '/usr/bin/runc', '/usr/local/sbin/runc', '/usr/local/bin/runc'].some(existsSync);
    if (runcInstalled) {
      const runc = first.items.find((i) => i.id === 'oci-runtime.runc');
      expect(runc?.status).toBe('ok');
      expect(runc?.evidence.join(' ')).toMatch(/test container ran and exited 0/);
      expect(first.ociRuntime).not.toBeNull();
    }
    const cgroups = first.items.find((i) => i.id === 'cgroups');
    const crun = first.items.find((i) => i.id === 'oci-runtime.crun');
    if (cgroups?.summary.startsWith('Hybrid') && crun?.evidence.some((e) => e.startsWith('/') && e.includes('crun version'))) {
      expect(first.ociRuntime).toBe('runc');
      expect(crun.status).toBe('warn');
      expect(crun.evidence.join(' ')).toMatch(/test container failed: .*hybrid/);
    }
  });

  it('reports conmon, the capsule monitor, with its path and version where it is installed', () => {
    const monitor = first.items.find((i) => i.id === 'capsule-monitor');
    const path = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'].map((d) => join(d, 'conmon')).find(existsSync);
    if (path) {
      const version = execFileSync(path, ['--version'], { encoding: 'utf8', timeout: 10_000 }).split('\n')[0]!.trim();
      expect(monitor).toMatchObject({ status: 'ok', evidence: [`${path}: ${version}`], remedy: null });
    } else {
      expect(monitor).toMatchObject({ status: 'fail', remedy: 'Install the capsule monitor: apt install conmon' });
    }
  });

  it('leaves no scratch files, containers or processes behind', async () => {
    expect(await readdir(scratch)).toEqual([]);
    expect(processesUsing(scratch)).toEqual([]);
  });

  it('persists the report and serves the cache on the second call', async () => {
    const file = JSON.parse(await readFile(join(stateDir, HOST_REPORT_FILE), 'utf8')) as { version: number; report: unknown };
    expect(file.version).toBe(1);
    expect(HostReportSchema.parse(file.report).generatedAt).toBe(first.generatedAt);

    const started = performance.now();
    const second = await service.report({ refresh: false, callerPid: process.pid });
    expect(second.cached).toBe(true);
    expect(second.generatedAt).toBe(first.generatedAt);
    expect(performance.now() - started).toBeLessThan(1_000);

    const restarted = new HostCheckService({ env: realHostProbeEnv(), stateDir, logger: silentLogger() });
    const fromDisk = await restarted.report({ refresh: false });
    expect(fromDisk.cached).toBe(true);
    expect(fromDisk.generatedAt).toBe(first.generatedAt);
  });

  it('re-runs every probe on refresh, first removing what an interrupted run left', async () => {
    // As if a helper had been SIGKILLed mid-probe: a scratch dir and a process using it.
    const leftover = join(scratch, 'nv2h-boot-kvm-interrupted');
    await mkdir(leftover, { recursive: true });
    // sh stays (the command after sleep keeps it from exec'ing), so its cmdline keeps the path.
    const orphan = spawn('sh', ['-c', 'sleep 60; :', join(leftover, 'boot.img')], { stdio: 'ignore', detached: true });
    orphan.unref();
    const orphanGone = new Promise<void>((resolve) => orphan.once('exit', () => resolve()));
    try {
      const refreshed = await service.report({ refresh: true, callerPid: process.pid });
      const bound = new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 10_000).unref());
      expect(await Promise.race([orphanGone.then(() => 'killed' as const), bound])).toBe('killed');
      checkRefreshed(refreshed);
    } finally {
      // The whole group, so its sleep goes too.
      if (orphan.pid !== undefined) {
        try {
          process.kill(-orphan.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  });

  function checkRefreshed(refreshed: HostReport) {
    expect(refreshed.cached).toBe(false);
    expect(Date.parse(refreshed.generatedAt)).toBeGreaterThan(Date.parse(first.generatedAt));
    expect(refreshed.accelerator).toBe(first.accelerator);
    expect(refreshed.ociRuntime).toBe(first.ociRuntime);
    expect(refreshed.items.map((i) => i.id)).toEqual(first.items.map((i) => i.id));
    expect(readdirSync(scratch)).toEqual([]);
  }
});
