import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HostReportSchema } from '../../../src-shared/host.js';
import { silentLogger } from '../util/logger.js';
import { checkItem } from './check-item.js';
import { HOST_REPORT_FILE, HostCheckService } from './host-check-service.js';
import type { HostProbe } from './host-probes.js';
import { FakeHost, isCall } from './testing/fake-host.js';
import {
  CONMON_VERSION,
  CPUINFO_AMD_PVM_GUEST,
  CRUN_HYBRID_ERROR,
  CRUN_VERSION,
  MEMINFO,
  MOUNTINFO_HYBRID,
  QEMU_IMG_VERSION,
  QEMU_VERSION,
  RUNC_VERSION,
} from './testing/host-fixtures.js';

let host: FakeHost;
let stateDir: string;
let clock: number;
const T0 = Date.parse('2026-03-01T10:00:00Z');

beforeEach(async () => {
  host = await FakeHost.create();
  stateDir = host.at('/var/lib/nova');
  clock = T0;
  await host.file('/proc/sys/kernel/hostname', 'ws1\n');
  await host.file('/proc/sys/kernel/random/boot_id', 'b0000000-0000-4000-8000-000000000001\n');
  await host.file('/proc/self/environ', 'PATH=/usr/bin\0');
  await host.file('/proc/500/environ', 'XDG_SESSION_TYPE=wayland\0WAYLAND_DISPLAY=wayland-0\0');
  await host.file('/proc/600/environ', 'XDG_SESSION_TYPE=x11\0DISPLAY=:0\0');
});
afterEach(async () => host.dispose());

/** A probe family that counts its runs and can be held open to test sharing. */
function countingProbe() {
  const state = { runs: 0, release: () => {} };
  let gate: Promise<void> = Promise.resolve();
  const probe: HostProbe = {
    name: 'counting',
    group: 'hardware',
    run: async () => {
      state.runs++;
      await gate;
      return {
        accelerator: 'kvm',
        ociRuntime: 'crun',
        items: [checkItem('thing', 'hardware', 'Thing', { status: 'ok', summary: `run ${state.runs}`, evidence: ['seen'] })],
      };
    },
  };
  const hold = () => {
    gate = new Promise<void>((resolve) => {
      state.release = resolve;
    });
  };
  return { probe, state, hold };
}

function service(probes?: HostProbe[], maxAgeMs?: number) {
  return new HostCheckService({
    env: host.env(),
    stateDir,
    logger: silentLogger(),
    now: () => clock,
    ...(probes ? { probes } : {}),
    ...(maxAgeMs !== undefined ? { maxAgeMs } : {}),
  });
}

describe('caching', () => {
  it('probes once, then serves the cache until refresh re-runs every probe', async () => {
    const c = countingProbe();
    const svc = service([c.probe]);

    const first = await svc.report({ refresh: false });
    expect(first.cached).toBe(false);
    expect(c.state.runs).toBe(1);

    clock += 60_000;
    const second = await svc.report({ refresh: false });
    expect(second.cached).toBe(true);
    expect(second.generatedAt).toBe(first.generatedAt);
    expect(c.state.runs).toBe(1);

    const refreshed = await svc.report({ refresh: true });
    expect(refreshed.cached).toBe(false);
    expect(c.state.runs).toBe(2);
    expect(refreshed.items.find((i) => i.id === 'thing')?.summary).toBe('run 2');
  });

  it('shares one in-flight run between concurrent callers', async () => {
    const c = countingProbe();
    c.hold();
    const svc = service([c.probe]);
    const calls = [svc.report({ refresh: false }), svc.report({ refresh: false }), svc.report({ refresh: true })];
    await new Promise((r) => setTimeout(r, 20));
    c.state.release();
    const reports = await Promise.all(calls);
    expect(c.state.runs).toBe(1);
    expect(new Set(reports.map((r) => r.generatedAt)).size).toBe(1);
  });

  it('probes again once the report is older than the maximum age', async () => {
    const c = countingProbe();
    const svc = service([c.probe], 60 * 60 * 1000);
    await svc.report({ refresh: false });
    clock += 61 * 60 * 1000;
    const later = await svc.report({ refresh: false });
    expect(later.cached).toBe(false);
    expect(c.state.runs).toBe(2);
  });

  it('adds the session of each caller to a cached report', async () => {
    const c = countingProbe();
    const svc = service([c.probe]);
    const a = await svc.report({ refresh: false, callerPid: 500 });
    const b = await svc.report({ refresh: false, callerPid: 600 });
    expect(b.cached).toBe(true);
    expect(a.items.find((i) => i.id === 'session')?.summary).toMatch(/^Wayland/);
    expect(b.items.find((i) => i.id === 'session')?.summary).toMatch(/^X11/);
    const own = await svc.report({ refresh: false });
    expect(own.items.find((i) => i.id === 'session')?.summary).toMatch(/the helper has no Wayland or X11 session/);
  });
});

describe('persistence', () => {
  it('writes the report atomically to <stateDir>/host-report.json, without the caller session', async () => {
    const c = countingProbe();
    await service([c.probe]).report({ refresh: false, callerPid: 500 });
    const file = JSON.parse(await readFile(join(stateDir, HOST_REPORT_FILE), 'utf8')) as {
      version: number;
      bootId: string;
      report: unknown;
    };
    expect(file.version).toBe(1);
    expect(file.bootId).toBe('b0000000-0000-4000-8000-000000000001');
    const report = HostReportSchema.parse(file.report);
    expect(report.items.map((i) => i.id)).toEqual(['thing']);
    expect(report.hostname).toBe('ws1');
  });

  it('answers from the persisted report after a helper restart', async () => {
    const c = countingProbe();
    const written = await service([c.probe]).report({ refresh: false });
    clock += 10 * 60 * 1000;
    const restarted = await service([c.probe]).report({ refresh: false });
    expect(restarted.cached).toBe(true);
    expect(restarted.generatedAt).toBe(written.generatedAt);
    expect(c.state.runs).toBe(1);
  });

  it('ignores a persisted report that is too old, from another boot, or corrupt', async () => {
    const c = countingProbe();
    await service([c.probe]).report({ refresh: false });

    clock += 2 * 60 * 60 * 1000;
    expect((await service([c.probe]).report({ refresh: false })).cached).toBe(false);
    expect(c.state.runs).toBe(2);

    await host.file('/proc/sys/kernel/random/boot_id', 'b0000000-0000-4000-8000-000000000002\n');
    expect((await service([c.probe]).report({ refresh: false })).cached).toBe(false);
    expect(c.state.runs).toBe(3);

    await writeFile(join(stateDir, HOST_REPORT_FILE), '{"version":1,"bootId":null,"report":{"hostname":');
    expect((await service([c.probe]).report({ refresh: false })).cached).toBe(false);
    expect(c.state.runs).toBe(4);
  });

  it('still answers when the state dir cannot be written', async () => {
    await mkdir(host.at('/var/lib'), { recursive: true });
    await writeFile(host.at('/var/lib/nova'), 'not a directory');
    const c = countingProbe();
    const report = await service([c.probe]).report({ refresh: false });
    expect(report.items.find((i) => i.id === 'thing')).toBeDefined();
  });
});

describe('scratch files', () => {
  it('keeps probe scratch files in the state dir and sweeps an interrupted run', async () => {
    const leftover = join(stateDir, 'host-check.tmp', 'nv2h-boot-kvm-old');
    await mkdir(leftover, { recursive: true });
    await writeFile(join(leftover, 'boot.img'), '');
    let seenTmp = '';
    const probe: HostProbe = {
      name: 'scratch',
      group: 'hardware',
      run: async (env) => {
        seenTmp = env.tmpDir;
        return { items: [] };
      },
    };
    await service([probe]).report({ refresh: false });
    expect(seenTmp).toBe(join(stateDir, 'host-check.tmp'));
    expect(await readdir(seenTmp)).toEqual([]);
  });
});

describe('probe failures', () => {
  it('turns a crashing probe into a warning item and keeps the others', async () => {
    const c = countingProbe();
    const broken: HostProbe = {
      name: 'broken',
      group: 'networking',
      run: async () => {
        throw new Error('EIO reading /sys/class/net');
      },
    };
    const report = await service([c.probe, broken]).report({ refresh: false });
    const item = report.items.find((i) => i.id === 'probe-error.broken');
    expect(item?.status).toBe('warn');
    expect(item?.group).toBe('networking');
    expect(item?.evidence).toEqual(['EIO reading /sys/class/net']);
    expect(report.items.find((i) => i.id === 'thing')).toBeDefined();
  });
});

describe('the full check on a fake host like this project CI machines', () => {
  it('reports TCG because of kvm_pvm, runc because crun refuses hybrid cgroups, grouped in order', async () => {
    await host.file('/proc/cpuinfo', CPUINFO_AMD_PVM_GUEST);
    await host.file('/proc/meminfo', MEMINFO);
    await host.file('/proc/cmdline', 'console=ttyS0 quiet\n');
    await host.file('/proc/sys/kernel/osrelease', '6.18.44\n');
    await host.file('/proc/self/mountinfo', MOUNTINFO_HYBRID);
    await host.file('/dev/kvm');
    await host.dir('/sys/module/kvm/parameters');
    await host.dir('/sys/module/kvm_pvm/parameters');
    for (const t of ['/usr/bin/qemu-system-x86_64', '/usr/bin/qemu-img', '/usr/bin/crun', '/usr/sbin/runc', '/usr/bin/conmon']) await host.tool(t);
    host.onRun((argv) => {
      if (isCall(argv, 'qemu-system-x86_64', '--version')) return { stdout: QEMU_VERSION };
      if (isCall(argv, 'qemu-img', '--version')) return { stdout: QEMU_IMG_VERSION };
      if (isCall(argv, 'qemu-system-x86_64', '-accel')) return { stdout: 'K\n', exitCode: null, stoppedOnMatch: true };
      if (isCall(argv, 'crun', '--version')) return { stdout: CRUN_VERSION };
      if (isCall(argv, 'runc', '--version')) return { stdout: RUNC_VERSION };
      if (isCall(argv, 'conmon', '--version')) return { stdout: CONMON_VERSION };
      if (isCall(argv, 'crun', '--root') && argv[3] === 'run') return { exitCode: 1, stderr: CRUN_HYBRID_ERROR };
      if (isCall(argv, 'crun', '--root') || isCall(argv, 'runc', '--root')) return { exitCode: 0 };
      return undefined;
    });

    const report = HostReportSchema.parse(await service().report({ refresh: false, callerPid: 500 }));

    expect(report.hostname).toBe('ws1');
    expect(report.accelerator).toBe('tcg');
    expect(report.ociRuntime).toBe('runc');
    const ids = report.items.map((i) => i.id);
    expect(ids).toEqual([
      'cpu', 'memory', 'hugepages',
      'cpu-virt-extensions', 'kvm', 'accelerator', 'qemu', 'qemu-img', 'ovmf',
      'iommu', 'vfio',
      'cgroups', 'oci-runtime.crun', 'oci-runtime.runc', 'oci-runtime', 'capsule-monitor',
      'iproute2', 'nftables', 'dnsmasq', 'net-kernel',
      'polkit', 'polkit-policy', 'remote-viewer', 'session',
    ]);
    expect(report.items.every((i) => i.evidence.length > 0)).toBe(true);
    expect(report.items.filter((i) => i.status !== 'ok').every((i) => i.remedy !== null)).toBe(true);
    expect(report.items.find((i) => i.id === 'kvm')?.summary).toMatch(/paravirtual/);
    expect(report.items.find((i) => i.id === 'capsule-monitor')).toMatchObject({ group: 'containers', status: 'ok' });
    expect(report.items.find((i) => i.id === 'session')?.summary).toMatch(/^Wayland/);
  });
});
