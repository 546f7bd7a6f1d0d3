import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CapsuleMetrics } from '../../../src-shared/capsule.js';
import type { HostCounters } from './host-sampler.js';
import { HOST, MetricsCollector } from './metrics-collector.js';
import { MetricsStore } from './metrics-store.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nv13m-collector-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const T0 = Date.UTC(2026, 0, 1);

function capsuleAt(cpuNs: number, io: number): CapsuleMetrics {
  return { at: '', cpuUsageNs: cpuNs, memoryBytes: 4096, memoryLimitBytes: null, pids: 1, ioReadBytes: io, ioWriteBytes: 0, netRxBytes: null, netTxBytes: null };
}

describe('MetricsCollector', () => {
  it('turns host and capsule counters into rates per second, one point per tick', async () => {
    let now = T0;
    let tick = 0;
    const host: HostCounters[] = [
      { cpuBusyTicks: 100, cpuTotalTicks: 1000, memoryUsedBytes: 5e9, diskReadBytes: 0, diskWriteBytes: 0, netRxBytes: 1000, netTxBytes: 0 },
      { cpuBusyTicks: 150, cpuTotalTicks: 1200, memoryUsedBytes: 5e9, diskReadBytes: 4096, diskWriteBytes: 0, netRxBytes: 3000, netTxBytes: 0 },
    ];
    const caps = [capsuleAt(0, 0), capsuleAt(500_000_000, 8192)];
    const store = new MetricsStore(dir);
    const collector = new MetricsCollector(
      store,
      {
        host: async () => host[tick] as HostCounters,
        runningCapsules: async () => ['db'],
        capsuleMetrics: async () => caps[tick] as CapsuleMetrics,
        existing: async () => [{ kind: 'capsule', name: 'db' }],
      },
      () => now,
    );
    await collector.tick();
    now += 2000;
    tick = 1;
    await collector.tick();
    const h = store.query(HOST, '1m', now).points.at(-1);
    expect(h).toMatchObject({ cpuPercent: 25, rssBytes: 5e9, diskReadBps: 2048, netRxBps: 1000 });
    const c = store.query({ kind: 'capsule', name: 'db' }, '1m', now).points.at(-1);
    // Half a second of CPU over two seconds: 25 % of one core.
    expect(c).toMatchObject({ cpuPercent: 25, rssBytes: 4096, diskReadBps: 4096 });
    store.close();
  });

  it('records VM samples from the VM manager', () => {
    const store = new MetricsStore(dir);
    const collector = new MetricsCollector(store, { host: async () => Promise.reject(new Error('unused')), runningCapsules: async () => [], capsuleMetrics: async () => Promise.reject(new Error('unused')), existing: async () => [] });
    const sample = (s: number, disk: number) => ({ name: 'web', sampledAt: new Date(T0 + s * 1000).toISOString(), cpuPercent: 12.5, rssBytes: 1e8, diskReadBytes: disk, diskWriteBytes: 0, netRxBytes: 0, netTxBytes: 0 });
    collector.recordVm(sample(0, 0));
    collector.recordVm(sample(1, 1e6));
    expect(store.query({ kind: 'vm', name: 'web' }, '1m', T0 + 1000).points.at(-1)).toMatchObject({ cpuPercent: 12.5, rssBytes: 1e8, diskReadBps: 1e6 });
    store.close();
  });

  it('drops the history of a deleted guest within a minute of ticks, and keeps the host\'s', async () => {
    const store = new MetricsStore(dir);
    store.record({ kind: 'vm', name: 'gone' }, T0, [1, 1, 0, 0, 0, 0]);
    store.record({ kind: 'capsule', name: 'kept' }, T0, [1, 1, 0, 0, 0, 0]);
    let now = T0 + 1000;
    const collector = new MetricsCollector(
      store,
      { host: async () => ({ cpuBusyTicks: 0, cpuTotalTicks: 0, memoryUsedBytes: 1, diskReadBytes: 0, diskWriteBytes: 0, netRxBytes: 0, netTxBytes: 0 }), runningCapsules: async () => [], capsuleMetrics: async () => Promise.reject(new Error('unused')), existing: async () => [{ kind: 'capsule', name: 'kept' }] },
      () => now,
    );
    for (let i = 0; i < 60; i++, now += 1000) await collector.tick(now);
    expect(store.stored().sort((a, b) => a.name.localeCompare(b.name))).toEqual([
      { kind: 'host', name: 'host' },
      { kind: 'capsule', name: 'kept' },
    ]);
    store.close();
  });

  it('loses a point, never throws, when a series file cannot be opened (a planted link)', async () => {
    symlinkSync('/etc/passwd', join(dir, 'vm.web.rrd'));
    symlinkSync('/etc/passwd', join(dir, 'host.rrd'));
    const store = new MetricsStore(dir);
    const collector = new MetricsCollector(store, { host: async () => ({ cpuBusyTicks: 0, cpuTotalTicks: 0, memoryUsedBytes: 1, diskReadBytes: 0, diskWriteBytes: 0, netRxBytes: 0, netTxBytes: 0 }), runningCapsules: async () => [], capsuleMetrics: async () => Promise.reject(new Error('unused')), existing: async () => [] });
    expect(() => collector.recordVm({ name: 'web', sampledAt: new Date(T0).toISOString(), cpuPercent: 1, rssBytes: 1, diskReadBytes: 0, diskWriteBytes: 0, netRxBytes: 0, netTxBytes: 0 })).not.toThrow();
    await expect(collector.tick(T0)).resolves.toBeUndefined();
    expect(readFileSync('/etc/passwd', 'utf8')).toMatch(/^root:/);
    store.close();
  });
});
