import { describe, expect, it } from 'vitest';
import type { NovaEvent } from '../../src-shared/api/events.js';
import type { VmMetrics } from '../../src-shared/vm.js';
import { MetricsHistory, Ring } from './metrics-history.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');

function sample(name: string, atMs: number, over: Partial<VmMetrics> = {}): VmMetrics {
  return {
    name,
    sampledAt: new Date(atMs).toISOString(),
    cpuPercent: 10,
    rssBytes: 1000,
    diskReadBytes: 0,
    diskWriteBytes: 0,
    netRxBytes: 0,
    netTxBytes: 0,
    ...over,
  };
}

describe('Ring', () => {
  it('keeps the newest items up to its capacity, oldest first', () => {
    const ring = new Ring<number>(3);
    for (let i = 1; i <= 5; i++) ring.push(i);
    expect(ring.toArray()).toEqual([3, 4, 5]);
    expect(ring.size).toBe(3);
    expect(ring.last()).toBe(5);
  });
});

describe('MetricsHistory', () => {
  it('serves the last minute at 1 s with counters turned into rates', () => {
    const h = new MetricsHistory();
    for (let i = 0; i < 90; i++) {
      h.record(sample('nv3u-a', T0 + i * 1000, { cpuPercent: i, diskReadBytes: i * 2048, netTxBytes: i * 10 }));
    }
    const r = h.query('nv3u-a', '1m', T0 + 89_000);
    expect(r.stepSeconds).toBe(1);
    expect(r.points).toHaveLength(60);
    expect(r.points.at(-1)).toMatchObject({ t: T0 + 89_000, cpuPercent: 89, diskReadBps: 2048, netTxBps: 10 });
  });

  it('gives no rate across a long gap or a counter reset, instead of a spike', () => {
    const h = new MetricsHistory();
    h.record(sample('nv3u-b', T0, { diskWriteBytes: 5_000_000 }));
    h.record(sample('nv3u-b', T0 + 60_000, { diskWriteBytes: 9_000_000 }));
    h.record(sample('nv3u-b', T0 + 61_000, { diskWriteBytes: 100 }));
    const points = h.query('nv3u-b', '1h', T0 + 61_000).points;
    expect(points.every((p) => p.diskWriteBps === 0)).toBe(true);
  });

  it('averages the last hour into 10 s points and the day into 1 min points', () => {
    const h = new MetricsHistory();
    for (let i = 0; i < 3 * 60; i++) h.record(sample('nv3u-c', T0 + i * 1000, { cpuPercent: i < 60 ? 20 : 40 }));
    const hour = h.query('nv3u-c', '1h', T0 + 179_000);
    expect(hour.stepSeconds).toBe(10);
    expect(hour.points).toHaveLength(18);
    expect(hour.points[0]?.cpuPercent).toBe(20);
    const day = h.query('nv3u-c', '1d', T0 + 179_000);
    expect(day.stepSeconds).toBe(60);
    // Two closed minutes plus the one still filling.
    expect(day.points.map((p) => p.cpuPercent)).toEqual([20, 40, 40]);
    expect(day.points.map((p) => p.t)).toEqual([T0, T0 + 60_000, T0 + 120_000]);
  });

  it('stays bounded: an hour of 1 s points, a day of minutes, a cap on VMs', () => {
    const h = new MetricsHistory(2);
    for (let i = 0; i < 2 * 3600; i++) h.record(sample('nv3u-d', T0 + i * 1000));
    expect(h.query('nv3u-d', '1h', T0 + 2 * 3600_000).points.length).toBeLessThanOrEqual(360);
    expect(h.query('nv3u-d', '1d', T0 + 2 * 3600_000).points).toHaveLength(120);
    h.record(sample('nv3u-e', T0 + 9_000_000));
    h.record(sample('nv3u-f', T0 + 9_001_000));
    expect(h.trackedVms).toBe(2);
    expect(h.query('nv3u-d', '1m').points).toEqual([]);
  });

  it('drops samples that arrive out of order and ignores unknown VMs', () => {
    const h = new MetricsHistory();
    h.record(sample('nv3u-g', T0 + 2000));
    h.record(sample('nv3u-g', T0 + 1000));
    expect(h.query('nv3u-g', '1m', T0 + 2000).points).toHaveLength(1);
    expect(h.query('nv3u-zzz', '1d').points).toEqual([]);
  });

  it('follows vm.metricsSampled events from an event source', () => {
    const h = new MetricsHistory();
    let listener: ((e: NovaEvent) => void) | null = null;
    const off = h.follow({ subscribe: (l) => ((listener = l), () => (listener = null)) });
    listener!({ name: 'vm.metricsSampled', payload: sample('nv3u-h', T0) });
    listener!({ name: 'host.checked', payload: { generatedAt: 'x' } });
    expect(h.query('nv3u-h', '1m', T0).points).toHaveLength(1);
    off();
    expect(listener).toBeNull();
  });
});
